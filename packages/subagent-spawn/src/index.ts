export {
  createSubagentSpawner,
  type RunReadOptions,
  type SpawnerErrorContext,
  type SubagentSpawner,
  type SubagentSpawnerOptions,
} from './spawner.js';
export {
  LaunchOutcomeSchema,
  MAX_LABEL_CHARS,
  MAX_TASK_CHARS,
  SpawnRequestSchema,
  type AnnounceFn,
  type AnnounceInput,
  type LaunchFn,
  type LaunchOutcome,
  type LaunchRequest,
  type ResumeSummary,
  type SpawnErrorCode,
  type SpawnForbiddenCode,
  type SpawnRequest,
  type SpawnResult,
} from './spawn-types.js';
export {
  ANNOUNCE_DEADLINE_MS,
  ANNOUNCE_RETRY_INITIAL_MS,
  ANNOUNCE_RETRY_MAX_MS,
  CHILD_ALWAYS_DENIED_TOOLS,
  CHILD_LEAF_DENIED_TOOLS,
  DEFAULT_ANNOUNCE_TIMEOUT_MS,
  DEFAULT_MAX_CHILDREN_PER_SESSION,
  DEFAULT_MAX_CONCURRENT_RUNS,
  DEFAULT_MAX_SPAWN_DEPTH,
  DEFAULT_RUN_TIMEOUT_SECONDS,
  SpawnPolicySchema,
  announceRetryDelayMs,
  childToolPolicy,
  type ChildToolPolicy,
  type SpawnPolicy,
  type SpawnPolicyInput,
} from './policy.js';
export {
  AnnouncementRecordSchema,
  AnnouncementStateSchema,
  RunEndStatusSchema,
  RunStatusSchema,
  SubagentRunRecordSchema,
  type AnnouncementRecord,
  type AnnouncementState,
  type MaybePromise,
  type RunEndStatus,
  type RunFinish,
  type RunListFilter,
  type RunStatus,
  type SubagentRunRecord,
  type SubagentRunStore,
} from './run-store.js';
export { createInMemoryRunStore, type InMemoryRunStore } from './memory-run-store.js';
export { resolveChildSessionKey, SHORT_CHILD_KEY_PATTERN, type ChildKeyResolution } from './child-key.js';
export { createSystemClock, type SpawnerClock, type TimerHandle } from './clock.js';
export { SubagentSpawnError, type SubagentSpawnErrorCode, type SubagentSpawnErrorOptions } from './errors.js';
