/**
 * `@pincer/plugin-sdk/host` — for the gateway (or a test harness) only. Plugins have no reason
 * to import it: it binds the bash-sessions free functions to a registry and runs plugins.
 */
import { z } from 'zod';
import type { BashSessionsApi } from './bash-session-types.js';
import { createBashSessionView } from './bash-session-view.js';
import { deepFreeze } from './deep-freeze.js';
import { PluginSdkError } from './errors.js';
import { ensureHostSlot } from './host-binding.js';
import {
  afterToolCallEventSchema,
  beforeToolCallEventSchema,
  beforeToolCallResultSchema,
  pluginHookNameSchema,
  processExitEventSchema,
  sessionStartEventSchema,
  type BeforeToolCallEvent,
  type PluginHookEvents,
  type PluginHookHandler,
  type PluginHookName,
} from './hooks.js';
import {
  pluginCallerSchema,
  pluginDefinitionSchema,
  zodSchemaProblem,
  type PluginApi,
  type PluginCaller,
  type PluginDefinition,
  type PluginHttpMethod,
  type PluginHttpRequest,
  type PluginHttpRouteDefinition,
  type PluginLogger,
  type PluginRouteAuth,
  type PluginServiceDefinition,
  type PluginToolContext,
  type PluginToolDefinition,
} from './plugin.js';
import type { PluginHostExitEvent, PluginHostExitSource, PluginHostRegistry } from './registry-port.js';
import { matchRoutePath, parseRoutePath, renderRoutePath, type RouteSegment } from './route-path.js';

export type {
  PluginHostExitEvent,
  PluginHostExitSource,
  PluginHostRegistry,
  PluginHostRegistryRecord,
} from './registry-port.js';

/** Default time a hook handler may take before the host gives up on it, in ms. */
export const DEFAULT_HOOK_TIMEOUT_MS = 15_000;
/** Mount prefix of every plugin route: routes live under `/plugins/<id>`. */
export const PLUGIN_ROUTE_PREFIX = '/plugins';

const registrySchema = z.custom<PluginHostRegistry>(
  (value) =>
    typeof value === 'object' &&
    value !== null &&
    typeof (value as PluginHostRegistry).snapshot === 'function' &&
    typeof (value as PluginHostRegistry).killById === 'function',
  { error: 'registry must provide snapshot() and killById(id)' },
);

/** Schema of {@link BindPluginHostOptions}. */
export const bindPluginHostOptionsSchema = z.object({ registry: registrySchema });

/** Options of {@link bindPluginHost}. */
export interface BindPluginHostOptions {
  /** The gateway's process registry (`@pincer/process-registry`'s `ProcessRegistry` fits). */
  registry: PluginHostRegistry;
}

/** Removes the binding `bindPluginHost` made. Idempotent. */
export type PluginHostUnbind = () => void;

/**
 * Binds `loadBashSessions` / `killBashSession` from `@pincer/plugin-sdk/bash-sessions` to
 * `registry` for this whole process (all copies of the SDK agree, via a `Symbol.for` slot on
 * `globalThis`). Bindings stack: the latest live binding answers, and unbinding restores the
 * previous one. Call it once when the gateway starts; call the returned function on close.
 *
 * @throws PluginSdkError `INVALID_INPUT` if `registry` lacks `snapshot` / `killById`.
 */
export function bindPluginHost(options: BindPluginHostOptions): PluginHostUnbind {
  const parsed = bindPluginHostOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new PluginSdkError('INVALID_INPUT', 'bindPluginHost: registry must provide snapshot() and killById(id).', {
      field: 'registry',
      cause: parsed.error,
    });
  }
  return ensureHostSlot().bind(parsed.data.registry);
}

/** Options of {@link createPluginHost}. */
export interface PluginHostOptions {
  /** The gateway's process registry; backs `api.bashSessions` and (if it has `on`) `process_exit`. */
  registry: PluginHostRegistry & Partial<PluginHostExitSource>;
  /** Host logger; plugin lines arrive with a `plugin` field. Default: discards everything. */
  logger?: PluginLogger;
  /** Clock handed to plugins as `api.clock`, epoch ms. Default `Date.now`. */
  clock?: () => number;
  /** Per-handler hook timeout, ms (1–600000). Default {@link DEFAULT_HOOK_TIMEOUT_MS} (15 s). */
  hookTimeoutMs?: number;
  /** Subscribe to `registry.on('exit')` and feed `process_exit`. Default `true`. */
  subscribeProcessExit?: boolean;
}

