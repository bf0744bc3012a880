export { PluginSdkError } from './errors.js';
export type { PluginSdkErrorCode, PluginSdkErrorOptions } from './errors.js';
export { definePlugin, pluginCallerSchema, pluginDefinitionSchema, pluginIdSchema, PLUGIN_ID_MAX_LENGTH } from './plugin.js';
export type {
  PluginApi,
  PluginCaller,
  PluginCallerScope,
  PluginDefinition,
  PluginHttpHandler,
  PluginHttpMethod,
  PluginHttpRequest,
  PluginHttpResponse,
  PluginHttpRouteDefinition,
  PluginLogger,
  PluginRouteAuth,
  PluginServiceDefinition,
  PluginToolContext,
  PluginToolDefinition,
} from './plugin.js';
export {
  afterToolCallEventSchema,
  beforeToolCallEventSchema,
  beforeToolCallResultSchema,
  pluginHookNameSchema,
  processExitEventSchema,
  sessionStartEventSchema,
} from './hooks.js';
export type {
  AfterToolCallEvent,
  BeforeToolCallEvent,
  BeforeToolCallResult,
  PluginHookEvents,
  PluginHookHandler,
  PluginHookName,
  PluginHookResults,
  ProcessExitEvent,
  SessionStartEvent,
} from './hooks.js';
export { ROUTE_PATH_MAX_LENGTH } from './route-path.js';
export type {
  BashSessionKillResult,
  BashSessionSandboxStatus,
  BashSessionSnapshot,
  BashSessionStatus,
  BashSessions,
  BashSessionsApi,
  FinishedBashSessionSnapshot,
  FinishedBashSessionStatus,
} from './bash-session-types.js';
