import { dispatchSystemEvent, WAKE_REASON_BY_SOURCE, type EventSource, type WakeScheduler } from '@pincer/heartbeat-router';
import { normalizeAgentId, parseAgentSessionKey } from '@pincer/session-key';
import { agentOwners, agentSessionConfig, type GatewayConfig } from '../config.js';
import { type EventCeiling, eventCeilingMetadata } from '../credentials/event-ceiling.js';
import type { GatewayMetrics } from '../metrics.js';
import { canonicalSessionKey } from '../security/canonical-session-key.js';
import { neutralizeForgedSystemLines } from '../security/forged-system-lines.js';
import { createStorageRetryQueue } from '../store/storage-faults.js';
import type { SessionService } from '../sessions/sessions.js';
import type { EventBus } from './event-bus.js';
import type { SystemEvents } from './system-events.js';

/** A system event for a session: routed (dmScope rules), queued durably, and (by default) a wake. */
export interface NotifyInput {
  /** The session the event is about (e.g. the session that launched the command). */
  sessionKey: string;
  text: string;
  source: EventSource;
  contextKey?: string;
  /** `false`: queue only; the next heartbeat shows it. Default: wake by the source's reason. */
  wake?: false;
  /**
   * The ceiling of the credential that caused the event (none: the operator or the gateway). A
   * heartbeat turn showing it runs under it (see credentials/event-ceiling.ts).
   */
  ceiling?: EventCeiling | undefined;
}

/** Routes, enqueues and wakes; returns the routed session key. */
export type Notify = (input: NotifyInput) => string;

/**
 * heartbeat-router's `dispatchSystemEvent` with the gateway's parts: the owning agent's session
 * routing and owner allowlist, the session row, the SSE event and the metrics.
 */
export function createNotify(options: {
  config: GatewayConfig;
  systemEvents: SystemEvents;
  wake: Pick<WakeScheduler, 'requestHeartbeatNow'>;
  sessions: Pick<SessionService, 'ensure'>;
  bus: EventBus;
  metrics: GatewayMetrics;
  /** Called when a retried event fails for another reason than a full disk (it is dropped). */
  onRetryError?: (error: unknown) => void;
}): Notify {
  const { config, systemEvents, metrics } = options;
  // Issue 14 item 15: an event that finds the disk full is kept (bounded) and retried when space
  // returns, never lost; the caller gets the session key as if it had landed.
  const retries = createStorageRetryQueue({
    onError: (error) => {
      metrics.errors.inc({ where: 'notify-retry' });
      options.onRetryError?.(error);
    },
  });
  return (input) => {
    // Item 1: the event belongs to the canonical key of the session that caused it.
    const sessionKey = canonicalSessionKey(input.sessionKey);
    // Item 5: event bodies (command output, cron text) cannot carry a forged `System:` line either.
    const text = neutralizeForgedSystemLines(input.text);
    const agentId = normalizeAgentId(parseAgentSessionKey(sessionKey)?.agentId ?? config.defaultAgent);
    let routedKey = sessionKey;
    retries.run(() => {
      const { route, enqueued, woke } = dispatchSystemEvent(
        { queue: systemEvents.queue, scheduler: options.wake },
        {
          sessionKey,
          text,
          source: input.source,
          ...(input.contextKey ? { contextKey: input.contextKey } : {}),
          session: agentSessionConfig(config, agentId),
          allowFrom: agentOwners(config, agentId),
          ...(input.wake === false ? { wake: false as const } : {}),
          ...(input.ceiling ? { metadata: eventCeilingMetadata(input.ceiling) } : {}),
        },
      );
      routedKey = route.sessionKey;
      options.sessions.ensure(route.sessionKey, route.agentId);
      if (enqueued.accepted) options.bus.publish({ type: 'system.event', sessionKey: route.sessionKey, text });
      systemEvents.updateDepth();
      const reason = WAKE_REASON_BY_SOURCE[input.source];
      if (woke && reason) metrics.wakes.inc({ reason });
    });
    return routedKey;
  };
}
