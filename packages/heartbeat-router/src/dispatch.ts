import { resolveEventSession, type EventSource, type ResolvedEventSession, type SessionRoutingConfig } from './routing.js';
import type { EnqueueResult, SystemEvent, SystemEventQueue } from './system-event-queue.js';
import type { WakeReason, WakeScheduler } from './wake-scheduler.js';
import type { CronFire, CronFireResult } from './cron-scheduler.js';

/** Default wake reason of each event source (`hook`/`other` do not wake unless asked). */
export const WAKE_REASON_BY_SOURCE: Readonly<Record<EventSource, WakeReason | null>> = Object.freeze({
  exec: 'exec-event',
  cron: 'cron-event',
  subagent: 'subagent-event',
  manual: 'manual',
  hook: null,
  other: null,
});

/** Input of {@link dispatchSystemEvent}. */
export interface DispatchSystemEventInput {
  /** The session the event is about (e.g. the session that launched the command). */
  sessionKey: string;
  text: string;
  source: EventSource;
  contextKey?: string | null | undefined;
  replace?: boolean | undefined;
  /** Opaque JSON kept on the queued event ({@link SystemEvent.metadata}). */
  metadata?: Readonly<Record<string, unknown>> | undefined;
  /** The owning agent's `session` config and DM allowlist (for the dmScope=main rule). */
  session?: SessionRoutingConfig | undefined;
  allowFrom?: readonly (string | number)[] | undefined;
  preserveSessionKey?: boolean | undefined;
  /** Wake reason, `false` for no wake. Default {@link WAKE_REASON_BY_SOURCE}. */
  wake?: WakeReason | false | undefined;
}

/**
 * Routes (`resolveEventSession`), enqueues, and wakes the routed session — the one call a
 * producer (exec exit, cron, sub-agent completion) needs. The wake is requested whenever the
 * event is queued (also when it was a duplicate of one still queued).
 */
export function dispatchSystemEvent(
  deps: { queue: Pick<SystemEventQueue, 'enqueue'>; scheduler?: Pick<WakeScheduler, 'requestHeartbeatNow'> },
  input: DispatchSystemEventInput,
): { route: ResolvedEventSession; enqueued: EnqueueResult; woke: boolean } {
  const route = resolveEventSession({
    sessionKey: input.sessionKey,
    source: input.source,
    session: input.session,
    allowFrom: input.allowFrom,
    preserveSessionKey: input.preserveSessionKey,
  });
  const enqueued = deps.queue.enqueue({
    sessionKey: route.sessionKey,
    text: input.text,
    contextKey: input.contextKey,
    replace: input.replace,
    ...(input.metadata !== undefined ? { metadata: input.metadata } : {}),
  });
  const reason = input.wake === undefined ? WAKE_REASON_BY_SOURCE[input.source] : input.wake;
  const pendingEvent = enqueued.accepted || enqueued.reason === 'duplicate';
  let woke = false;
  if (reason && pendingEvent && deps.scheduler) {
    deps.scheduler.requestHeartbeatNow({ sessionKey: route.sessionKey, agentId: route.agentId, reason });
    woke = true;
  }
  return { route, enqueued, woke };
}

/** Options of {@link createCronFireHandler}. */
export interface CronFireHandlerOptions {
  queue: Pick<SystemEventQueue, 'enqueue'>;
  scheduler: Pick<WakeScheduler, 'requestHeartbeatNow'>;
  /** Runs an `agentTurn` payload. Throw (or reject) to report a failure. */
  runAgentTurn?(turn: { agentId: string; sessionKey: string; message: string; timeoutMs: number | undefined; fire: CronFire }): unknown;
  /** Per-agent routing config for `systemEvent` jobs. */
  routing?(
    agentId: string,
  ): { session?: SessionRoutingConfig | undefined; allowFrom?: readonly (string | number)[] | undefined } | undefined;
}

/**
 * A ready-made `onFire` for `createCronScheduler`: `systemEvent` jobs enqueue on the job's session
 * (contextKey `cron:<jobId>`, routed) and, with `wakeMode: "now"`, request a `cron-event` wake
 * (`next-heartbeat` leaves the event for the next heartbeat); `agentTurn` jobs call `runAgentTurn`.
 */
export function createCronFireHandler(options: CronFireHandlerOptions): (fire: CronFire) => Promise<CronFireResult> {
  return async (fire) => {
    const { job } = fire;
    if (job.payload.kind === 'systemEvent') {
      const routing = options.routing?.(job.agentId);
      dispatchSystemEvent(options, {
        sessionKey: fire.sessionKey,
        text: job.payload.text,
        source: 'cron',
        contextKey: `cron:${job.id}`,
        session: routing?.session,
        allowFrom: routing?.allowFrom,
        wake: job.wakeMode === 'now' ? 'cron-event' : false,
      });
      return { status: 'ok' };
    }
    if (!options.runAgentTurn) {
      return { status: 'error', error: 'No runAgentTurn configured for agentTurn jobs.', permanent: true };
    }
    await options.runAgentTurn({
      agentId: job.agentId,
      sessionKey: fire.sessionKey,
      message: job.payload.message,
      timeoutMs:
        job.payload.timeoutSeconds === undefined || job.payload.timeoutSeconds === 0 ? undefined : job.payload.timeoutSeconds * 1000,
      fire,
    });
    return { status: 'ok' };
  };
}
