const MARKER = Symbol.for('@pincer/heartbeat-router/HeartbeatRouterError');

/**
 * Error codes raised by `@pincer/heartbeat-router`.
 * - `INVALID_INPUT`: an argument failed its zod schema (the message names the field).
 * - `AGENT_MISMATCH`: an explicit `agentId` does not own the given session key.
 * - `JOB_NOT_FOUND`: no cron job has that id.
 * - `JOB_EXISTS`: a cron job with that id already exists.
 * - `INVALID_SCHEDULE`: a cron schedule cannot be computed (bad ISO time, duration or expression).
 * - `NOT_STARTED`: the cron scheduler was used before `start()` resolved.
 * - `DISPOSED`: the instance was disposed.
 */
export type HeartbeatRouterErrorCode =
  | 'INVALID_INPUT'
  | 'AGENT_MISMATCH'
  | 'JOB_NOT_FOUND'
  | 'JOB_EXISTS'
  | 'INVALID_SCHEDULE'
  | 'NOT_STARTED'
  | 'DISPOSED';

/** The one error class of this package; `code` tells what went wrong, `message` what to do. */
export class HeartbeatRouterError extends Error {
  readonly code: HeartbeatRouterErrorCode;
  /** JSON-ish path of the offending input field, when there is one. */
  readonly field: string | undefined;
  private readonly [MARKER] = true;

  constructor(code: HeartbeatRouterErrorCode, message: string, options: { cause?: unknown | undefined; field?: string | undefined } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HeartbeatRouterError';
    this.code = code;
    this.field = options.field;
  }

  /** True for any `HeartbeatRouterError`, even one from another copy of this package. */
  static isInstance(value: unknown): value is HeartbeatRouterError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[MARKER] === true;
  }
}
