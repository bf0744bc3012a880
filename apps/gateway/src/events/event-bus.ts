import { randomBytes } from 'node:crypto';
import type { RunKind, RunStatus } from '../store/gateway-store.js';

/** Events streamed to SSE subscribers; every event names its session. */
export type GatewayEvent =
  | { type: 'run.queued' | 'run.started'; sessionKey: string; runId: string; kind: RunKind }
  | { type: 'run.finished'; sessionKey: string; runId: string; kind: RunKind; status: RunStatus; reply?: string; error?: string }
  | { type: 'process.started'; sessionKey: string; id: string; command: string }
  | { type: 'process.exited'; sessionKey: string; id: string; status: string; exitCode: number | null; signal: string | null }
  | { type: 'system.event'; sessionKey: string; text: string }
  | { type: 'transcript'; sessionKey: string; role: string; text: string };

/** The `data:` of an SSE event frame: the event plus its id (the frame's `id:`) and time (epoch ms). */
export type GatewayEventData = GatewayEvent & { readonly eventId: string; readonly ts: number };

/** The `data:` of an `event: reset` frame: events were missed (see the gateway README, "Event stream"). */
export interface ResetEventData {
  readonly reason: 'unknown' | 'expired';
  /** The latest event id (also the frame's `id:`): resuming from it misses nothing after the reset. */
  readonly eventId: string;
  readonly ts: number;
}

/** A published event with its place in the gateway's stream. */
export interface StampedEvent {
  /** `<bootId>-<sequence>`: unique within this gateway process, sequence strictly increasing. */
  readonly eventId: string;
  /** The sequence part of {@link eventId} (1, 2, …). */
  readonly sequence: number;
  /** When it was published, epoch ms. */
  readonly ts: number;
  readonly event: GatewayEvent;
}

/** Default of the replay buffer's global count cap (events, every session together). */
export const DEFAULT_REPLAY_MAX_EVENTS = 1_000;
/** Default of the replay buffer's per-session count cap (one noisy session keeps at most this many). */
export const DEFAULT_REPLAY_MAX_EVENTS_PER_SESSION = 200;
/** Default of the replay buffer's age cap, ms. */
export const DEFAULT_REPLAY_MAX_AGE_MS = 300_000;

/** What {@link EventBus.replayAfter} found for a `Last-Event-ID`. */
export type ReplayResult =
  | { readonly ok: true; readonly events: ReadonlyArray<StampedEvent> }
  /**
   * `unknown`: not an id of this gateway process (another boot, malformed, or ahead of it);
   * `expired`: an event of the asked sessions after it has left the buffer.
   */
  | { readonly ok: false; readonly reason: 'unknown' | 'expired' };

/** The in-process bus the SSE route listens on, with a bounded replay buffer. */
export interface EventBus {
  /** Stamps (id, time), buffers and delivers the event; returns the stamped event. */
  publish(event: GatewayEvent): StampedEvent;
  /** Returns the unsubscribe function. */
  subscribe(listener: (stamped: StampedEvent) => void): () => void;
  /**
   * The buffered events of `sessionKeys` published after `lastEventId`, oldest first — or why
   * they cannot be given completely. Read and subscribe in the same synchronous step for a
   * replay-then-live stream with neither gaps nor duplicates.
   */
  replayAfter(lastEventId: string, sessionKeys: ReadonlySet<string>): ReplayResult;
  /** The id of the latest published event (`<bootId>-0` before the first). */
  latestEventId(): string;
  /** This process's boot id (the prefix of every event id). */
  readonly bootId: string;
  /** Buffer sizes: events held, sessions with events held, per-session low-water marks kept. */
  stats(): { events: number; sessions: number; marks: number };
}

/** Options of {@link createEventBus}; every field has a default. */
export interface EventBusOptions {
  /** Epoch ms now. Default `Date.now`. */
  now?: () => number;
  /** Default 8 random hex chars. */
  bootId?: string;
  /** Buffered events, every session together. Default {@link DEFAULT_REPLAY_MAX_EVENTS}. */
  maxEvents?: number;
  /** Buffered events of one session. Default {@link DEFAULT_REPLAY_MAX_EVENTS_PER_SESSION}. */
  maxEventsPerSession?: number;
  /** Buffered events older than this are dropped, ms. Default {@link DEFAULT_REPLAY_MAX_AGE_MS}. */
  maxAgeMs?: number;
}

const EVENT_ID = /^([0-9a-z]{1,32})-(\d{1,15})$/;