/** Schema of {@link PluginHostOptions}. */
export const pluginHostOptionsSchema = z.object({
  registry: registrySchema,
  logger: z
    .custom<PluginLogger>(
      (value) =>
        typeof value === 'object' &&
        value !== null &&
        (['debug', 'info', 'warn', 'error'] as const).every((level) => typeof (value as PluginLogger)[level] === 'function'),
      { error: 'logger must provide debug, info, warn and error' },
    )
    .optional(),
  clock: z.custom<() => number>((value) => typeof value === 'function', { error: 'clock must be a function' }).optional(),
  hookTimeoutMs: z.number().int().min(1).max(600_000).optional(),
  subscribeProcessExit: z.boolean().optional(),
});

/** Options of {@link PluginHost.load}. */
export interface PluginLoadOptions {
  /** Raw plugin config; parsed by the plugin's `configSchema` (ignored without one). */
  config?: unknown;
}

/** What the host knows about a loaded plugin. */
export interface LoadedPluginInfo {
  readonly id: string;
  readonly name: string;
  readonly version: string | undefined;
  readonly description: string | undefined;
  /** Tool names it registered. */
  readonly tools: ReadonlyArray<string>;
  /** Routes it registered, with full mount paths. */
  readonly routes: ReadonlyArray<{ readonly method: PluginHttpMethod; readonly path: string }>;
  /** Service names it registered. */
  readonly services: ReadonlyArray<string>;
  /** Hooks it subscribed to (one entry per subscription). */
  readonly hooks: ReadonlyArray<PluginHookName>;
}

/** A plugin tool as the gateway sees it. */
export interface PluginHostTool {
  readonly pluginId: string;
  readonly name: string;
  readonly description: string;
  /** Zod schema of the arguments (AI SDK accepts it as `inputSchema`; `z.toJSONSchema` works too). */
  readonly parameters: z.ZodType;
  /**
   * Validates `rawParams` with `parameters`, then runs the plugin's `execute`. Does NOT run
   * `before_tool_call` / `after_tool_call`: the gateway runs those around every tool call.
   * @throws PluginSdkError `INVALID_INPUT` (field `params.<path>`), `HOST_DISPOSED`; rethrows the tool's own errors.
   */
  execute(rawParams: unknown, context?: Partial<PluginToolContext>): Promise<unknown>;
}

/** A plugin route as the gateway sees it. */
export interface PluginHostRoute {
  readonly pluginId: string;
  readonly method: PluginHttpMethod;
  /** Full mount path, e.g. `/plugins/shell-watchdog/shells/:id` (`:name` = parameter). */
  readonly path: string;
  readonly auth: PluginRouteAuth;
}

/** The request parts the gateway hands to {@link PluginRouteMatch.handle}. */
export interface PluginRouteRequestInput {
  /** Request headers (any case; arrays are joined with `, `). */
  headers?: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>;
  /** Parsed query string. */
  query?: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>;
  /** Parsed JSON body. */
  body?: unknown;
  /**
   * The caller the gateway authenticated (`gateway`-auth routes). Validated with
   * `pluginCallerSchema`; ignored (the handler sees `null`) on `plugin`-auth routes.
   */
  caller?: PluginCaller | null;
}

/** A normalized route response: the gateway sends `body` as JSON unless it is a string. */
export interface PluginRouteResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
}

/** Result of {@link PluginHost.matchRoute}. */
export interface PluginRouteMatch {
  readonly route: PluginHostRoute;
  readonly params: Readonly<Record<string, string>>;
  /**
   * Runs the plugin handler. Never throws: a failing handler or malformed response yields
   * 500 `{ error: { code: 'plugin_error', message } }` (details go to the host log).
   * Check `route.auth === 'gateway'` and authenticate BEFORE calling this.
   */
  handle(request?: PluginRouteRequestInput): Promise<PluginRouteResponse>;
}

/** Outcome of {@link PluginHost.runBeforeToolCall}. */
export type BeforeToolCallDecision =
  | { readonly blocked: false }
  | { readonly blocked: true; readonly reason: string; readonly pluginId: string };

/** Observer hooks the gateway fires with {@link PluginHost.emit}. */
export type PluginObserverHookName = Exclude<PluginHookName, 'before_tool_call'>;

