import { z } from 'zod';
import type { BashSessionsApi } from './bash-session-types.js';
import { PluginSdkError } from './errors.js';
import type { PluginHookHandler, PluginHookName } from './hooks.js';

/** Structured logger handed to plugins (`api.logger`); every line is tagged with the plugin id. */
export interface PluginLogger {
  debug(message: string, fields?: Readonly<Record<string, unknown>>): void;
  info(message: string, fields?: Readonly<Record<string, unknown>>): void;
  warn(message: string, fields?: Readonly<Record<string, unknown>>): void;
  error(message: string, fields?: Readonly<Record<string, unknown>>): void;
}

/** Context the host passes to a tool's `execute`. Fields are `undefined` when not applicable. */
export interface PluginToolContext {
  /** Session key of the run that called the tool. */
  readonly sessionKey: string | undefined;
  /** Agent id of the run that called the tool. */
  readonly agentId: string | undefined;
  /** Model-assigned id of this tool call. */
  readonly toolCallId: string | undefined;
  /** Aborted when the run is cancelled. */
  readonly signal: AbortSignal | undefined;
}

/** A tool the model can call. `parameters` (zod) validates the arguments before `execute`. */
export interface PluginToolDefinition<TParams = unknown, TResult = unknown> {
  /** Tool name shown to the model: `^[A-Za-z][A-Za-z0-9_-]{0,63}$`, unique across plugins. */
  readonly name: string;
  /** What the tool does, for the model (1–2000 characters). */
  readonly description: string;
  /** Zod schema of the arguments. */
  readonly parameters: z.ZodType<TParams>;
  /** Runs the tool with validated arguments; the result should be JSON-serializable. */
  execute(params: TParams, context: PluginToolContext): TResult | Promise<TResult>;
}

/** HTTP methods a plugin route may use. */
export type PluginHttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * Who authenticates a plugin route:
 * - `gateway` (default) — the gateway requires its bearer token before the handler runs; the
 *   handler never sees the `authorization` or `cookie` headers.
 * - `plugin` — the request reaches the handler unauthenticated, headers intact; the plugin
 *   must authenticate it itself.
 */
export type PluginRouteAuth = 'gateway' | 'plugin';

/** What a caller's credential is bound to; `null` for the unscoped operator credential. */
export interface PluginCallerScope {
  /** Only this agent's sessions. */
  readonly agentId?: string;
  /** Only this session (a canonical session key). */
  readonly sessionKey?: string;
  /** Only sessions whose canonical key starts with this prefix. */
  readonly sessionKeyPrefix?: string;
}

/** The authenticated caller of a `gateway`-auth plugin route (frozen). */
export interface PluginCaller {
  /** Id of the credential that authenticated the request (never the secret). */
  readonly credentialId: string;
  /** `operator` = the state dir's token (everything); `scoped` = a minted, bounded token. */
  readonly kind: 'operator' | 'scoped';
  /** What the credential may reach; `null` = unscoped (the operator). */
  readonly scope: PluginCallerScope | null;
  /** Capabilities of the credential (e.g. `sessions:read`, `processes:kill`). */
  readonly capabilities: readonly string[];
}

/** zod schema of {@link PluginCaller} (what the host accepts from the gateway). */
export const pluginCallerSchema = z
  .object({
    credentialId: z.string().min(1).max(200),
    kind: z.enum(['operator', 'scoped']),
    scope: z
      .object({
        agentId: z.string().min(1).optional(),
        sessionKey: z.string().min(1).optional(),
        sessionKeyPrefix: z.string().min(1).optional(),
      })
      .strict()
      .nullable(),
    capabilities: z.array(z.string().min(1).max(100)).max(100),
  })
  .strict();

