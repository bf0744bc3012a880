/**
 * `@pincer/cli` — the `pincer` command. The binary is `dist/bin.js`; this entry exposes the
 * program for tests and embedding: `runCli(argv, io)` resolves with the exit code.
 */
export { runCli, createProgram, CLI_VERSION } from './program.js';
export { createCommandContext, type CliDeps, type CommandContext } from './context.js';
export { createNodeIo, type CliIo, type CliOutput, type CliClock } from './io.js';
export { CliError, exitCodeFor, errorTypeFor, toCliError, type CliErrorCode, type CliErrorOptions } from './errors.js';
export {
  prepareAgentTurn,
  checkBlankSelectors,
  resolveMessage,
  readMessageFile,
  normalizeSelectors,
  AgentCliOptionsSchema,
  MAX_MESSAGE_FILE_BYTES,
  DEFAULT_AGENT_TIMEOUT_SECONDS,
  type AgentCliOptions,
  type PreparedAgentTurn,
} from './agent-turn.js';
export {
  discoverGateway,
  resolveStateDir,
  resolveConfigPath,
  readGatewayInfo,
  readTokenFile,
  GatewayInfoFileSchema,
  type GatewayInfoFile,
  type GatewayTarget,
  type DiscoveryContext,
} from './discovery.js';
export {
  createGatewayClient,
  errorFromResponse,
  AgentRequestSchema,
  AgentAcceptedSchema,
  RunViewSchema,
  ErrorBodySchema,
  type GatewayClient,
  type GatewayClientOptions,
  type AgentRequest,
  type AgentAccepted,
  type RunView,
} from './gateway-client.js';
export { rosterFromConfig, loadRoster, DEFAULT_ROSTER, RosterConfigSchema, type AgentRoster } from './roster.js';
export { createSpinner, SPINNER_FRAMES, type Spinner, type SpinnerOptions } from './spinner.js';
export { formatTable, jsonError, reportError, type TableColumn, type JsonErrorDocument } from './output.js';
export type {
  GatewayModule,
  GatewayModuleLoader,
  EmbeddedRuntime,
  EmbeddedTurnInput,
  EmbeddedTurnResult,
  StartedGateway,
  StartGatewayOptions,
} from './gateway-module.js';
