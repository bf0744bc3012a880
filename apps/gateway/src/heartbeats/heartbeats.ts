import {
  createHeartbeatRunner,
  createWakeScheduler,
  type HeartbeatRunner,
  type WakeReason,
  type WakeScheduler,
} from '@pincer/heartbeat-router';
import type { Logger } from 'pino';
import { agentOwners, agentSessionConfig, findAgent, type GatewayConfig } from '../config.js';
import type { GatewayClock } from '../clock.js';
import { identityForEvents } from '../credentials/event-ceiling.js';
import type { SystemEvents } from '../events/system-events.js';
import type { GatewayMetrics } from '../metrics.js';
import { HEARTBEAT_PROMPT } from '../model/default-rules.js';
import type { RunQueue } from '../runs/run-queue.js';
import { canonicalSessionKey } from '../security/canonical-session-key.js';

/** Wake reasons that exist only to deliver queued events (heartbeat-router keeps its own copy private). */
const EVENT_WAKE_REASONS: ReadonlySet<WakeReason> = new Set(['exec-event', 'cron-event', 'subagent-event']);
/** Bound on waiting for earlier heartbeat turns of the same queue before starting one. */
const MAX_FENCE_WAITS = 16;

/** The wake scheduler and the heartbeat runner behind it. */
export interface Heartbeats {
  readonly wake: WakeScheduler;
  readonly runner: HeartbeatRunner;
}

/**
 * A wake runs a heartbeat turn on the session's lane. The runner gets no `queue`: the run itself
 * peeks the events and consumes them in the transaction that writes the transcript, so a crash
 * mid-turn leaves them queued.
 */
export function createHeartbeats(options: {
  config: GatewayConfig;
  clock: GatewayClock;
  runs: Pick<RunQueue, 'enqueue' | 'isBusy'>;
  systemEvents: SystemEvents;
  metrics: GatewayMetrics;
  logger: Logger;
}): Heartbeats {
  const { config, runs, metrics, logger } = options;
  /** The heartbeat turn in flight per (canonical) queue key, settled when it ends. */
  const inFlight = new Map<string, Promise<void>>();
  const wakeConfig = config.wake ?? {};
  // heartbeat-router's pair references each other by design: the scheduler calls the runner,
  // the runner requests wakes from the scheduler. `runner` is read only when a wake fires.
  const wake = createWakeScheduler({
    runHeartbeat: (run) => runner.runHeartbeat(run),
    isBusy: (target) => runs.isBusy(target.sessionKey),
    clock: options.clock,
    ...(wakeConfig.coalesceMs !== undefined ? { coalesceMs: wakeConfig.coalesceMs } : {}),
    ...(wakeConfig.eventCooldownMs !== undefined ? { minEventSpacingMs: wakeConfig.eventCooldownMs } : {}),
    ...(wakeConfig.busyRetryMs !== undefined ? { busyRetryMs: wakeConfig.busyRetryMs } : {}),
    onError: (error) => {
      metrics.errors.inc({ where: 'wake' });
      logger.warn({ err: error }, 'heartbeat wake failed');
    },
  });
  const runner = createHeartbeatRunner({
    agents: config.agents
      .filter((agent) => agent.heartbeat !== undefined)
      .map((agent) => ({
        agentId: agent.id,
        every: agent.heartbeat?.every ?? '30m',
        prompt: agent.heartbeat?.prompt ?? HEARTBEAT_PROMPT,
        ...(agent.heartbeat?.session ? { heartbeatSession: agent.heartbeat.session } : {}),
        ...(agent.heartbeat?.activeHours ? { activeHours: agent.heartbeat.activeHours } : {}),
        sessionConfig: agentSessionConfig(config, agent.id),
        allowFrom: agentOwners(config, agent.id),
      })),
    scheduler: wake,
    clock: options.clock,
    timeZone: config.timeZone ?? 'UTC',
    runTurn: async (request) => {
      // One heartbeat turn per queue at a time: each fences the events it computed a ceiling for.
      const queueKey = canonicalSessionKey(request.queueKey);
      for (let waited = 0; inFlight.has(queueKey) && waited < MAX_FENCE_WAITS; waited += 1) await inFlight.get(queueKey);
      const hasEvents = options.systemEvents.queue.has(request.queueKey);
      if (!hasEvents && request.reasons.every((reason) => EVENT_WAKE_REASONS.has(reason))) return null;
      const prompt = findAgent(config, request.agentId)?.heartbeat?.prompt ?? HEARTBEAT_PROMPT;
      // Issue 15: the turn acts for the credentials that caused its events (the intersection of
      // their ceilings) and shows exactly those events; later ones wait for the next turn.
      const events = options.systemEvents.peek(request.queueKey);
      const identity = identityForEvents(events, request.sessionKey);
      const release = options.systemEvents.fence(
        request.queueKey,
        events.map((event) => event.id),
      );
      const turn = (async () => {
        try {
          const { done } = runs.enqueue({
            sessionKey: request.sessionKey,
            agentId: request.agentId,
            message: prompt,
            kind: 'heartbeat',
            eventsFrom: request.queueKey,
            ...(identity ? { identity } : {}),
          });
          return await done;
        } finally {
          release();
        }
      })();
      const settled = turn.then(
        () => undefined,
        () => undefined,
      );
      inFlight.set(queueKey, settled);
      void settled.then(() => {
        if (inFlight.get(queueKey) === settled) inFlight.delete(queueKey);
      });
      const finished = await turn;
      options.systemEvents.updateDepth();
      if (finished.status !== 'ok') throw new Error(finished.error ?? finished.status);
      return finished.reply;
    },
    onResult: (result) => {
      if (result.status === 'failed') {
        metrics.errors.inc({ where: 'heartbeat' });
        logger.warn({ agentId: result.agentId, sessionKey: result.sessionKey, error: result.error }, 'heartbeat failed');
      }
    },
  });
  return { wake, runner };
}
