import { accessSync, constants, mkdirSync, readFileSync, readdirSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve, sep } from 'node:path';
import { execa } from 'execa';
import { buildBwrapArgs, prlimitFlags } from './bwrap-args.js';
import { ProcessRegistryError } from './errors.js';
import {
  BwrapSandboxOptionsSchema,
  type BwrapSandboxOptions,
  type Sandbox,
  type SandboxDecision,
  type SandboxLaunchRequest,
  type SandboxLimits,
  type SandboxProbe,
  workspaceDirName,
} from './sandbox.js';

const NAMESPACES = ['pid', 'mnt', 'ipc', 'uts', 'net', 'cgroup'] as const;
const LIMIT_ROWS: ReadonlyArray<readonly [keyof SandboxLimits, string]> = [
  ['maxProcesses', 'Max processes'],
  ['maxFileSizeBytes', 'Max file size'],
  ['cpuSeconds', 'Max cpu time'],
  ['addressSpaceBytes', 'Max address space'],
];
const PROBE_DIR = '.probe';

// Prints what the kernel says about the probe's own process; every line is checked by the caller.
const PROBE_SCRIPT = [
  "grep -E '^(NoNewPrivs|CapEff):' /proc/self/status",
  'for n in pid mnt ipc uts net cgroup; do echo "ns $n $(readlink /proc/self/ns/$n)"; done',
  "grep -E '^Max (processes|file size|cpu time|address space) ' /proc/self/limits",
  'for p in "$@"; do case "$p" in e:*) { [ -e "${p#e:}" ] || [ -L "${p#e:}" ]; } && echo "visible ${p#e:}";; s:*) [ -s "${p#s:}" ] && echo "visible ${p#s:}";; esac; done',
  '( : > /.pincer-probe-write ) 2>/dev/null && echo "writable /"',
  'echo probe-done',
].join('\n');

/** Finds an executable: an absolute path as is, a bare name on `PATH`. */
function resolveExecutable(nameOrPath: string, searchPath: string | undefined): string | undefined {
  const isRunnable = (candidate: string): boolean => {
    try {
      accessSync(candidate, constants.X_OK);
      return statSync(candidate).isFile();
    } catch {
      return false;
    }
  };
  if (nameOrPath.includes('/')) return isRunnable(nameOrPath) ? resolve(nameOrPath) : undefined;
  for (const dir of (searchPath ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter)) {
    if (dir !== '' && isRunnable(join(dir, nameOrPath))) return join(dir, nameOrPath);
  }
  return undefined;
}

/** Hard limits of this process (`/proc/self/limits`): a shell without capabilities cannot go above them. */
function readHardLimits(): Map<string, number> {
  const out = new Map<string, number>();
  let text = '';
  try {
    text = readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return out;
  }
  for (const [, row] of LIMIT_ROWS) {
    const match = new RegExp(`^${row}\\s+(\\S+)\\s+(\\S+)`, 'm').exec(text);
    if (match?.[2] !== undefined) out.set(row, match[2] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(match[2]));
  }
  return out;
}

function parseLimitRows(text: string): SandboxLimits {
  const limits: Record<string, number | null> = {};
  for (const [key, row] of LIMIT_ROWS) {
    const match = new RegExp(`^${row}\\s+(\\S+)\\s+(\\S+)`, 'm').exec(text);
    const soft = match?.[1];
    limits[key] = soft === undefined || soft === 'unlimited' ? null : Number(soft);
  }
  return limits as SandboxLimits;
}