/** A request as a plugin route handler sees it (frozen). */
export interface PluginHttpRequest {
  /** Upper-case HTTP method. */
  readonly method: PluginHttpMethod;
  /** Full request path, e.g. `/plugins/<id>/shells/abc`, without the query string. */
  readonly path: string;
  /** Values of `:name` segments of the route path, URL-decoded. */
  readonly params: Readonly<Record<string, string>>;
  /** Parsed query string. */
  readonly query: Readonly<Record<string, string | ReadonlyArray<string>>>;
  /** Lower-case request headers (minus `authorization`/`cookie` on `gateway`-auth routes). */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** Parsed JSON body, if any. */
  readonly body: unknown;
  /**
   * Who is calling: on a `gateway`-auth route the credential the gateway authenticated (its
   * id, kind, scope and capabilities) — check the scope before touching a session. Always
   * `null` on a `plugin`-auth route (the plugin authenticates the request itself), and `null`
   * when the host was given no caller (gateways older than this SDK version).
   */
  readonly caller: PluginCaller | null;
}

/** What a plugin route handler returns. */
export interface PluginHttpResponse {
  /** HTTP status; default 200. */
  status?: number;
  /** Extra response headers. */
  headers?: Record<string, string>;
  /** Response body: a string is sent as-is, anything else as JSON. */
  body?: unknown;
}

/** Handles one request to a plugin route. */
export type PluginHttpHandler = (request: PluginHttpRequest) => PluginHttpResponse | Promise<PluginHttpResponse>;

/** An HTTP route, mounted by the gateway under `/plugins/<plugin id>` + `path`. */
export interface PluginHttpRouteDefinition {
  /** HTTP method. */
  readonly method: PluginHttpMethod;
  /**
   * Path relative to the plugin's mount point: starts with `/`; segments of `[A-Za-z0-9._~-]`
   * or `:name` parameters; no `.`/`..` segments, no empty segments, at most 256 characters.
   */
  readonly path: string;
  /** Who authenticates the route; default `gateway`. */
  readonly auth?: PluginRouteAuth;
  /** The handler. */
  readonly handler: PluginHttpHandler;
}

/** A background service a plugin runs while the host is started (e.g. a watchdog timer). */
export interface PluginServiceDefinition {
  /** Name, unique within the plugin (`^[a-z][a-z0-9-]{0,63}$`). */
  readonly name: string;
  /** Called by `host.start()` (or at load time when the host is already started). */
  start(): void | Promise<void>;
  /** Called by `host.dispose()`, in reverse start order. */
  stop?(): void | Promise<void>;
}

/** Everything a plugin may touch. Plugins see only what this object hands them. */
export interface PluginApi<TConfig = undefined> {
  /** The plugin's id. */
  readonly id: string;
  /** Display name (defaults to the id). */
  readonly name: string;
  /** Plugin version, if declared. */
  readonly version: string | undefined;
  /** The plugin's config, parsed by its `configSchema` (`undefined` without one). */
  readonly config: TConfig;
  /** Logger tagged with the plugin id. */
  readonly logger: PluginLogger;
  /** The host's clock: epoch milliseconds. */
  readonly clock: () => number;
  /** Read-only bash-session snapshots and the kill helper, bound to this host's registry. */
  readonly bashSessions: BashSessionsApi;
  /** Registers a tool (only during `register`). */
  registerTool<TParams, TResult>(tool: PluginToolDefinition<TParams, TResult>): void;
  /** Registers an HTTP route under `/plugins/<id>` (only during `register`). */
  registerHttpRoute(route: PluginHttpRouteDefinition): void;
  /** Registers a background service (only during `register`). */
  registerService(service: PluginServiceDefinition): void;
  /** Subscribes to a lifecycle hook (only during `register`). */
  on<H extends PluginHookName>(hook: H, handler: PluginHookHandler<H>): void;
}

/** A plugin as `definePlugin` returns it (frozen). */
export interface PluginDefinition<TConfig = undefined> {
  /** Plugin id: lower-case kebab-case, `^[a-z][a-z0-9-]{0,63}$`; also its HTTP mount segment. */
  readonly id: string;
  /** Display name. */
  readonly name?: string | undefined;
  /** Version string. */
  readonly version?: string | undefined;
  /** One-line description. */
  readonly description?: string | undefined;
  /** Zod schema of the plugin's config; the host parses the config with it before `register`. */
  readonly configSchema?: z.ZodType<TConfig> | undefined;
  /** Registers the plugin's tools, routes, services and hooks. May be async. */
  register(api: PluginApi<TConfig>): void | Promise<void>;
}