/** Runs plugins for the gateway. Create with {@link createPluginHost}. */
export interface PluginHost {
  /**
   * Parses the plugin's config, runs `register(api)` and keeps what it registered — all or
   * nothing. Services start right away if the host is already started.
   * @throws PluginSdkError `INVALID_PLUGIN`, `INVALID_CONFIG`, `DUPLICATE_PLUGIN`, `DUPLICATE_TOOL`,
   *   `DUPLICATE_ROUTE`, `DUPLICATE_SERVICE`, `INVALID_INPUT`, `PLUGIN_REGISTER_FAILED`, `HOST_DISPOSED`.
   */
  load<TConfig>(plugin: PluginDefinition<TConfig>, options?: PluginLoadOptions): Promise<LoadedPluginInfo>;
  /** Loaded plugins, in load order. */
  plugins(): ReadonlyArray<LoadedPluginInfo>;
  /** Every plugin tool, in registration order. */
  tools(): ReadonlyArray<PluginHostTool>;
  /** Every plugin route, in registration order. */
  routes(): ReadonlyArray<PluginHostRoute>;
  /**
   * Finds the route for `method` + `path` (query string ignored). Static routes win over
   * parameterised ones. `undefined` means 404.
   */
  matchRoute(method: string, path: string): PluginRouteMatch | undefined;
  /**
   * Runs `before_tool_call` handlers in load order; the first `{ block: true }` wins. Fails
   * closed: a handler that throws, times out or answers malformed blocks the call.
   * @throws PluginSdkError `INVALID_INPUT` for a malformed event, `HOST_DISPOSED`.
   */
  runBeforeToolCall(event: BeforeToolCallEvent): Promise<BeforeToolCallDecision>;
  /**
   * Fires an observer hook; handlers run concurrently, each bounded by the hook timeout;
   * failures are logged, never thrown. Resolves when all handlers settled.
   * @throws PluginSdkError `INVALID_INPUT` for a malformed event, `HOST_DISPOSED`.
   */
  emit<H extends PluginObserverHookName>(hook: H, event: PluginHookEvents[H]): Promise<void>;
  /** Starts every registered service (load order). Failures are logged. Idempotent. */
  start(): Promise<void>;
  /**
   * Stops services (reverse order), unsubscribes from the registry and makes every `api`
   * fail with `NO_HOST`. Does not dispose the registry. Idempotent.
   */
  dispose(): Promise<void>;
}

interface HookEntry {
  readonly pluginId: string;
  readonly hook: PluginHookName;
  readonly handler: (event: unknown) => unknown;
}

interface RouteEntry {
  readonly route: PluginHostRoute;
  readonly segments: ReadonlyArray<RouteSegment>;
  readonly prefix: string;
  readonly handler: PluginHttpRouteDefinition['handler'];
  readonly isStatic: boolean;
}

interface ServiceEntry {
  readonly pluginId: string;
  readonly service: PluginServiceDefinition;
}

const TOOL_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const SERVICE_NAME = /^[a-z][a-z0-9-]{0,63}$/;
const HTTP_METHODS: ReadonlyArray<PluginHttpMethod> = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
const STRIPPED_GATEWAY_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization']);
const silentLogger: PluginLogger = Object.freeze({ debug() {}, info() {}, warn() {}, error() {} });
const observerSchemas = {
  session_start: sessionStartEventSchema,
  after_tool_call: afterToolCallEventSchema,
  process_exit: processExitEventSchema,
} as const;

/**
 * Creates a plugin host over the gateway's registry. The host runs each plugin's
 * `register(api)`, collects its tools, routes, services and hooks, and lets the gateway mount and
 * fire them. It does not touch the global bash-sessions binding: call {@link bindPluginHost} too.
 *
 * @example
 * const host = createPluginHost({ registry, logger });
 * const unbind = bindPluginHost({ registry });
 * await host.load(shellWatchdog, { config: { maxRuntimeMs: 600_000 } });
 * await host.start();
 * // …on close:
 * await host.dispose(); unbind();
 * @throws PluginSdkError `INVALID_INPUT` (with `field`) for malformed options.
 */