function realpathOrUndefined(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

const isWithin = (path: string, parent: string): boolean =>
  path === parent || path.startsWith(parent.endsWith(sep) ? parent : parent + sep);

const depthOf = (path: string): number => path.split(sep).length;

/**
 * Creates the bubblewrap sandbox backend. Each shell gets its own pid, mount, ipc, uts (and cgroup,
 * when supported) namespace, a read-only host root, private `/tmp`, `/var/tmp` and `/run`, a minimal
 * `/dev`, a fresh `/proc`, no capabilities, PR_SET_NO_NEW_PRIVS, a new session, its own workspace
 * (cwd and `HOME`) and the configured limits; it dies with the registry's process. Nothing runs
 * until `probe()` (called by `prepare`) has checked all of this on a real bwrap run.
 */
export function createBwrapSandbox(rawOptions: BwrapSandboxOptions): Sandbox {
  const parsed = BwrapSandboxOptionsSchema.safeParse(rawOptions);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.map(String).join('.') || undefined;
    throw new ProcessRegistryError(
      'INVALID_INPUT',
      `Invalid sandbox option${field ? ` "${field}"` : ''}: ${issue?.message ?? 'validation failed'}.`,
      field === undefined ? { cause: parsed.error } : { cause: parsed.error, field },
    );
  }
  const options = parsed.data;
  const workspaceRoot = resolve(options.workspaceRoot);
  const searchPath = process.env['PATH'];
  // A limit above this process's hard limit cannot be set by a shell without capabilities: clamp it.
  const hardLimits = readHardLimits();
  const limits = Object.fromEntries(
    LIMIT_ROWS.map(([key, row]) => {
      const wanted = options.limits[key];
      const hard = hardLimits.get(row) ?? Number.POSITIVE_INFINITY;
      return [key, wanted === null ? null : Math.min(wanted, hard)];
    }),
  ) as SandboxLimits;
  let cached: Promise<SandboxProbe> | undefined;

  const workspaceFor = (scopeKey: string): string => join(workspaceRoot, workspaceDirName(scopeKey));

  /** Hidden paths as they are on the host right now (they may appear after start). */
  const layout = (): {
    hiddenDirs: string[];
    hiddenFiles: string[];
    keepFiles: string[];
    scratchDirs: string[];
    binds: { ro: string[]; rw: string[] };
  } => {
    const hiddenDirs: string[] = [];
    const hiddenFiles: string[] = [];
    const keepFiles: string[] = [];
    const scratchDirs = ['/tmp'];
    if (statSync('/var/tmp', { throwIfNoEntry: false })?.isDirectory() && realpathOrUndefined('/var/tmp') === '/var/tmp')
      scratchDirs.push('/var/tmp');
    // /run holds sockets (dbus, databases, container engines) that a read-only mount does not stop.
    const runDir = realpathOrUndefined('/run');
    const candidates = [...(runDir ? [runDir] : []), ...options.hiddenPaths];
    for (const path of candidates) {
      const real = realpathOrUndefined(path);
      if (real === undefined || real === '/') continue;
      const stat = statSync(real, { throwIfNoEntry: false });
      if (stat?.isDirectory()) hiddenDirs.push(real);
      else if (stat) hiddenFiles.push(real);
    }
    hiddenDirs.sort((a, b) => depthOf(a) - depthOf(b));
    const resolvConf = realpathOrUndefined('/etc/resolv.conf');
    if (resolvConf !== undefined && hiddenDirs.some((dir) => isWithin(resolvConf, dir))) keepFiles.push(resolvConf);
    const real = (paths: readonly string[]): string[] => paths.map((path) => realpathOrUndefined(path) ?? path);
    return {
      hiddenDirs: [...new Set(hiddenDirs)],
      hiddenFiles: [...new Set(hiddenFiles)],
      keepFiles,
      scratchDirs,
      binds: { ro: real(options.binds.ro), rw: real(options.binds.rw) },
    };
  };

  const ensureWorkspace = (dir: string): void => {
    mkdirSync(workspaceRoot, { recursive: true, mode: 0o700 });
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  };

  const runProbe = async (): Promise<SandboxProbe> => {
    const startedAt = Date.now();
    const base = {
      backend: 'bwrap' as const,
      mode: options.mode,
      network: options.network,
      workspaceRoot,
      hiddenPaths: Object.freeze([...options.hiddenPaths]),
      probedAt: startedAt,
    };
    const fail = (reason: string, version?: string, extra: Partial<SandboxProbe> = {}): SandboxProbe =>
      Object.freeze({
        ...base,
        ok: false,
        version,
        reason,
        namespaces: Object.freeze([]),
        isNoNewPrivileges: false,
        hasNoCapabilities: false,
        limits: Object.freeze({ maxProcesses: null, maxFileSizeBytes: null, cpuSeconds: null, addressSpaceBytes: null }),
        durationMs: Date.now() - startedAt,
        ...extra,
      });
    if (process.platform !== 'linux') return fail(`bwrap sandboxes need Linux (this is ${process.platform})`);
    const bwrapPath = resolveExecutable(options.bwrapPath, searchPath);
    if (bwrapPath === undefined)
      return fail(`bwrap not found ("${options.bwrapPath}"); install bubblewrap (Debian: apt-get install bubblewrap)`);
    const env = { PATH: searchPath ?? '/usr/bin:/bin' };
    const versionRun = await execa(bwrapPath, ['--version'], {
      timeout: options.probeTimeoutMs,
      reject: false,
      env,
      extendEnv: false,
      stdin: 'ignore',
    });
    const version = /bubblewrap\s+(\S+)/.exec(versionRun.stdout)?.[1];
    if (versionRun.exitCode !== 0 || version === undefined) {
      return fail(
        `"${bwrapPath} --version" did not answer like bubblewrap (${versionRun.timedOut ? 'timed out' : `exit ${versionRun.exitCode ?? versionRun.signal}`}: ${firstLine(versionRun.stderr || versionRun.stdout)})`,
      );
    }
    const hasLimits = prlimitFlags(limits).length > 0;
    const prlimitPath = hasLimits ? resolveExecutable(options.prlimitPath, searchPath) : undefined;
    if (hasLimits && prlimitPath === undefined)
      return fail(
        `prlimit not found ("${options.prlimitPath}"), so the limits cannot be applied; install util-linux or set every limit to null`,
        version,
      );

    const workspace = join(workspaceRoot, PROBE_DIR);
    try {
      ensureWorkspace(workspace);
    } catch (error) {
      return fail(`cannot create the workspace root ${workspaceRoot}: ${String(error)}`, version);
    }
    const paths = layout();
    // What must be invisible: a few real entries of every hidden directory and of the workspace root.
    const checks: string[] = [];
    const mountPoints = [workspaceRoot, ...paths.binds.ro, ...paths.binds.rw, ...paths.keepFiles];
    for (const dir of [...paths.hiddenDirs, workspaceRoot]) {
      let entries: string[] = [];
      try {
        entries = readdirSync(dir);
      } catch {
        entries = [];
      }
      const visibleOnPurpose = (entry: string): boolean => mountPoints.some((point) => isWithin(point, join(dir, entry)));
      for (const entry of entries.filter((name) => name !== PROBE_DIR && !visibleOnPurpose(name)).slice(0, 3))
        checks.push(`e:${join(dir, entry)}`);
    }
    for (const file of paths.hiddenFiles) checks.push(`s:${file}`);
    const args = buildBwrapArgs({
      workspace,
      workspaceRoot,
      ...paths,
      network: options.network,
      isNewSession: true,
      cwd: workspace,
      infoFd: undefined,
      limits,
      prlimitPath,
      command: ['/bin/sh', '-c', PROBE_SCRIPT, 'pincer-probe', ...checks],
    });
    const run = await execa(bwrapPath, args, {
      timeout: options.probeTimeoutMs,
      reject: false,
      env,
      extendEnv: false,
      stdin: 'ignore',
      cwd: workspace,
    });
    if (run.exitCode !== 0 || !run.stdout.includes('probe-done')) {
      return fail(
        `bwrap could not start a sandbox (${run.timedOut ? `timed out after ${options.probeTimeoutMs} ms` : `exit ${run.exitCode ?? run.signal}`}: ${firstLine(run.stderr) || 'no output'})`,
        version,
      );
    }
    const out = run.stdout;
    const namespaces = NAMESPACES.filter((name) => {
      const inside = new RegExp(`^ns ${name} (\\S+)$`, 'm').exec(out)?.[1];
      let outside: string | undefined;
      try {
        outside = readlinkSync(`/proc/self/ns/${name}`);
      } catch {
        outside = undefined;
      }
      return inside !== undefined && inside !== '' && outside !== undefined && inside !== outside;
    });
    const isNoNewPrivileges = /^NoNewPrivs:\s+1$/m.test(out);
    const hasNoCapabilities = /^CapEff:\s+0+$/m.test(out);
    const observed = parseLimitRows(out);
    const found = { namespaces: Object.freeze(namespaces), isNoNewPrivileges, hasNoCapabilities, limits: Object.freeze(observed) };
    const problems: string[] = [];
    for (const name of ['pid', 'mnt'] as const) if (!namespaces.includes(name)) problems.push(`no private ${name} namespace`);
    if (options.network === 'none' && !namespaces.includes('net')) problems.push('no private net namespace');
    if (!isNoNewPrivileges) problems.push('PR_SET_NO_NEW_PRIVS is not set');
    if (!hasNoCapabilities) problems.push('the shell keeps capabilities');
    for (const [key] of LIMIT_ROWS) {
      if (limits[key] !== null && observed[key] !== limits[key])
        problems.push(`limit ${key} is ${observed[key] ?? 'unlimited'}, not ${limits[key]}`);
    }
    for (const line of out.split('\n'))
      if (line.startsWith('visible ') || line === 'writable /')
        problems.push(line.startsWith('visible ') ? `hidden path ${line.slice(8)} is visible` : 'the host root is writable');
    if (problems.length > 0) return fail(`the sandbox did not hold: ${problems.join('; ')}`, version, found);
    return Object.freeze({ ...base, ...found, ok: true, version, reason: undefined, durationMs: Date.now() - startedAt });
  };

  const probe = (probeOptions: { refresh?: boolean } = {}): Promise<SandboxProbe> => {
    if (cached === undefined || probeOptions.refresh === true) {
      cached = runProbe().catch((error: unknown) => failedProbe(error));
    }
    return cached;
  };

  const failedProbe = (error: unknown): SandboxProbe =>
    Object.freeze({
      ok: false,
      backend: 'bwrap' as const,
      mode: options.mode,
      version: undefined,
      reason: `the probe failed: ${error instanceof Error ? error.message : String(error)}`,
      namespaces: Object.freeze([]),
      network: options.network,
      isNoNewPrivileges: false,
      hasNoCapabilities: false,
      limits: Object.freeze({ maxProcesses: null, maxFileSizeBytes: null, cpuSeconds: null, addressSpaceBytes: null }),
      workspaceRoot,
      hiddenPaths: Object.freeze([...options.hiddenPaths]),
      probedAt: Date.now(),
      durationMs: 0,
    });

  const prepare = async (request: SandboxLaunchRequest): Promise<SandboxDecision> => {
    if (options.mode === 'off') return { kind: 'unsandboxed', reason: 'sandbox mode is off' };
    const result = await probe();
    if (!result.ok) {
      const reason = result.reason ?? 'the sandbox probe failed';
      if (options.mode === 'required') {
        throw new ProcessRegistryError('SANDBOX_UNAVAILABLE', `The sandbox is required but unavailable: ${reason}. Nothing was started.`, {
          reason,
        });
      }
      return { kind: 'unsandboxed', reason: `sandbox unavailable: ${reason}` };
    }
    const bwrapPath = resolveExecutable(options.bwrapPath, searchPath);
    if (bwrapPath === undefined) {
      const reason = `bwrap not found ("${options.bwrapPath}") since the probe`;
      if (options.mode === 'required')
        throw new ProcessRegistryError('SANDBOX_UNAVAILABLE', `The sandbox is required but unavailable: ${reason}.`, { reason });
      return { kind: 'unsandboxed', reason: `sandbox unavailable: ${reason}` };
    }
    const workspace = workspaceFor(request.scopeKey);
    try {
      ensureWorkspace(workspace);
    } catch (error) {
      throw new ProcessRegistryError(
        'SPAWN_FAILED',
        `Cannot create the session workspace ${workspace}: ${error instanceof Error ? error.message : String(error)}.`,
        { cause: error },
      );
    }
    const paths = layout();
    let cwd = workspace;
    if (request.cwd !== undefined) {
      const wanted = isAbsolute(request.cwd) ? resolve(request.cwd) : resolve(workspace, request.cwd);
      const allowed = [workspace, ...paths.binds.ro, ...paths.binds.rw];
      if (!allowed.some((root) => isWithin(wanted, root))) {
        throw new ProcessRegistryError('INVALID_INPUT', `cwd ${request.cwd} is outside the session's sandbox (its workspace and binds).`, {
          field: 'cwd',
        });
      }
      cwd = wanted;
    }
    const infoFd = request.stdin === 'pty' ? undefined : (3 as const);
    const args = buildBwrapArgs({
      workspace,
      workspaceRoot,
      ...paths,
      network: options.network,
      // node-pty already makes the shell a session leader on its own terminal.
      isNewSession: request.stdin !== 'pty',
      cwd,
      infoFd,
      limits,
      prlimitPath: prlimitFlags(limits).length > 0 ? resolveExecutable(options.prlimitPath, searchPath) : undefined,
      command: [request.shell, '-c', request.command],
    });
    return {
      kind: 'sandboxed',
      launch: {
        file: bwrapPath,
        args,
        cwd,
        workspace,
        env: { HOME: workspace },
        infoFd,
        launcherOnlyEnvArgs: (name) => ['--unsetenv', name],
      },
    };
  };

  return { backend: 'bwrap', mode: options.mode, probe, workspaceFor, prepare };
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0]?.slice(0, 300) ?? '';
}
