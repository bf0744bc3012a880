import { SessionKeyError } from '@pincer/session-key';

const MARKER = Symbol.for('pincer.cli.error');

/**
 * Every failure the CLI reports. `USAGE` and `VALIDATION` exit with 2; all others exit with 1.
 * - `USAGE`: bad flags or arguments (commander errors, conflicting options).
 * - `VALIDATION`: input rejected before anything is sent (session keys, blank selectors,
 *   message checks), a 400/413/422 from the gateway, or the embedded runtime's `invalid_request` /
 *   `invalid_config`.
 * - `GATEWAY_UNAVAILABLE`: no gateway answered at the discovered URL.
 * - `UNAUTHORIZED` / `FORBIDDEN` / `RATE_LIMITED` / `NOT_FOUND`: the gateway's 401/403/429/404.
 * - `GATEWAY_ERROR`: any other non-2xx answer or an unreadable body.
 * - `RUN_FAILED`: the agent turn ended with status `error`.
 * - `TIMEOUT`: the wait for a reply exceeded `--timeout`.
 * - `INTERNAL`: anything unexpected (a bug).
 */
export type CliErrorCode =
  | 'USAGE'
  | 'VALIDATION'
  | 'GATEWAY_UNAVAILABLE'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'RATE_LIMITED'
  | 'NOT_FOUND'
  | 'GATEWAY_ERROR'
  | 'RUN_FAILED'
  | 'TIMEOUT'
  | 'INTERRUPTED'
  | 'INTERNAL';

/**
 * The stable `error.code` of a `--json` error document: what scripts branch on. It refines the
 * category (`type`): e.g. `type: "validation"` with `code: "AGENT_MISMATCH"`. New codes may be
 * added; existing ones keep their meaning.
 */
export type CliStableCode =
  | 'USAGE'
  | 'VALIDATION'
  | 'SESSION_KEY_MALFORMED'
  | 'AGENT_MISMATCH'
  | 'AGENT_UNKNOWN'
  | 'AGENT_SELECTION_REQUIRED'
  | 'SELECTOR_BLANK'
  | 'MESSAGE_MISSING'
  | 'MESSAGE_TOO_LARGE'
  | 'FILE_UNREADABLE'
  | 'DURATION_INVALID'
  | 'CONFIG_INVALID'
  | 'CONFIG_NOT_FOUND'
  | 'GATEWAY_UNREACHABLE'
  | 'GATEWAY_NOT_RUNNING'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'RATE_LIMITED'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'GATEWAY_ERROR'
  | 'RUN_FAILED'
  | 'TIMEOUT'
  | 'INTERRUPTED'
  | 'INTERNAL';

/** The default stable code of each category. */
const DEFAULT_STABLE_CODE: Record<CliErrorCode, CliStableCode> = {
  USAGE: 'USAGE',
  VALIDATION: 'VALIDATION',
  GATEWAY_UNAVAILABLE: 'GATEWAY_UNREACHABLE',
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  RATE_LIMITED: 'RATE_LIMITED',
  NOT_FOUND: 'NOT_FOUND',
  GATEWAY_ERROR: 'GATEWAY_ERROR',
  RUN_FAILED: 'RUN_FAILED',
  TIMEOUT: 'TIMEOUT',
  INTERRUPTED: 'INTERRUPTED',
  INTERNAL: 'INTERNAL',
};

/** Options for {@link CliError}. */
export interface CliErrorOptions {
  /** The underlying error, kept for `PINCER_DEBUG=1`. */
  cause?: unknown;
  /** The request field a validation error names (from the gateway's `error.field`). */
  field?: string;
  /** The stable `--json` code; default: the category's (`GATEWAY_UNAVAILABLE` → `GATEWAY_UNREACHABLE`, else the same name). */
  stableCode?: CliStableCode;
  /** Extra fields for the `--json` error document (e.g. `runId`, `hint`, `issues`). */
  details?: Record<string, unknown>;
}

/** The single error class of the CLI; `code` decides the exit status and the JSON `type`. */
export class CliError extends Error {
  /** What went wrong, as a literal union. */
  readonly code: CliErrorCode;
  /** The request field a validation error names, when known. */
  readonly field: string | undefined;
  /** The stable code `--json` prints as `error.code`. */
  readonly stableCode: CliStableCode;
  /** Extra fields of the `--json` error document. */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: CliErrorCode, message: string, options: CliErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
    this.code = code;
    this.field = options.field;
    this.stableCode = options.stableCode ?? DEFAULT_STABLE_CODE[code];
    this.details = options.details;
    Object.defineProperty(this, MARKER, { value: true });
  }

  /** True for any `CliError`, even one created by another copy of this module. */
  static isInstance(value: unknown): value is CliError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[MARKER] === true;
  }
}

/** Exit status for an error code: 2 for usage/validation, 130 for an interruption, 1 for everything else. */
export function exitCodeFor(code: CliErrorCode): 1 | 2 | 130 {
  if (code === 'INTERRUPTED') return 130;
  return code === 'USAGE' || code === 'VALIDATION' ? 2 : 1;
}

/** The `--json` error `type` for a code: the code in lower case (`VALIDATION` → `validation`). */
export function errorTypeFor(code: CliErrorCode): string {
  return code.toLowerCase();
}

/**
 * Turns anything thrown into a `CliError`. Errors from `@pincer/session-key` and zod become
 * `VALIDATION` (they are rejections of the user's input); unknown errors become `INTERNAL`.
 */
export function toCliError(error: unknown): CliError {
  if (CliError.isInstance(error)) return error;
  if (isSessionKeyError(error)) {
    return new CliError('VALIDATION', error.message, { cause: error, stableCode: SESSION_KEY_CODES[error.code] ?? 'VALIDATION' });
  }
  if (error instanceof Error) {
    return new CliError('INTERNAL', error.message || error.name, { cause: error });
  }
  return new CliError('INTERNAL', String(error));
}

const SESSION_KEY_CODES: Partial<Record<string, CliStableCode>> = {
  MALFORMED_AGENT_KEY: 'SESSION_KEY_MALFORMED',
  MALFORMED_SESSION_KEY: 'SESSION_KEY_MALFORMED',
  AGENT_MISMATCH: 'AGENT_MISMATCH',
  UNKNOWN_AGENT: 'AGENT_UNKNOWN',
  BLANK_SELECTOR: 'SELECTOR_BLANK',
  NO_AGENT_ID: 'AGENT_SELECTION_REQUIRED',
};

function isSessionKeyError(error: unknown): error is SessionKeyError {
  return SessionKeyError.isInstance(error);
}