export function createPluginHost(options: PluginHostOptions): PluginHost {
  const parsedOptions = pluginHostOptionsSchema.safeParse(options);
  if (!parsedOptions.success) {
    const issue = parsedOptions.error.issues[0];
    const field = issue?.path.join('.') || 'options';
    throw new PluginSdkError('INVALID_INPUT', `createPluginHost: ${field}: ${issue?.message ?? 'invalid options'}.`, {
      field,
      cause: parsedOptions.error,
    });
  }
  const registry = options.registry;
  const hostLogger = options.logger ?? silentLogger;
  const clock = options.clock ?? Date.now;
  const hookTimeoutMs = options.hookTimeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS;

  const plugins = new Map<string, LoadedPluginInfo>();
  const reservedIds = new Set<string>();
  const tools = new Map<string, PluginHostTool>();
  const routes: RouteEntry[] = [];
  const hooks: HookEntry[] = [];
  const services: ServiceEntry[] = [];
  const runningServices: ServiceEntry[] = [];
  let isStarted = false;
  let isDisposed = false;

  const log = (level: keyof PluginLogger, message: string, fields?: Readonly<Record<string, unknown>>): void => {
    try {
      hostLogger[level](message, fields);
    } catch {
      // A broken logger must not take the host down.
    }
  };

  const hostRegistry = (): PluginHostRegistry => {
    if (isDisposed) {
      throw new PluginSdkError('NO_HOST', 'The plugin host was disposed: bash sessions are no longer available to this plugin.');
    }
    return registry;
  };
  const bashSessions: BashSessionsApi = createBashSessionView(hostRegistry);

  const assertLive = (method: string): void => {
    if (isDisposed) throw new PluginSdkError('HOST_DISPOSED', `${method}: the plugin host was disposed.`);
  };

  const startService = async (entry: ServiceEntry): Promise<void> => {
    try {
      await entry.service.start();
      runningServices.push(entry);
    } catch (error) {
      log('error', `plugin service "${entry.service.name}" failed to start`, { plugin: entry.pluginId, error: describe(error) });
    }
  };

  let unsubscribeExit: (() => void) | undefined;
  if (options.subscribeProcessExit !== false && typeof registry.on === 'function') {
    const off = registry.on('exit', (event: PluginHostExitEvent) => {
      if (isDisposed || !hooks.some((h) => h.hook === 'process_exit')) return;
      host.emit('process_exit', toProcessExitEvent(event)).catch((error: unknown) => {
        log('warn', 'could not deliver process_exit to plugins', { error: describe(error) });
      });
    });
    if (typeof off === 'function') unsubscribeExit = () => void off();
  }

  const host: PluginHost = {
    async load<TConfig>(plugin: PluginDefinition<TConfig>, loadOptions: PluginLoadOptions = {}): Promise<LoadedPluginInfo> {
      assertLive('load');
      const definition = pluginDefinitionSchema.safeParse(plugin);
      if (!definition.success) {
        const issue = definition.error.issues[0];
        const field = issue?.path.join('.') || 'plugin';
        throw new PluginSdkError('INVALID_PLUGIN', `load: ${field}: ${issue?.message ?? 'invalid plugin'}.`, {
          field,
          cause: definition.error,
        });
      }
      const id = plugin.id;
      if (plugins.has(id) || reservedIds.has(id)) {
        throw new PluginSdkError('DUPLICATE_PLUGIN', `load: a plugin with id "${id}" is already loaded.`, { field: 'id' });
      }
      let config: TConfig | undefined;
      if (plugin.configSchema) {
        const parsedConfig = plugin.configSchema.safeParse(loadOptions.config);
        if (!parsedConfig.success) {
          const issue = parsedConfig.error.issues[0];
          const field = ['config', ...(issue?.path ?? [])].join('.');
          throw new PluginSdkError('INVALID_CONFIG', `load: plugin "${id}" config: ${field}: ${issue?.message ?? 'invalid'}.`, {
            field,
            cause: parsedConfig.error,
          });
        }
        config = parsedConfig.data;
      } else if (loadOptions.config !== undefined) {
        log('warn', `plugin "${id}" declares no configSchema; its config was ignored`, { plugin: id });
      }

      reservedIds.add(id);
      const pending = {
        tools: [] as PluginHostTool[],
        routes: [] as RouteEntry[],
        services: [] as ServiceEntry[],
        hooks: [] as HookEntry[],
      };
      let isOpen = true;
      const assertOpen = (method: string): void => {
        if (isDisposed) throw new PluginSdkError('NO_HOST', `${method}: the plugin host was disposed.`);
        if (!isOpen) {
          throw new PluginSdkError('REGISTRATION_CLOSED', `${method}: plugin "${id}" can only register during register(api).`);
        }
      };
      const mountPrefix = `${PLUGIN_ROUTE_PREFIX}/${id}`;
      const pluginLogger: PluginLogger = Object.freeze({
        debug: (message: string, fields?: Readonly<Record<string, unknown>>) => log('debug', message, { ...fields, plugin: id }),
        info: (message: string, fields?: Readonly<Record<string, unknown>>) => log('info', message, { ...fields, plugin: id }),
        warn: (message: string, fields?: Readonly<Record<string, unknown>>) => log('warn', message, { ...fields, plugin: id }),
        error: (message: string, fields?: Readonly<Record<string, unknown>>) => log('error', message, { ...fields, plugin: id }),
      });

      const api: PluginApi<TConfig> = Object.freeze({
        id,
        name: plugin.name ?? id,
        version: plugin.version,
        config: config as TConfig,
        logger: pluginLogger,
        clock: () => clock(),
        bashSessions,
        registerTool<TParams, TResult>(tool: PluginToolDefinition<TParams, TResult>): void {
          assertOpen('registerTool');
          const valid = validateTool(tool);
          if (tools.has(valid.name) || pending.tools.some((t) => t.name === valid.name)) {
            throw new PluginSdkError('DUPLICATE_TOOL', `registerTool: a tool named "${valid.name}" is already registered.`, {
              field: 'name',
            });
          }
          pending.tools.push(createHostTool(id, tool, assertLive));
        },
        registerHttpRoute(route: PluginHttpRouteDefinition): void {
          assertOpen('registerHttpRoute');
          const entry = validateRoute(id, mountPrefix, route);
          if (pending.routes.some((r) => r.route.method === entry.route.method && r.route.path === entry.route.path)) {
            throw new PluginSdkError(
              'DUPLICATE_ROUTE',
              `registerHttpRoute: ${entry.route.method} ${entry.route.path} is already registered.`,
              {
                field: 'path',
              },
            );
          }
          pending.routes.push(entry);
        },
        registerService(service: PluginServiceDefinition): void {
          assertOpen('registerService');
          validateService(service);
          if (pending.services.some((s) => s.service.name === service.name)) {
            throw new PluginSdkError('DUPLICATE_SERVICE', `registerService: a service named "${service.name}" is already registered.`, {
              field: 'name',
            });
          }
          pending.services.push({ pluginId: id, service });
        },
        on<H extends PluginHookName>(hook: H, handler: PluginHookHandler<H>): void {
          assertOpen('on');
          if (!pluginHookNameSchema.safeParse(hook).success) {
            throw new PluginSdkError('INVALID_INPUT', `on: unknown hook "${String(hook)}".`, { field: 'hook' });
          }
          if (typeof handler !== 'function') {
            throw new PluginSdkError('INVALID_INPUT', 'on: handler must be a function.', { field: 'handler' });
          }
          pending.hooks.push({ pluginId: id, hook, handler: handler as (event: unknown) => unknown });
        },
      });

      try {
        await plugin.register(api);
      } catch (error) {
        throw new PluginSdkError('PLUGIN_REGISTER_FAILED', `load: plugin "${id}" failed in register(api): ${describe(error)}.`, {
          cause: error,
        });
      } finally {
        isOpen = false;
        reservedIds.delete(id);
      }
      assertLive('load');
      // Another plugin may have taken a tool name while this register() awaited.
      for (const tool of pending.tools) {
        if (tools.has(tool.name)) {
          throw new PluginSdkError('DUPLICATE_TOOL', `load: a tool named "${tool.name}" is already registered.`, { field: 'name' });
        }
      }

      for (const tool of pending.tools) tools.set(tool.name, tool);
      routes.push(...pending.routes);
      hooks.push(...pending.hooks);
      services.push(...pending.services);
      const info: LoadedPluginInfo = deepFreeze({
        id,
        name: plugin.name ?? id,
        version: plugin.version,
        description: plugin.description,
        tools: pending.tools.map((t) => t.name),
        routes: pending.routes.map((r) => ({ method: r.route.method, path: r.route.path })),
        services: pending.services.map((s) => s.service.name),
        hooks: pending.hooks.map((h) => h.hook),
      });
      plugins.set(id, info);
      log('info', `plugin "${id}" loaded`, { plugin: id, tools: info.tools.length, routes: info.routes.length });
      if (isStarted) {
        for (const entry of pending.services) await startService(entry);
      }
      return info;
    },

    plugins: () => Object.freeze([...plugins.values()]),
    tools: () => Object.freeze([...tools.values()]),
    routes: () => Object.freeze(routes.map((r) => r.route)),

    matchRoute(method: string, path: string): PluginRouteMatch | undefined {
      if (isDisposed || typeof method !== 'string' || typeof path !== 'string') return undefined;
      const upper = method.toUpperCase();
      const requestPath = path.split('?')[0] ?? '';
      let best: { entry: RouteEntry; params: Record<string, string> } | undefined;
      for (const entry of routes) {
        if (entry.route.method !== upper) continue;
        const params = matchRoutePath(entry.prefix, entry.segments, requestPath);
        if (!params) continue;
        if (entry.isStatic) {
          best = { entry, params };
          break;
        }
        best ??= { entry, params };
      }
      if (!best) return undefined;
      const { entry, params } = best;
      const frozenParams = Object.freeze({ ...params });
      return Object.freeze({
        route: entry.route,
        params: frozenParams,
        handle: (request: PluginRouteRequestInput = {}) => handleRoute(entry, requestPath, frozenParams, request),
      });
    },

    async runBeforeToolCall(event: BeforeToolCallEvent): Promise<BeforeToolCallDecision> {
      assertLive('runBeforeToolCall');
      const frozenEvent = parseEvent(beforeToolCallEventSchema, event, 'runBeforeToolCall');
      for (const entry of hooks) {
        if (entry.hook !== 'before_tool_call') continue;
        const outcome = await runBounded(() => entry.handler(frozenEvent), hookTimeoutMs);
        const failClosed = (why: string): BeforeToolCallDecision => {
          log('error', `before_tool_call hook ${why}; blocking the call`, { plugin: entry.pluginId, tool: frozenEvent.toolName });
          return Object.freeze({
            blocked: true,
            reason: `Blocked: the before_tool_call hook of plugin "${entry.pluginId}" ${why}.`,
            pluginId: entry.pluginId,
          });
        };
        if (outcome.kind === 'timeout') return failClosed(`timed out after ${hookTimeoutMs} ms`);
        if (outcome.kind === 'error') return failClosed(`failed (${describe(outcome.error)})`);
        const answer = beforeToolCallResultSchema.safeParse(outcome.value);
        if (!answer.success) return failClosed('returned a malformed answer');
        if (answer.data && answer.data.block === true) {
          return Object.freeze({ blocked: true, reason: answer.data.reason, pluginId: entry.pluginId });
        }
      }
      return Object.freeze({ blocked: false });
    },

    async emit<H extends PluginObserverHookName>(hook: H, event: PluginHookEvents[H]): Promise<void> {
      assertLive('emit');
      const schema = (observerSchemas as Record<string, z.ZodType | undefined>)[hook];
      if (!schema) throw new PluginSdkError('INVALID_INPUT', `emit: "${String(hook)}" is not an observer hook.`, { field: 'hook' });
      const frozenEvent = parseEvent(schema, event, 'emit');
      await Promise.all(
        hooks
          .filter((entry) => entry.hook === hook)
          .map(async (entry) => {
            const outcome = await runBounded(() => entry.handler(frozenEvent), hookTimeoutMs);
            if (outcome.kind === 'timeout') log('warn', `${hook} hook timed out after ${hookTimeoutMs} ms`, { plugin: entry.pluginId });
            if (outcome.kind === 'error') log('warn', `${hook} hook failed`, { plugin: entry.pluginId, error: describe(outcome.error) });
          }),
      );
    },

    async start(): Promise<void> {
      assertLive('start');
      if (isStarted) return;
      isStarted = true;
      for (const entry of services) await startService(entry);
    },

    async dispose(): Promise<void> {
      if (isDisposed) return;
      isDisposed = true;
      unsubscribeExit?.();
      for (const entry of runningServices.splice(0).reverse()) {
        try {
          await entry.service.stop?.();
        } catch (error) {
          log('warn', `plugin service "${entry.service.name}" failed to stop`, { plugin: entry.pluginId, error: describe(error) });
        }
      }
      tools.clear();
      routes.length = 0;
      hooks.length = 0;
      services.length = 0;
    },
  };

  async function handleRoute(
    entry: RouteEntry,
    path: string,
    params: Readonly<Record<string, string>>,
    input: PluginRouteRequestInput,
  ): Promise<PluginRouteResponse> {
    const failure = (why: string, error?: unknown): PluginRouteResponse => {
      log('error', `plugin route ${entry.route.method} ${entry.route.path} ${why}`, {
        plugin: entry.route.pluginId,
        ...(error === undefined ? {} : { error: describe(error) }),
      });
      return Object.freeze({
        status: 500,
        headers: Object.freeze({}),
        body: { error: { code: 'plugin_error', message: `Plugin "${entry.route.pluginId}" failed to handle the request.` } },
      });
    };
    if (isDisposed) return failure('called after the host was disposed');
    let caller: PluginCaller | null = null;
    if (entry.route.auth === 'gateway' && input.caller !== undefined && input.caller !== null) {
      const parsedCaller = pluginCallerSchema.safeParse(input.caller);
      // A malformed caller is a gateway bug: fail closed rather than run the handler unscoped.
      if (!parsedCaller.success) return failure('was given a malformed caller by the host', parsedCaller.error);
      caller = parsedCaller.data as PluginCaller;
    }
    const request: PluginHttpRequest = deepFreeze({
      method: entry.route.method,
      path,
      params: { ...params },
      query: normalizeQuery(input.query),
      headers: normalizeHeaders(input.headers, entry.route.auth === 'gateway'),
      body: cloneBody(input.body),
      caller,
    });
    let response: unknown;
    try {
      response = await entry.handler(request);
    } catch (error) {
      return failure('threw', error);
    }
    const parsed = routeResponseSchema.safeParse(response);
    if (!parsed.success) return failure('returned a malformed response', parsed.error);
    return Object.freeze({
      status: parsed.data.status ?? 200,
      headers: Object.freeze({ ...parsed.data.headers }),
      body: parsed.data.body,
    });
  }

  return Object.freeze(host);
}

