import { z } from 'zod';

/** Lifecycle status of a background shell, as the host registry reports it. */
export type BashSessionStatus = 'running' | 'completed' | 'failed' | 'killed' | 'timeout';

/** Terminal statuses: every status except `running`. */
export type FinishedBashSessionStatus = Exclude<BashSessionStatus, 'running'>;

/**
 * An immutable copy of one background shell's state. Deep-frozen: assigning to any field throws a
 * `TypeError` in strict mode and never changes the registry. Holds only plain data — no
 * `ChildProcess`, stdin, stream or live buffer is reachable from it.
 */
export interface BashSessionSnapshot {
  /** Registry-assigned process id (not the OS pid). */
  readonly id: string;
  /** OS process id of the tree's root, or `undefined` when the process never spawned. */
  readonly pid: number | undefined;
  /** Isolation scope the shell belongs to (usually a session key or `agent:<id>`). */
  readonly scopeKey: string;
  /** Session key that started the shell, when known. */
  readonly sessionKey: string | undefined;
  /** The command line as submitted. */
  readonly command: string;
  /** Working directory the command ran in. */
  readonly cwd: string;
  /** Start time, epoch milliseconds. */
  readonly startedAt: number;
  /** End time, epoch milliseconds; `undefined` while running. */
  readonly endedAt: number | undefined;
  /** Lifecycle status. */
  readonly status: BashSessionStatus;
  /** Exit code, `null` while running or when ended by a signal. */
  readonly exitCode: number | null;
  /** Terminating signal name (e.g. `SIGTERM`), `null` otherwise. */
  readonly signal: string | null;
  /** Copy of the retained tail of combined output (bounded by the registry's tail cap). */
  readonly tail: string;
  /** True when older output was dropped from the registry's retained buffer. */
  readonly truncated: boolean;
  /** Whether the shell runs in a sandbox, and why not when it does not. */
  readonly sandbox: BashSessionSandboxStatus;
}

/**
 * Whether one shell runs sandboxed, as the host registry reports it (the real outcome of its
 * probe, not the configuration): `backend` is `bwrap` when sandboxed; `reason` says why not.
 */
export interface BashSessionSandboxStatus {
  /** True when the shell runs inside the host's sandbox (its own PID and mount namespaces). */
  readonly isSandboxed: boolean;
  /** `bwrap` when sandboxed, `undefined` otherwise. */
  readonly backend: 'bwrap' | undefined;
  /** Why the shell is not sandboxed (mode `off`, the probe's failure, no sandbox configured). */
  readonly reason: string | undefined;
}

/** A shell that has ended: `endedAt` is set and `status` is terminal. */
export interface FinishedBashSessionSnapshot extends BashSessionSnapshot {
  /** End time, epoch milliseconds. */
  readonly endedAt: number;
  /** Terminal status. */
  readonly status: FinishedBashSessionStatus;
}

/** What {@link loadBashSessions} returns: deep-frozen arrays of deep-frozen snapshots. */
export interface BashSessions {
  /** Shells still running (or being torn down) at the moment of the call. */
  readonly running: ReadonlyArray<BashSessionSnapshot>;
  /** Shells that ended and are still retained by the registry (bounded by its TTL and caps). */
  readonly finished: ReadonlyArray<FinishedBashSessionSnapshot>;
}

/**
 * Outcome of {@link killBashSession}:
 * - `killed` — the process tree was signalled and is gone; `signal` names the last signal sent.
 * - `already-exited` — the shell had already ended; nothing was signalled.
 * - `not-found` — no shell with that id is known to this host (unknown, expired, or owned by
 *   another host). Indistinguishable on purpose.
 */
export interface BashSessionKillResult {
  /** What happened. */
  readonly status: 'killed' | 'already-exited' | 'not-found';
  /** Last signal sent to the tree (e.g. `SIGTERM`, `SIGKILL`), when one was sent. */
  readonly signal?: string;
}

/** Maximum accepted length of a bash-session id, in characters. */
export const BASH_SESSION_ID_MAX_LENGTH = 256;

/** Validates a bash-session id argument: a non-blank string of at most 256 characters. */
export const bashSessionIdSchema = z
  .string({ error: 'id must be a string' })
  .max(BASH_SESSION_ID_MAX_LENGTH, { error: `id must be at most ${BASH_SESSION_ID_MAX_LENGTH} characters` })
  .refine((value) => value.trim().length > 0, { error: 'id must not be blank' });

/** Schema of {@link BashSessionStatus}. */
export const bashSessionStatusSchema = z.enum(['running', 'completed', 'failed', 'killed', 'timeout']);

/** Schema of {@link FinishedBashSessionStatus}. */
export const finishedBashSessionStatusSchema = z.enum(['completed', 'failed', 'killed', 'timeout']);

/** Schema of {@link BashSessionSandboxStatus}. Unknown keys are stripped. */
export const bashSessionSandboxStatusSchema = z.object({
  isSandboxed: z.boolean(),
  backend: z.union([z.literal('bwrap'), z.undefined()]),
  reason: z.union([z.string(), z.undefined()]),
});

const snapshotShape = {
  id: z.string().min(1),
  pid: z.union([z.number().int().nonnegative(), z.undefined()]),
  scopeKey: z.string(),
  sessionKey: z.union([z.string(), z.undefined()]),
  command: z.string(),
  cwd: z.string(),
  startedAt: z.number().finite(),
  endedAt: z.union([z.number().finite(), z.undefined()]),
  status: bashSessionStatusSchema,
  exitCode: z.union([z.number().int(), z.null()]),
  signal: z.union([z.string(), z.null()]),
  tail: z.string(),
  truncated: z.boolean(),
  sandbox: bashSessionSandboxStatusSchema,
};

/**
 * Schema of {@link BashSessionSnapshot}. Unknown keys are stripped, which is how the SDK
 * guarantees no internal field of the registry record crosses into a plugin.
 */
export const bashSessionSnapshotSchema = z.object(snapshotShape);

/** Schema of {@link FinishedBashSessionSnapshot}. */
export const finishedBashSessionSnapshotSchema = z.object({
  ...snapshotShape,
  endedAt: z.number().finite(),
  status: finishedBashSessionStatusSchema,
});

/** Schema of {@link BashSessionKillResult}. */
export const bashSessionKillResultSchema = z.object({
  status: z.enum(['killed', 'already-exited', 'not-found']),
  signal: z.string().optional(),
});

/** The two bash-session operations, as free functions or as `api.bashSessions`. */
export interface BashSessionsApi {
  /**
   * Returns deep-frozen copies of every shell the host's registry knows about, across all
   * scopes. Synchronous; each call is a fresh snapshot of live state.
   * @throws PluginSdkError `NO_HOST` outside a bound host, `INVALID_SNAPSHOT` if the registry
   *   returned malformed data.
   */
  loadBashSessions(): BashSessions;
  /**
   * Kills one shell's whole process tree through the registry's own kill ceremony (the code the
   * `process` tool's `kill` uses) and resolves only once the tree is gone.
   * @param id registry process id (as in {@link BashSessionSnapshot.id}).
   * @throws PluginSdkError `NO_HOST`, `INVALID_INPUT` (bad id), `KILL_FAILED`.
   */
  killBashSession(id: string): Promise<BashSessionKillResult>;
}
