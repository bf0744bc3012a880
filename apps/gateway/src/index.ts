export { startGateway, DEFAULT_HOST, DEFAULT_PORT, type RunningGateway, type StartGatewayOptions } from './gateway.js';
export { createGatewayRuntime, type GatewayRuntime, type GatewayRuntimeOptions } from './compose.js';
export { buildHttpApp, type HttpAppOptions } from './http/app.js';
export type { AgentTurnInput, AgentTurnResult, EnqueueRunInput, RunView } from './runs/run-types.js';
export type { GatewayEvent } from './events/event-bus.js';
export { createSystemClock, type GatewayClock, type IdSource } from './clock.js';
export type { AuthLimitOptions } from './auth/failed-auth-limiter.js';
export { ANONYMOUS_IDENTITY, OPERATOR_IDENTITY, type GatewayIdentity } from './auth/identity.js';
export {
  loadConfig,
  parseConfig,
  parseConfigText,
  parseDurationText,
  checkDurationText,
  DurationTextSchema,
  configJsonSchema,
  configIssuesError,
  type ConfigIssue,
  GatewayConfigSchema,
  AgentConfigSchema,
  BindingSchema,
  ProviderConfigSchema,
  PluginConfigSchema,
  SessionConfigSchema,
  type GatewayConfig,
  type GatewayConfigInput,
  type AgentConfig,
  type BindingConfig,
  type ProviderConfig,
  type SessionConfig,
} from './config.js';
export { GatewayError, type GatewayErrorCode } from './errors.js';
export { resolveStateDir, resolveConfigPath, type DiscoveryFile } from './state.js';
export {
  createScriptedModel,
  loadScriptedRules,
  ScriptedRulesFileSchema,
  ScriptedRuleSchema,
  type ScriptedRule,
  type ScriptedRulesFile,
  type ScriptedModelOptions,
} from './model/scripted-model.js';
export { DEFAULT_SCRIPTED_RULES, HEARTBEAT_PROMPT } from './model/default-rules.js';
export { defineGatewayTool, type GatewayTool, type GatewayToolDefinition, type ToolContext } from './tools/define-tool.js';
export type {
  GatewayStore,
  SessionTable,
  TranscriptTable,
  SystemEventTable,
  RunTable,
  ProcessJournalTable,
  AnnouncementTable,
  CronTable,
  RunStatus,
  RunKind,
  RunRecord,
  SessionRecord,
  ProcessRecord,
  TranscriptEntry,
} from './store/gateway-store.js';
export { createSqliteGatewayStore } from './store/sqlite/sqlite-store.js';
export * from './http/schemas.js';
export {
  CAPABILITIES,
  CAPABILITY_DESCRIPTIONS,
  CapabilitySchema,
  OPERATOR_ONLY,
  type Capability,
  type OperatorPower,
  type Permission,
} from './credentials/capabilities.js';
export type { Identity, OperatorIdentity, TokenIdentity, AnonymousIdentity, CallerView } from './credentials/identity.js';
export { toCallerView } from './credentials/identity.js';
export type { TokenScope } from './credentials/scope.js';
export {
  CREDENTIAL_LIMITS,
  CredentialViewSchema,
  TokenCreatedSchema,
  TokenCreateSchema,
  type CredentialService,
  type CredentialView,
  type TokenCreated,
  type TokenCreateInput,
} from './credentials/credential-service.js';
export {
  AUDIT_ACTIONS,
  AUDIT_RETENTION_DEFAULTS,
  AuditQuerySchema,
  AuditRecordSchema,
  type AuditAction,
  type AuditRecord,
} from './credentials/audit-record.js';
export { TOOL_CAPABILITIES, PLUGIN_TOOL_CAPABILITY } from './credentials/tool-ceiling.js';
export { MIN_OPERATOR_TOKEN_BITS } from './credentials/token-entropy.js';