const routeResponseSchema = z.object({
  status: z.number().int().min(100).max(599).optional(),
  headers: z.record(z.string(), z.string()).optional(),
  body: z.unknown().optional(),
});

function validateTool(tool: PluginToolDefinition<unknown, unknown> | unknown): { name: string } {
  const candidate = tool as Partial<PluginToolDefinition<unknown, unknown>> | null;
  const fail = (field: string, why: string): never => {
    throw new PluginSdkError('INVALID_INPUT', `registerTool: ${field} ${why}.`, { field });
  };
  if (typeof candidate !== 'object' || candidate === null) return fail('tool', 'must be an object');
  if (typeof candidate.name !== 'string' || !TOOL_NAME.test(candidate.name))
    return fail('name', 'must match ^[A-Za-z][A-Za-z0-9_-]{0,63}$');
  if (typeof candidate.description !== 'string' || candidate.description.length < 1 || candidate.description.length > 2000) {
    return fail('description', 'must be 1–2000 characters');
  }
  const parametersProblem = zodSchemaProblem(candidate.parameters);
  if (parametersProblem !== undefined) return fail('parameters', parametersProblem);
  if (typeof candidate.execute !== 'function') return fail('execute', 'must be a function');
  return { name: candidate.name };
}

function createHostTool<TParams, TResult>(
  pluginId: string,
  tool: PluginToolDefinition<TParams, TResult>,
  assertLive: (method: string) => void,
): PluginHostTool {
  return Object.freeze({
    pluginId,
    name: tool.name,
    description: tool.description,
    parameters: tool.parameters as z.ZodType,
    async execute(rawParams: unknown, context: Partial<PluginToolContext> = {}): Promise<unknown> {
      assertLive(`tool ${tool.name}`);
      const parsed = tool.parameters.safeParse(rawParams);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const field = ['params', ...(issue?.path ?? []).map(String)].join('.');
        throw new PluginSdkError('INVALID_INPUT', `${tool.name}: ${field}: ${issue?.message ?? 'invalid arguments'}.`, {
          field,
          cause: parsed.error,
        });
      }
      const toolContext: PluginToolContext = Object.freeze({
        sessionKey: context.sessionKey,
        agentId: context.agentId,
        toolCallId: context.toolCallId,
        signal: context.signal,
      });
      return tool.execute(parsed.data, toolContext);
    },
  });
}

