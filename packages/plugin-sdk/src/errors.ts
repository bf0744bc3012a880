const PLUGIN_SDK_ERROR_MARKER = Symbol.for('@pincer/plugin-sdk/PluginSdkError');

/**
 * Every failure code a {@link PluginSdkError} can carry.
 *
 * - `NO_HOST` — a bash-sessions function ran outside a bound plugin host (no running gateway),
 *   or a plugin used its `api` after the host was disposed.
 * - `INVALID_INPUT` — an argument failed validation (`field` names the offending path).
 * - `INVALID_PLUGIN` — `definePlugin` received a malformed definition.
 * - `INVALID_CONFIG` — the plugin's config did not match its `configSchema`.
 * - `DUPLICATE_PLUGIN` / `DUPLICATE_TOOL` / `DUPLICATE_ROUTE` / `DUPLICATE_SERVICE` — a second
 *   registration under a name that is already taken.
 * - `REGISTRATION_CLOSED` — a `register*` / `on` call after `register(api)` returned.
 * - `PLUGIN_REGISTER_FAILED` — the plugin's `register(api)` threw; nothing it registered is kept.
 * - `INVALID_SNAPSHOT` — the host registry returned a snapshot that is not a valid DTO.
 * - `KILL_FAILED` — the host registry's kill ceremony failed for another reason than "not found".
 * - `HOST_DISPOSED` — a host method ran after `dispose()`.
 */
export type PluginSdkErrorCode =
  | 'NO_HOST'
  | 'INVALID_INPUT'
  | 'INVALID_PLUGIN'
  | 'INVALID_CONFIG'
  | 'DUPLICATE_PLUGIN'
  | 'DUPLICATE_TOOL'
  | 'DUPLICATE_ROUTE'
  | 'DUPLICATE_SERVICE'
  | 'REGISTRATION_CLOSED'
  | 'PLUGIN_REGISTER_FAILED'
  | 'INVALID_SNAPSHOT'
  | 'KILL_FAILED'
  | 'HOST_DISPOSED';

/** Options accepted by the {@link PluginSdkError} constructor. */
export interface PluginSdkErrorOptions {
  /** Dotted path of the offending input field, when one field is to blame. */
  field?: string | undefined;
  /** The underlying error, if any. */
  cause?: unknown | undefined;
}

/**
 * The one error class of `@pincer/plugin-sdk`. Check with {@link PluginSdkError.isInstance}
 * (works across duplicate copies of the package) rather than `instanceof`.
 */
export class PluginSdkError extends Error {
  /** Machine-readable failure code. */
  readonly code: PluginSdkErrorCode;
  /** Dotted path of the offending input field, when one field is to blame. */
  readonly field: string | undefined;
  private readonly [PLUGIN_SDK_ERROR_MARKER] = true;

  constructor(code: PluginSdkErrorCode, message: string, options: PluginSdkErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PluginSdkError';
    this.code = code;
    this.field = options.field;
  }

  /** True when `value` is a `PluginSdkError` from any copy of this package. */
  static isInstance(value: unknown): value is PluginSdkError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[PLUGIN_SDK_ERROR_MARKER] === true;
  }
}
