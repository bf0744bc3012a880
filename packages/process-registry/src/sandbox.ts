import { createHash } from 'node:crypto';
import { isAbsolute } from 'node:path';
import { z } from 'zod';

/**
 * How a registry uses its sandbox:
 * - `required`: a shell that cannot be sandboxed is refused (`SANDBOX_UNAVAILABLE`, with the probe's reason);
 * - `auto` (default): sandboxed when the probe succeeded, else unsandboxed with the reason recorded;
 * - `off`: never sandboxed (explicit, reported as such).
 */
export const SandboxModeSchema = z.enum(['required', 'auto', 'off']);
/** @see SandboxModeSchema */
export type SandboxMode = z.infer<typeof SandboxModeSchema>;

/** `host`: the host's network namespace (default); `none`: a private one with only loopback. */
export const SandboxNetworkSchema = z.enum(['host', 'none']);
/** @see SandboxNetworkSchema */
export type SandboxNetwork = z.infer<typeof SandboxNetworkSchema>;

const absolutePath = z
  .string()
  .min(1)
  .refine((value) => isAbsolute(value), 'must be an absolute path')
  .refine((value) => value !== '/', 'must not be the root directory');

/** Default per-shell resource limits (see the README's defaults-and-limits table). */
export const DEFAULT_SANDBOX_LIMITS = Object.freeze({
  maxProcesses: 1_024,
  maxFileSizeBytes: 4 * 1024 ** 3,
  cpuSeconds: 3_600,
  addressSpaceBytes: 8 * 1024 ** 3,
});

/**
 * Per-shell resource limits (setrlimit, soft = hard, applied with util-linux `prlimit` inside the
 * sandbox, so the shell cannot raise them). `null` leaves a limit as the gateway has it.
 */
export const SandboxLimitsSchema = z.object({
  /** RLIMIT_NPROC: processes **of the gateway's uid** (all of them, not only this shell's); not enforced for uid 0. */
  maxProcesses: z.number().int().min(1).max(4_194_304).nullable().default(DEFAULT_SANDBOX_LIMITS.maxProcesses),
  /** RLIMIT_FSIZE: largest file a process may write, bytes (SIGXFSZ beyond). */
  maxFileSizeBytes: z.number().int().min(1).nullable().default(DEFAULT_SANDBOX_LIMITS.maxFileSizeBytes),
  /** RLIMIT_CPU: CPU seconds per process (SIGXCPU, then SIGKILL). */
  cpuSeconds: z.number().int().min(1).nullable().default(DEFAULT_SANDBOX_LIMITS.cpuSeconds),
  /** RLIMIT_AS: address space per process, bytes (allocations fail beyond). */
  addressSpaceBytes: z
    .number()
    .int()
    .min(16 * 1024 ** 2)
    .nullable()
    .default(DEFAULT_SANDBOX_LIMITS.addressSpaceBytes),
});
/** Parsed limits with defaults applied. */
export type SandboxLimits = z.output<typeof SandboxLimitsSchema>;

/** Options of `createBwrapSandbox`. */
export const BwrapSandboxOptionsSchema = z.object({
  /** Default `auto`. */
  mode: SandboxModeSchema.default('auto'),
  /** The bwrap binary: absolute, or a name looked up on the gateway's `PATH`; default `bwrap`. */
  bwrapPath: z.string().min(1).default('bwrap'),
  /** util-linux `prlimit` (applies `limits`): absolute or looked up on `PATH`; default `prlimit`. */
  prlimitPath: z.string().min(1).default('prlimit'),
  /** Parent of the per-session workspaces (created 0700); hidden from every shell but for its own workspace. */
  workspaceRoot: absolutePath,
  /** Default `host`: see the README for why and what it exposes. */
  network: SandboxNetworkSchema.default('host'),
  /** Extra host paths bound at the same path: `ro` read-only, `rw` writable. */
  binds: z
    .object({ ro: z.array(absolutePath).max(256).default([]), rw: z.array(absolutePath).max(256).default([]) })
    .default({ ro: [], rw: [] }),
  /** Host paths no shell may see (state dir, config dir, …): a directory is covered by an empty tmpfs, a file by `/dev/null`. */
  hiddenPaths: z.array(absolutePath).max(256).default([]),
  limits: SandboxLimitsSchema.default(DEFAULT_SANDBOX_LIMITS),
  /** Bound on each probe run of bwrap, ms. */
  probeTimeoutMs: z.number().int().min(100).max(120_000).default(10_000),
});
/** Input of `createBwrapSandbox`. */
export type BwrapSandboxOptions = z.input<typeof BwrapSandboxOptionsSchema>;

