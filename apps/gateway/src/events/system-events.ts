import { createSystemEventQueue, formatForPrompt, type SystemEvent, type SystemEventQueue } from '@pincer/heartbeat-router';
import type { Logger } from 'pino';
import type { GatewayClock, IdSource } from '../clock.js';
import type { GatewayMetrics } from '../metrics.js';
import { canonicalSessionKey } from '../security/canonical-session-key.js';
import type { GatewayStore } from '../store/gateway-store.js';

/** The durable system-event queue of every session, plus what a turn needs from it. */
export interface SystemEvents {
  readonly queue: SystemEventQueue;
  /** Queued events of a session, oldest first (not removed); only fenced ones while a {@link fence} holds. */
  peek(sessionKey: string): SystemEvent[];
  /**
   * Until the returned release is called, {@link peek} of `sessionKey` shows only the events with
   * these ids (of several fences, the ids in all of them). A heartbeat turn fences the events whose
   * ceilings it computed, so an event queued meanwhile (perhaps by a narrower credential) waits for
   * the next turn instead of riding along under a wider ceiling.
   */
  fence(sessionKey: string, ids: ReadonlyArray<string>): () => void;
  /** Remove the given events once the turn that showed them is persisted. */
  consume(sessionKey: string, ids: ReadonlyArray<string>): void;
  /** Drop every queued event of a session (reset, delete). */
  clear(sessionKey: string): void;
  /** The `System: [...]` block a turn prepends, or `''`. */
  format(events: ReadonlyArray<SystemEvent>): string;
  /** Refresh the queue-depth gauge. */
  updateDepth(): void;
  /**
   * Take over stored events another node queued (cluster mode: a dead node's, already moved to
   * this node in the store) into this queue; returns the sessions that got events.
   */
  adopt(bodies: ReadonlyArray<unknown>): Promise<string[]>;
}

/** Options of {@link createSystemEvents}. */
export interface SystemEventsOptions {
  store: GatewayStore;
  clock: GatewayClock;
  newId: IdSource;
  metrics: GatewayMetrics;
  logger: Logger;
  timeZone: string;
}

/** heartbeat-router's queue over `store.systemEvents`, restored from it. */
export async function createSystemEvents(options: SystemEventsOptions): Promise<SystemEvents> {
  const { store, metrics } = options;
  // While an adoption restores, the queue loads the adopted events instead of the store's rows.
  let adopting: ReadonlyArray<unknown> | undefined;
  const isEvent = (event: unknown): event is SystemEvent =>
    typeof event === 'object' && event !== null && typeof (event as { id?: unknown }).id === 'string';
  const queue = createSystemEventQueue({
    store: {
      load: () => (adopting ?? store.systemEvents.all().map((row) => row.body)).filter(isEvent),
      append: (event) => store.systemEvents.append(event.sessionKey, event.id, event, event.ts),
      remove: (sessionKey, ids) => store.systemEvents.remove(sessionKey, ids),
    },
    clock: options.clock,
    idGenerator: options.newId,
    onStoreError: (error) => options.logger.error({ err: error }, 'system-event store write failed'),
  });
  await queue.restore();
  const updateDepth = () => metrics.queueDepth.set(queue.stats().events);
  updateDepth();
  const fences = new Map<string, Array<ReadonlySet<string>>>();
  return {
    queue,
    peek(sessionKey) {
      const events = queue.peek(sessionKey);
      const active = fences.get(canonicalSessionKey(sessionKey));
      if (!active) return events;
      return events.filter((event) => active.every((ids) => ids.has(event.id)));
    },
    fence(sessionKey, ids) {
      const key = canonicalSessionKey(sessionKey);
      const own: ReadonlySet<string> = new Set(ids);
      const active = fences.get(key) ?? [];
      active.push(own);
      fences.set(key, active);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const remaining = (fences.get(key) ?? []).filter((fence) => fence !== own);
        if (remaining.length > 0) fences.set(key, remaining);
        else fences.delete(key);
      };
    },
    consume(sessionKey, ids) {
      if (ids.length > 0) queue.remove(sessionKey, ids);
      updateDepth();
    },
    clear(sessionKey) {
      const ids = queue.peek(sessionKey).map((event) => event.id);
      if (ids.length > 0) queue.remove(sessionKey, ids);
      updateDepth();
    },
    async adopt(bodies) {
      const events = bodies.filter(isEvent);
      if (events.length === 0) return [];
      adopting = events;
      try {
        await queue.restore();
      } finally {
        adopting = undefined;
      }
      updateDepth();
      return [...new Set(events.map((event) => canonicalSessionKey(event.sessionKey)))].filter((key) => queue.has(key));
    },
    format: (events) => (events.length > 0 ? formatForPrompt(events, { timeZone: options.timeZone }) : ''),
    updateDepth,
  };
}
