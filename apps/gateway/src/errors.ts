/** Codes a {@link GatewayError} can carry; each maps to one HTTP status. */
export type GatewayErrorCode =
  | 'invalid_request'
  | 'invalid_config'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'rate_limited'
  | 'conflict'
  | 'unavailable'
  | 'storage_full'
  | 'internal';

const MARKER = Symbol.for('@pincer/gateway/GatewayError');

const STATUS: Record<GatewayErrorCode, number> = {
  invalid_request: 400,
  invalid_config: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  rate_limited: 429,
  unavailable: 503,
  storage_full: 507,
  internal: 500,
};

/**
 * The gateway's one error class. `code` is machine-readable, `message` says what to do,
 * `field` names the offending JSON path (validation errors), `status` is the HTTP status.
 */
export class GatewayError extends Error {
  readonly code: GatewayErrorCode;
  readonly field: string | undefined;
  readonly status: number;
  private readonly [MARKER] = true;

  constructor(code: GatewayErrorCode, message: string, options?: { field?: string; cause?: unknown }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'GatewayError';
    this.code = code;
    this.field = options?.field;
    this.status = STATUS[code];
  }

  /** True for any GatewayError, even one from another copy of this module. */
  static isInstance(value: unknown): value is GatewayError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[MARKER] === true;
  }

  /** The JSON body the HTTP API answers with. */
  toBody(): { error: { code: string; message: string; field?: string } } {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.field !== undefined ? { field: this.field } : {}),
      },
    };
  }
}

/** Shorthand for the uniform "not found" answer (also used for other sessions' objects). */
export function notFound(what: string): GatewayError {
  return new GatewayError('not_found', `${what} not found`);
}

/** Format a zod issue path as a JSON path such as `agents[0].id`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out === '' ? '(root)' : out;
}