/** Whether one shell runs sandboxed, as every snapshot, journal record and exec result reports it. */
export type SandboxStatus = Readonly<{
  isSandboxed: boolean;
  /** `bwrap` when sandboxed. */
  backend: 'bwrap' | undefined;
  /** Why it is not sandboxed (`mode off`, the probe's failure, no sandbox configured). */
  reason: string | undefined;
}>;

/** What a probe found: a real bwrap run with the configured arguments, not the configuration alone. */
export type SandboxProbe = Readonly<{
  ok: boolean;
  backend: 'bwrap';
  mode: SandboxMode;
  /** bwrap's version (`0.8.0`), when it ran. */
  version: string | undefined;
  /** Why the sandbox is unusable; undefined when `ok`. */
  reason: string | undefined;
  /** Namespaces the probe saw unshared from the gateway's: `pid`, `mnt`, `ipc`, `uts`, `cgroup`, `net`. */
  namespaces: readonly string[];
  network: SandboxNetwork;
  /** The probe's shell had PR_SET_NO_NEW_PRIVS set (`NoNewPrivs: 1`). */
  isNoNewPrivileges: boolean;
  /** The probe's shell had no effective capabilities (`CapEff: 0`). */
  hasNoCapabilities: boolean;
  /** Limits as the probe's shell had them (`/proc/self/limits`), in the option's units; null = not set. */
  limits: SandboxLimits;
  workspaceRoot: string;
  hiddenPaths: readonly string[];
  /** Epoch ms. */
  probedAt: number;
  durationMs: number;
}>;

/** What the registry asks a sandbox to run. */
export interface SandboxLaunchRequest {
  readonly scopeKey: string;
  readonly shell: string;
  readonly command: string;
  /** The exec's own `cwd`, if any: must lie inside the workspace or a bind. */
  readonly cwd: string | undefined;
  /** stdin wiring of the shell: under `pty` bwrap gets no `--new-session` and no info fd. */
  readonly stdin: 'closed' | 'pipe' | 'pty';
}

/** How to start one sandboxed shell. */
export interface SandboxLaunch {
  readonly file: string;
  readonly args: readonly string[];
  /** Host directory the launcher starts in (also the shell's cwd inside the sandbox). */
  readonly cwd: string;
  /** The session's workspace (the shell's `HOME`). */
  readonly workspace: string;
  /** Variables the sandbox sets over the child's environment (`HOME`). */
  readonly env: Readonly<Record<string, string>>;
  /** bwrap writes its JSON info (`child-pid`, `pid-namespace`) on fd 3. */
  readonly infoFd: 3 | undefined;
  /**
   * Launcher arguments (put before `args`) that keep the variable `name` to the launcher: the shell
   * inside never gets it. The registry uses them for its marker, so a sandbox whose pid never reached
   * the journal (a crash right after the spawn) can still be found on the host by its launcher.
   */
  readonly launcherOnlyEnvArgs: (name: string) => readonly string[];
}

/** A sandbox's decision for one spawn. */
export type SandboxDecision =
  | { readonly kind: 'sandboxed'; readonly launch: SandboxLaunch }
  | { readonly kind: 'unsandboxed'; readonly reason: string };

/** A sandbox backend; create one with `createBwrapSandbox` and hand it to `createProcessRegistry` (or one `exec`). */
export interface Sandbox {
  readonly backend: 'bwrap';
  readonly mode: SandboxMode;
  /** Runs bwrap once with the configured arguments (cached; `refresh` runs it again). */
  probe(options?: { refresh?: boolean }): Promise<SandboxProbe>;
  /** The workspace directory of a scope: `<workspaceRoot>/<first 32 hex of sha256(scopeKey)>`. */
  workspaceFor(scopeKey: string): string;
  /** Decides one spawn. Throws `SANDBOX_UNAVAILABLE` in `required` mode when the probe failed, `INVALID_INPUT` for a cwd outside the sandbox's writable or bound paths. */
  prepare(request: SandboxLaunchRequest): Promise<SandboxDecision>;
}

/** True for an object that implements `Sandbox` (used to validate options). */
export function isSandbox(value: unknown): value is Sandbox {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<Sandbox>;
  return typeof candidate.prepare === 'function' && typeof candidate.probe === 'function' && typeof candidate.workspaceFor === 'function';
}

/** Directory name of a scope's workspace: the first 32 hex digits of sha256(scopeKey). */
export function workspaceDirName(scopeKey: string): string {
  return createHash('sha256').update(scopeKey, 'utf8').digest('hex').slice(0, 32);
}
