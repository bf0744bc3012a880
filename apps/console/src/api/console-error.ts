/** Codes of a {@link ConsoleError}. */
export type ConsoleErrorCode =
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'rate_limited'
  | 'unavailable'
  | 'invalid_request'
  | 'network'
  | 'invalid_response'
  | 'http';

const MARKER = Symbol.for('@pincer/console/ConsoleError');

/** The console's one error class: what an API call failed with (`status` 0 = no answer). */
export class ConsoleError extends Error {
  readonly code: ConsoleErrorCode;
  readonly status: number;
  readonly [MARKER] = true;

  constructor(code: ConsoleErrorCode, message: string, options: { status?: number; cause?: unknown } = {}) {
    super(message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'ConsoleError';
    this.code = code;
    this.status = options.status ?? 0;
  }

  /** True for any ConsoleError. */
  static isInstance(value: unknown): value is ConsoleError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[MARKER] === true;
  }
}

/** The code an HTTP status maps to. */
export function codeForStatus(status: number): ConsoleErrorCode {
  if (status === 400) return 'invalid_request';
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 409) return 'conflict';
  if (status === 429) return 'rate_limited';
  if (status === 503) return 'unavailable';
  return 'http';
}