/**
 * A synchronous bus (listeners run in publish order; a throwing listener does not stop the
 * others). Every event gets an id and a timestamp and is kept for replay, bounded by a global
 * count, a per-session count and an age. Evictions are remembered as low-water marks (global, and
 * per session for per-session evictions), so a replay that would miss an event says so.
 */
export function createEventBus(options: EventBusOptions = {}): EventBus {
  const now = options.now ?? Date.now;
  const bootId = options.bootId ?? randomBytes(4).toString('hex');
  const maxEvents = options.maxEvents ?? DEFAULT_REPLAY_MAX_EVENTS;
  const maxPerSession = options.maxEventsPerSession ?? DEFAULT_REPLAY_MAX_EVENTS_PER_SESSION;
  const maxAgeMs = options.maxAgeMs ?? DEFAULT_REPLAY_MAX_AGE_MS;
  const listeners = new Set<(stamped: StampedEvent) => void>();
  /** Buffered events, oldest first (per-session evictions leave holes, removed lazily). */
  let buffer: Array<StampedEvent | undefined> = [];
  let retained = 0;
  /** Buffered sequences per session, oldest first. */
  const perSession = new Map<string, number[]>();
  /** Every event with a sequence ≤ this has left the buffer (count or age). */
  let globalLowWater = 0;
  /** Per session: the newest sequence dropped by the per-session cap (only when > globalLowWater). */
  const sessionLowWater = new Map<string, number>();
  let sequence = 0;

  const dropFront = () => {
    while (buffer.length > 0 && buffer[0] === undefined) buffer.shift();
  };
  const evictOldest = () => {
    dropFront();
    const oldest = buffer.shift();
    if (!oldest) return;
    retained -= 1;
    globalLowWater = oldest.sequence;
    const key = oldest.event.sessionKey;
    const own = perSession.get(key);
    own?.shift();
    if (own && own.length === 0) perSession.delete(key);
    // Marks at or below the global one say nothing more; this keeps the map small.
    for (const [session, mark] of sessionLowWater) if (mark <= globalLowWater) sessionLowWater.delete(session);
  };
  const expire = () => {
    const cutoff = now() - maxAgeMs;
    for (;;) {
      dropFront();
      const oldest = buffer[0];
      if (!oldest || oldest.ts >= cutoff) return;
      evictOldest();
    }
  };
  const compact = () => {
    // Holes from per-session evictions: rebuild once they outnumber the live entries.
    if (buffer.length > 2 * retained + 64) buffer = buffer.filter((entry) => entry !== undefined);
  };

  return {
    bootId,
    publish(event) {
      sequence += 1;
      const stamped: StampedEvent = { eventId: `${bootId}-${sequence}`, sequence, ts: now(), event };
      expire();
      let own = perSession.get(event.sessionKey);
      if (!own) {
        own = [];
        perSession.set(event.sessionKey, own);
      }
      if (own.length >= maxPerSession) {
        const dropped = own.shift();
        if (dropped !== undefined) {
          const index = buffer.findIndex((entry) => entry?.sequence === dropped);
          if (index >= 0) buffer[index] = undefined;
          retained -= 1;
          sessionLowWater.set(event.sessionKey, dropped);
        }
      }
      while (retained >= maxEvents) evictOldest();
      buffer.push(stamped);
      own.push(sequence);
      retained += 1;
      compact();
      for (const listener of listeners) {
        try {
          listener(stamped);
        } catch {
          // a subscriber's failure is its own (the SSE route drops broken streams itself)
        }
      }
      return stamped;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    replayAfter(lastEventId, sessionKeys) {
      const match = EVENT_ID.exec(lastEventId.trim());
      if (!match || match[1] !== bootId) return { ok: false, reason: 'unknown' };
      const after = Number(match[2]);
      if (!Number.isSafeInteger(after) || after > sequence) return { ok: false, reason: 'unknown' };
      expire();
      if (after < globalLowWater) return { ok: false, reason: 'expired' };
      for (const key of sessionKeys) {
        const mark = sessionLowWater.get(key);
        if (mark !== undefined && mark > after) return { ok: false, reason: 'expired' };
      }
      const events: StampedEvent[] = [];
      for (const entry of buffer) {
        if (entry && entry.sequence > after && sessionKeys.has(entry.event.sessionKey)) events.push(entry);
      }
      return { ok: true, events };
    },
    latestEventId: () => `${bootId}-${sequence}`,
    stats: () => ({ events: retained, sessions: perSession.size, marks: sessionLowWater.size }),
  };
}
