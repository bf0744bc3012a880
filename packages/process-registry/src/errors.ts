const MARKER = Symbol.for('@pincer/process-registry/ProcessRegistryError');

/**
 * Every error code the registry throws.
 * - `PROCESS_NOT_FOUND`: no session with that id in the caller's scope (a session of another scope
 *   answers exactly like a missing one).
 * - `PROCESS_NOT_RUNNING`: the session exists in the caller's scope but has already exited.
 * - `PROCESS_RUNNING`: the action needs a finished session (`clear`).
 * - `STDIN_NOT_WRITABLE`: the session was not started with `stdin: 'pipe' | 'pty'`, or stdin was closed.
 * - `LIMIT_EXCEEDED`: the registry already runs `maxRunning` sessions.
 * - `INVALID_INPUT`: an input failed validation (the message names the field).
 * - `SPAWN_FAILED`: the registry cannot start processes of the requested kind (the PTY module does not
 *   load on this host, a sandboxed shell's workspace cannot be created). A command that fails to spawn
 *   (missing cwd, …) is a `failed` result instead.
 * - `KILL_FAILED`: processes of the tree survived SIGKILL for longer than `killConfirmTimeoutMs`.
 * - `DISPOSED`: the registry was disposed.
 * - `SANDBOX_UNAVAILABLE`: the sandbox mode is `required` and the sandbox probe failed (`reason`
 *   carries the probe's reason); nothing was started.
 * - `UNSUPPORTED_PLATFORM`: not Linux, or no procfs at `procRoot`: kills could not be confirmed.
 */
export type ProcessRegistryErrorCode =
  | 'PROCESS_NOT_FOUND'
  | 'PROCESS_NOT_RUNNING'
  | 'PROCESS_RUNNING'
  | 'STDIN_NOT_WRITABLE'
  | 'LIMIT_EXCEEDED'
  | 'INVALID_INPUT'
  | 'SPAWN_FAILED'
  | 'KILL_FAILED'
  | 'DISPOSED'
  | 'SANDBOX_UNAVAILABLE'
  | 'UNSUPPORTED_PLATFORM';

/** The one error class of `@pincer/process-registry`; check with `ProcessRegistryError.isInstance(e)`. */
export class ProcessRegistryError extends Error {
  /** Machine-readable reason. */
  readonly code: ProcessRegistryErrorCode;
  /** Name of the offending input field, for `INVALID_INPUT`. */
  readonly field: string | undefined;
  /** The sandbox probe's reason, for `SANDBOX_UNAVAILABLE`. */
  readonly reason: string | undefined;
  private readonly [MARKER] = true;

  constructor(code: ProcessRegistryErrorCode, message: string, options?: { cause?: unknown; field?: string; reason?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ProcessRegistryError';
    this.code = code;
    this.field = options?.field;
    this.reason = options?.reason;
  }

  /** True for any `ProcessRegistryError`, even one from another copy of this package. */
  static isInstance(value: unknown): value is ProcessRegistryError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[MARKER] === true;
  }
}

/** The answer for a missing id and for another scope's id alike: same code, same message. */
export function notFound(id: string): ProcessRegistryError {
  return new ProcessRegistryError('PROCESS_NOT_FOUND', `No process session "${id}" in this scope.`);
}
