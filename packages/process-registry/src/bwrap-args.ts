import type { SandboxLimits, SandboxNetwork } from './sandbox.js';

/** Everything the bwrap command line depends on, with host paths already resolved. */
export interface BwrapArgsInput {
  /** The session's workspace (bound rw, cwd, HOME). */
  readonly workspace: string;
  /** Covered by an empty tmpfs before the workspace is bound into it. */
  readonly workspaceRoot: string;
  /** Directories covered by an empty tmpfs (state dir, config dir, /run, …), shallowest first. */
  readonly hiddenDirs: readonly string[];
  /** Files covered by `/dev/null`. */
  readonly hiddenFiles: readonly string[];
  /** Files re-bound read-only after the hiding (e.g. `/etc/resolv.conf`'s target under /run). */
  readonly keepFiles: readonly string[];
  /** Extra scratch directories that get a private tmpfs (`/tmp`, `/var/tmp`). */
  readonly scratchDirs: readonly string[];
  readonly binds: { readonly ro: readonly string[]; readonly rw: readonly string[] };
  readonly network: SandboxNetwork;
  /** `--new-session` (not under a PTY: node-pty already made the shell a session leader on its own terminal). */
  readonly isNewSession: boolean;
  /** Directory the shell starts in. */
  readonly cwd: string;
  /** Write bwrap's JSON info (`child-pid`, `pid-namespace`) to this fd. */
  readonly infoFd: number | undefined;
  readonly limits: SandboxLimits;
  /** util-linux prlimit, when any limit is set. */
  readonly prlimitPath: string | undefined;
  /** What runs inside: `[shell, '-c', command]` or a probe script. */
  readonly command: readonly string[];
}

/** prlimit flags for the limits that are set (soft = hard). */
export function prlimitFlags(limits: SandboxLimits): string[] {
  const flags: string[] = [];
  if (limits.maxProcesses !== null) flags.push(`--nproc=${limits.maxProcesses}`);
  if (limits.maxFileSizeBytes !== null) flags.push(`--fsize=${limits.maxFileSizeBytes}`);
  if (limits.cpuSeconds !== null) flags.push(`--cpu=${limits.cpuSeconds}`);
  if (limits.addressSpaceBytes !== null) flags.push(`--as=${limits.addressSpaceBytes}`);
  return flags;
}

/**
 * The bwrap argument vector of one sandboxed shell. Order matters (bwrap applies it in order):
 * read-only host root → fresh /dev, /proc and scratch tmpfs → hidden paths → the workspace root
 * hidden → extra binds → this session's workspace → the hiding tmpfs made read-only → limits → the command.
 */
export function buildBwrapArgs(input: BwrapArgsInput): string[] {
  const args: string[] = ['--die-with-parent'];
  if (input.isNewSession) args.push('--new-session');
  // As root bwrap keeps every capability unless told otherwise: without this, the shell could unmount what hides the state dir.
  args.push('--cap-drop', 'ALL');
  args.push('--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try');
  if (input.network === 'none') args.push('--unshare-net');
  if (input.infoFd !== undefined) args.push('--info-fd', String(input.infoFd));
  args.push('--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc');
  for (const dir of input.scratchDirs) args.push('--tmpfs', dir);
  for (const dir of input.hiddenDirs) args.push('--tmpfs', dir);
  for (const file of input.hiddenFiles) args.push('--ro-bind', '/dev/null', file);
  for (const file of input.keepFiles) args.push('--ro-bind', file, file);
  args.push('--tmpfs', input.workspaceRoot);
  for (const path of input.binds.ro) args.push('--ro-bind', path, path);
  for (const path of input.binds.rw) args.push('--bind', path, path);
  args.push('--bind', input.workspace, input.workspace);
  // The covering tmpfs become read-only once every mount point in them exists: nothing written there could be mistaken for the host's.
  for (const dir of input.hiddenDirs) args.push('--remount-ro', dir);
  args.push('--remount-ro', input.workspaceRoot, '--chdir', input.cwd, '--');
  const flags = prlimitFlags(input.limits);
  if (flags.length > 0 && input.prlimitPath !== undefined) args.push(input.prlimitPath, ...flags, '--');
  args.push(...input.command);
  return args;
}