function validateRoute(pluginId: string, prefix: string, route: PluginHttpRouteDefinition | unknown): RouteEntry {
  const candidate = route as Partial<PluginHttpRouteDefinition> | null;
  const fail = (field: string, why: string): never => {
    throw new PluginSdkError('INVALID_INPUT', `registerHttpRoute: ${field} ${why}.`, { field });
  };
  if (typeof candidate !== 'object' || candidate === null) return fail('route', 'must be an object');
  if (!HTTP_METHODS.includes(candidate.method as PluginHttpMethod)) return fail('method', `must be one of ${HTTP_METHODS.join(', ')}`);
  const auth = candidate.auth ?? 'gateway';
  if (auth !== 'gateway' && auth !== 'plugin') return fail('auth', 'must be "gateway" or "plugin"');
  if (typeof candidate.handler !== 'function') return fail('handler', 'must be a function');
  const segments = parseRoutePath(candidate.path);
  return Object.freeze({
    route: Object.freeze({
      pluginId,
      method: candidate.method as PluginHttpMethod,
      path: renderRoutePath(prefix, segments),
      auth,
    }),
    segments,
    prefix,
    handler: candidate.handler,
    isStatic: segments.every((s) => s.kind === 'static'),
  });
}

function validateService(service: PluginServiceDefinition | unknown): void {
  const candidate = service as Partial<PluginServiceDefinition> | null;
  const invalid = (field: string, why: string) => new PluginSdkError('INVALID_INPUT', `registerService: ${field} ${why}.`, { field });
  if (typeof candidate !== 'object' || candidate === null) throw invalid('service', 'must be an object');
  if (typeof candidate.name !== 'string' || !SERVICE_NAME.test(candidate.name)) throw invalid('name', 'must match ^[a-z][a-z0-9-]{0,63}$');
  if (typeof candidate.start !== 'function') throw invalid('start', 'must be a function');
  if (candidate.stop !== undefined && typeof candidate.stop !== 'function') throw invalid('stop', 'must be a function');
}

