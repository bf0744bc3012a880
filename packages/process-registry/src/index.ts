export { ProcessRegistryError, type ProcessRegistryErrorCode } from './errors.js';
export { createProcessRegistry, type ProcessRegistry } from './registry.js';
export { createBwrapSandbox } from './bwrap-sandbox.js';
export { listProcessTree, type ProcessTreeTarget } from './process-tree.js';
export {
  BwrapSandboxOptionsSchema,
  DEFAULT_SANDBOX_LIMITS,
  SandboxLimitsSchema,
  SandboxModeSchema,
  SandboxNetworkSchema,
  workspaceDirName,
  type BwrapSandboxOptions,
  type Sandbox,
  type SandboxDecision,
  type SandboxLaunch,
  type SandboxLaunchRequest,
  type SandboxLimits,
  type SandboxMode,
  type SandboxNetwork,
  type SandboxProbe,
  type SandboxStatus,
} from './sandbox.js';
export { ALLOWED_ENV_NAMES, type EnvDenial, type EnvDenialSource } from './child-env.js';
export { formatExitNotice, noticeSnippet } from './exit-notice.js';
export { encodeKeys, bracketPaste, type CursorKeyMode, type EncodedKeys } from './pty-keys.js';
export {
  ProcessRegistryLimitsSchema,
  createSystemClock,
  type Clock,
  type ProcessRegistryLimits,
  type ProcessRegistryLogger,
  type ProcessRegistryOptions,
} from './options.js';
export type { OutputChunk, OutputStream } from './output-buffer.js';
export {
  ExecInputSchema,
  LogInputSchema,
  OrphanRecordSchema,
  PasteInputSchema,
  PollInputSchema,
  ProcessIdSchema,
  ScopeInputSchema,
  ScopeKeySchema,
  SendKeysInputSchema,
  SessionInputSchema,
  StdinModeSchema,
  WriteInputSchema,
  type ExecFinishedResult,
  type ExecInput,
  type ExecResult,
  type ExecRunningResult,
  type ExitEvent,
  type InputResult,
  type KillResult,
  type LogInput,
  type LogResult,
  type OrphanRecord,
  type PasteInput,
  type PollInput,
  type PollResult,
  type ProcessJournal,
  type ProcessJournalRecord,
  type ProcessRegistryStats,
  type ProcessSnapshot,
  type ProcessStatus,
  type ReapOutcome,
  type ScopeInput,
  type SendKeysInput,
  type SessionInput,
  type StdinMode,
  type WriteInput,
} from './types.js';