/**
 * True for a zod (v4) schema. Duck-typed rather than `instanceof`, so a plugin that bundles its
 * own copy of zod still passes.
 */
export function isZodSchema(value: unknown): value is z.ZodType {
  return zodSchemaProblem(value) === undefined;
}

/**
 * Internal: why `value` is not a zod 4 schema the SDK can use, or `undefined` when it is. A
 * zod 3 schema (it has `_def` but no `_zod`, the zod 4 internals) gets a message that names
 * the mismatch instead of a generic "not a schema".
 */
export function zodSchemaProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'must be a zod schema';
  const internals = (value as { _zod?: { version?: { major?: unknown } } })._zod;
  if (internals === undefined) {
    if ('_def' in value && typeof (value as { safeParse?: unknown }).safeParse === 'function') {
      return 'was built with zod 3; @pincer/plugin-sdk needs zod 4 (install zod@^4, or import { z } from "zod/v4" with zod 3.25)';
    }
    return 'must be a zod schema';
  }
  const major = internals.version?.major;
  if (typeof major === 'number' && major !== 4) return `was built with zod ${major}; @pincer/plugin-sdk needs zod 4`;
  if (typeof (value as { safeParse?: unknown }).safeParse !== 'function') return 'must be a zod schema';
  return undefined;
}

/** Maximum plugin id length, in characters. */
export const PLUGIN_ID_MAX_LENGTH = 64;

/** Schema of a plugin id. */
export const pluginIdSchema = z
  .string({ error: 'id must be a string' })
  .regex(/^[a-z][a-z0-9-]{0,63}$/, { error: 'id must be lower-case kebab-case: ^[a-z][a-z0-9-]{0,63}$' });

/** Schema of the data fields of a plugin definition (passed to `definePlugin`). */
export const pluginDefinitionSchema = z.object({
  id: pluginIdSchema,
  name: z.string().min(1).max(200).optional(),
  version: z.string().min(1).max(100).optional(),
  description: z.string().max(2000).optional(),
  configSchema: z
    .custom<z.ZodType>(isZodSchema, { error: (issue) => `configSchema ${zodSchemaProblem(issue.input) ?? 'must be a zod schema'}` })
    .optional(),
  register: z.custom<(api: unknown) => unknown>((value) => typeof value === 'function', {
    error: 'register must be a function',
  }),
});

/**
 * Declares a plugin. Validates the definition and returns it frozen; the gateway's plugin host
 * later runs `register(api)`.
 *
 * @example
 * export default definePlugin({
 *   id: 'hello',
 *   register(api) {
 *     api.registerHttpRoute({ method: 'GET', path: '/hi', handler: () => ({ body: { hi: true } }) });
 *   },
 * });
 * @throws PluginSdkError `INVALID_PLUGIN` (with `field`) for a malformed definition.
 */
export function definePlugin<TConfig = undefined>(definition: PluginDefinition<TConfig>): PluginDefinition<TConfig> {
  const parsed = pluginDefinitionSchema.safeParse(definition);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue && issue.path.length > 0 ? issue.path.join('.') : undefined;
    throw new PluginSdkError(
      'INVALID_PLUGIN',
      `definePlugin: ${field ? `${field}: ` : ''}${issue?.message ?? 'invalid definition'}.`,
      field === undefined ? { cause: parsed.error } : { field, cause: parsed.error },
    );
  }
  const frozen: PluginDefinition<TConfig> = {
    id: definition.id,
    name: definition.name,
    version: definition.version,
    description: definition.description,
    configSchema: definition.configSchema,
    register: definition.register,
  };
  return Object.freeze(frozen);
}