function parseEvent<T>(schema: z.ZodType<T>, event: unknown, method: string): T {
  const parsed = schema.safeParse(event);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = ['event', ...(issue?.path ?? []).map(String)].join('.');
    throw new PluginSdkError('INVALID_INPUT', `${method}: ${field}: ${issue?.message ?? 'invalid event'}.`, {
      field,
      cause: parsed.error,
    });
  }
  try {
    // Each plugin gets a frozen copy: one plugin cannot alter what the next one (or the gateway) sees.
    return deepFreeze(structuredClone(parsed.data));
  } catch (error) {
    throw new PluginSdkError('INVALID_INPUT', `${method}: the event must be structured-cloneable plain data.`, {
      field: 'event',
      cause: error,
    });
  }
}

function toProcessExitEvent(event: PluginHostExitEvent): PluginHookEvents['process_exit'] {
  return {
    id: event.id,
    scopeKey: event.scopeKey,
    sessionKey: event.sessionKey,
    status: event.status,
    exitCode: event.exitCode,
    signal: event.signal,
    durationMs: event.durationMs,
    tail: event.tail,
  };
}

type BoundedOutcome = { kind: 'ok'; value: unknown } | { kind: 'error'; error: unknown } | { kind: 'timeout' };

async function runBounded(run: () => unknown, timeoutMs: number): Promise<BoundedOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<BoundedOutcome>((resolve) => {
    // biome-ignore lint/style/noRestrictedGlobals: a wall-clock bound on a plugin's own code (a hung hook), not scheduled work an injected clock should drive.
    timer = setTimeout(() => resolve({ kind: 'timeout' }), timeoutMs);
  });
  const work = (async (): Promise<BoundedOutcome> => {
    try {
      return { kind: 'ok', value: await run() };
    } catch (error) {
      return { kind: 'error', error };
    }
  })();
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function normalizeHeaders(headers: PluginRouteRequestInput['headers'], stripCredentials: boolean): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const lower = name.toLowerCase();
    if (stripCredentials && STRIPPED_GATEWAY_HEADERS.has(lower)) continue;
    if (value === undefined) continue;
    out[lower] = typeof value === 'string' ? value : value.join(', ');
  }
  return out;
}

function normalizeQuery(query: PluginRouteRequestInput['query']): Record<string, string | ReadonlyArray<string>> {
  const out: Record<string, string | ReadonlyArray<string>> = {};
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value === undefined) continue;
    out[name] = typeof value === 'string' ? value : [...value];
  }
  return out;
}

function cloneBody(body: unknown): unknown {
  if (body === undefined) return undefined;
  try {
    return structuredClone(body);
  } catch {
    return undefined;
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
