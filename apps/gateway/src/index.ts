export { startGateway, DEFAULT_HOST, DEFAULT_PORT, type RunningGateway, type StartGatewayOptions } from './gateway.js';
export { createGatewayRuntime, type GatewayRuntime, type GatewayRuntimeOptions } from './runtime.js';
export type { AgentTurnInput, AgentTurnResult, GatewayEvent, RunView } from './runtime-types.js';
export {
  loadConfig,
  parseConfig,
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
export type { RunStatus, RunKind } from './store/store.js';
