export { HeartbeatRouterError, type HeartbeatRouterErrorCode } from './errors.js';
export { createSystemClock, type Clock, type TimerHandle } from './clock.js';
export { parseDurationMs } from './duration.js';
export {
  createSystemEventQueue,
  createInMemorySystemEventStore,
  enqueueSystemEventInputSchema,
  systemEventSchema,
  type SystemEvent,
  type SystemEventStore,
  type InMemorySystemEventStore,
  type EnqueueSystemEventInput,
  type EnqueueResult,
  type SystemEventQueue,
  type SystemEventQueueOptions,
  type SystemEventQueueStats,
} from './system-event-queue.js';
export { formatForPrompt, type FormatForPromptOptions, type FormattableEvent } from './format.js';
export {
  resolveEventSession,
  resolveHeartbeatSession,
  resolveSingleOwner,
  dmScopeSchema,
  eventSourceSchema,
  sessionRoutingConfigSchema,
  resolveEventSessionInputSchema,
  resolveHeartbeatSessionInputSchema,
  type DmScope,
  type EventSource,
  type EventRoutingRule,
  type SessionRoutingConfig,
  type ResolveEventSessionInput,
  type ResolvedEventSession,
  type ResolveHeartbeatSessionInput,
  type ResolvedHeartbeatSession,
} from './routing.js';
export {
  createWakeScheduler,
  wakeReasonSchema,
  wakeRequestSchema,
  WAKE_REASON_PRIORITY,
  type WakeReason,
  type WakeRequest,
  type WakeRun,
  type WakeRunResult,
  type WakeScheduler,
  type WakeSchedulerOptions,
  type WakeSchedulerStats,
} from './wake-scheduler.js';
export { activeHoursSchema, isWithinActiveHours, type ActiveHours } from './active-hours.js';
export {
  classifyHeartbeatReply,
  HEARTBEAT_TOKEN,
  SILENT_REPLY_TOKEN,
  DEFAULT_ACK_MAX_CHARS,
  type HeartbeatReplyKind,
} from './heartbeat-reply.js';
export {
  createHeartbeatRunner,
  heartbeatAgentConfigSchema,
  DEFAULT_HEARTBEAT_PROMPT,
  type HeartbeatAgentConfig,
  type HeartbeatRunner,
  type HeartbeatRunnerOptions,
  type HeartbeatTurnRequest,
  type HeartbeatTurnResult,
  type HeartbeatResult,
  type HeartbeatStatus,
} from './heartbeat-runner.js';
export { cronScheduleSchema, parseAtMs, type CronSchedule } from './cron-schedule.js';
export {
  createCronScheduler,
  createInMemoryCronStore,
  cronJobInputSchema,
  cronJobSchema,
  cronJobStateSchema,
  cronPayloadSchema,
  cronRunRecordSchema,
  cronTargetSchema,
  cronWakeModeSchema,
  type CronFire,
  type CronFireResult,
  type CronJob,
  type CronJobInput,
  type CronJobState,
  type CronPayload,
  type CronRunRecord,
  type CronRunStatus,
  type CronScheduler,
  type CronSchedulerOptions,
  type CronStore,
  type CronStoreSnapshot,
  type CronTarget,
  type CronTrigger,
  type CronWakeMode,
} from './cron-scheduler.js';
export {
  dispatchSystemEvent,
  createCronFireHandler,
  WAKE_REASON_BY_SOURCE,
  type DispatchSystemEventInput,
  type CronFireHandlerOptions,
} from './dispatch.js';
