import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { createSystemClock, type Clock } from './clock.js';
import { HeartbeatRouterError } from './errors.js';
import { createSessionKeyCache } from './keys.js';
import { parseInput } from './validate.js';

/** One queued system event. Frozen; ids are unique per queue. */
export interface SystemEvent {
  readonly id: string;
  /** Normalized agent-qualified key of the queue holding it. */
  readonly sessionKey: string;
  /** Trimmed text (truncated to `maxTextChars`). */
  readonly text: string;
  /** Enqueue time, epoch ms (from the injected clock). */
  readonly ts: number;
  /** Lower-cased context key, or `null`. */
  readonly contextKey: string | null;
  /**
   * Opaque JSON the producer attached (e.g. who caused the event); kept and persisted as given,
   * never read by the queue. Absent when none was given.
   */
  readonly metadata?: Readonly<Record<string, unknown>>;
}

/** zod schema of a persisted {@link SystemEvent} (what a store returns from `load`). */
export const systemEventSchema = z.object({
  id: z.string().min(1),
  sessionKey: z.string().min(1),
  text: z.string(),
  ts: z.number().finite(),
  contextKey: z.string().nullable(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});

/**
 * Durable backing for the queue, supplied by the gateway. Every method may be sync or return a
 * promise. Calls are made in order, synchronously from the queue operation; a synchronous throw
 * aborts the operation before memory changes, an async rejection is reported through
 * `onStoreError` / `flush()`.
 * - `load()`: every persisted event (any session), in append order per session.
 * - `append(event)`: persist one new event.
 * - `remove(sessionKey, ids)`: forget these events of that session (drained, dropped, replaced).
 */
export interface SystemEventStore {
  load(): Iterable<SystemEvent> | Promise<Iterable<SystemEvent>>;
  append(event: SystemEvent): void | Promise<void>;
  remove(sessionKey: string, ids: readonly string[]): void | Promise<void>;
}

/** An in-memory {@link SystemEventStore}: survives a queue re-creation, not a process restart. */
export interface InMemorySystemEventStore extends SystemEventStore {
  /** Number of stored events (all sessions). */
  size(): number;
}

/** Creates the in-memory store shipped with the package (tests, single-process setups). */
export function createInMemorySystemEventStore(): InMemorySystemEventStore {
  const bySession = new Map<string, Map<string, SystemEvent>>();
  return {
    load: () => {
      const out: SystemEvent[] = [];
      for (const events of bySession.values()) out.push(...events.values());
      return out;
    },
    append: (event) => {
      let events = bySession.get(event.sessionKey);
      if (!events) {
        events = new Map();
        bySession.set(event.sessionKey, events);
      }
      events.set(event.id, event);
    },
    remove: (sessionKey, ids) => {
      const events = bySession.get(sessionKey);
      if (!events) return;
      for (const id of ids) events.delete(id);
      if (events.size === 0) bySession.delete(sessionKey);
    },
    size: () => {
      let n = 0;
      for (const events of bySession.values()) n += events.size;
      return n;
    },
  };
}

/** zod schema for {@link SystemEventQueue.enqueue} input. */
export const enqueueSystemEventInputSchema = z.object({
  sessionKey: z.string(),
  text: z.string(),
  contextKey: z.string().nullable().optional(),
  replace: z.boolean().optional(),
  /** Opaque JSON kept on the event ({@link SystemEvent.metadata}); dedupe ignores it. */
  metadata: z.record(z.string(), z.unknown()).optional(),
});
/** Input of {@link SystemEventQueue.enqueue}. */
export type EnqueueSystemEventInput = z.infer<typeof enqueueSystemEventInputSchema>;

/** Result of {@link SystemEventQueue.enqueue}. */
export type EnqueueResult =
  | {
      readonly accepted: true;
      readonly event: SystemEvent;
      /** Events this enqueue pushed out: the oldest beyond the cap, or those `replace` swapped. */
      readonly dropped: readonly SystemEvent[];
    }
  | {
      readonly accepted: false;
      /** `duplicate`: dedupe rule matched; `empty`: blank text. Nothing changed. */
      readonly reason: 'duplicate' | 'empty';
    };

/** Counters of a queue. */
export interface SystemEventQueueStats {
  /** Sessions with at least one queued event. */
  sessions: number;
  /** Queued events, all sessions. */
  events: number;
  /** Events dropped by the per-session cap since creation. */
  droppedByCap: number;
  /** Enqueues rejected as duplicates since creation. */
  duplicates: number;
}

/** Options of {@link createSystemEventQueue}. */
export interface SystemEventQueueOptions {
  /** Durable store; default none (memory only). Call `restore()` once at startup to load it. */
  store?: SystemEventStore;
  /** Per-session cap; the oldest event is dropped (and counted) beyond it. Default 20. */
  maxPerSession?: number;
  /** Longer texts are truncated (suffix `…[truncated]`). Default 8000 chars. */
  maxTextChars?: number;
  /** Default: the system clock. Only `now()` is used. */
  clock?: Pick<Clock, 'now'>;
  /** Event id generator. Default `crypto.randomUUID`. */
  idGenerator?: () => string;
  /** Called for async store failures. Default: remembered and rethrown by `flush()`. */
  onStoreError?: (error: unknown) => void;
}

/** A per-session queue of system events. Every method scopes to exactly one session key. */
export interface SystemEventQueue {
  /**
   * Queues `text` for `sessionKey` (must be `agent:<id>:…`, else a `SessionKeyError`).
   * Dedupe: without `contextKey`, rejected if the *last* queued event has the same text and no
   * contextKey; with one, rejected if *any* queued event has the same text and contextKey.
   * `replace: true` (needs a contextKey) swaps every event with that contextKey for this one
   * (a no-op when exactly one such event already has this text).
   */
  enqueue(input: EnqueueSystemEventInput): EnqueueResult;
  /** Copies of the session's queued events, oldest first. Unknown session → `[]`. */
  peek(sessionKey: string): SystemEvent[];
  /** Removes and returns all of the session's events, oldest first. Unknown session → `[]`. */
  drain(sessionKey: string): SystemEvent[];
  /** Removes the given ids from that session only; returns how many were removed. */
  remove(sessionKey: string, ids: readonly string[]): number;
  /** Removes events with this contextKey from one session, or every session if none is given. */
  removeByContextKey(contextKey: string, sessionKey?: string): number;
  /** True if the session has queued events. */
  has(sessionKey: string): boolean;
  /** Normalized keys of sessions with queued events. */
  sessionKeys(): string[];
  /** Loads the store's events (normalizing keys, re-applying the cap). Returns events loaded. */
  restore(): Promise<number>;
  /** Resolves when every async store write so far has settled; rejects with the first failure. */
  flush(): Promise<void>;
  stats(): SystemEventQueueStats;
}

const TRUNCATED_SUFFIX = '…[truncated]';

/** Same acceptance as {@link enqueueSystemEventInputSchema}, without allocating. */
function isPlainEnqueueInput(raw: unknown): raw is EnqueueSystemEventInput {
  if (typeof raw !== 'object' || raw === null) return false;
  const r = raw as Record<string, unknown>;
  return (
    typeof r.sessionKey === 'string' &&
    typeof r.text === 'string' &&
    (r.contextKey === undefined || r.contextKey === null || typeof r.contextKey === 'string') &&
    (r.replace === undefined || typeof r.replace === 'boolean') &&
    (r.metadata === undefined || (typeof r.metadata === 'object' && r.metadata !== null && !Array.isArray(r.metadata)))
  );
}

/** Creates a system-event queue instance. See {@link SystemEventQueue}. */
export function createSystemEventQueue(options: SystemEventQueueOptions = {}): SystemEventQueue {
  const maxPerSession = options.maxPerSession ?? 20;
  const maxTextChars = options.maxTextChars ?? 8000;
  if (!Number.isInteger(maxPerSession) || maxPerSession < 1) {
    throw new HeartbeatRouterError('INVALID_INPUT', 'maxPerSession must be an integer ≥ 1.', { field: 'maxPerSession' });
  }
  const clock = options.clock ?? createSystemClock();
  const newId = options.idGenerator ?? randomUUID;
  const store = options.store;
  const queues = new Map<string, SystemEvent[]>();
  const qualify = createSessionKeyCache();
  const pendingWrites = new Set<Promise<void>>();
  const writeErrors: unknown[] = [];
  let droppedByCap = 0;
  let duplicates = 0;
  let total = 0;

  function persist(result: void | Promise<void>): void {
    if (!result || typeof (result as Promise<void>).then !== 'function') return;
    const tracked = (result as Promise<void>).then(
      () => {
        pendingWrites.delete(tracked);
      },
      (error: unknown) => {
        pendingWrites.delete(tracked);
        if (options.onStoreError) options.onStoreError(error);
        else writeErrors.push(error);
      },
    );
    pendingWrites.add(tracked);
  }

  function storeRemove(sessionKey: string, events: readonly SystemEvent[]): void {
    if (store && events.length > 0)
      persist(
        store.remove(
          sessionKey,
          events.map((e) => e.id),
        ),
      );
  }

  function normalizeContextKey(value: string | null | undefined): string | null {
    if (value === undefined || value === null) return null;
    const trimmed = value.trim().toLowerCase();
    return trimmed === '' ? null : trimmed;
  }

  function setQueue(key: string, events: SystemEvent[]): void {
    if (events.length === 0) queues.delete(key);
    else queues.set(key, events);
  }

  function enqueue(raw: EnqueueSystemEventInput): EnqueueResult {
    // Fast path for well-formed input; anything else goes through the zod schema (and its errors).
    const input = isPlainEnqueueInput(raw) ? raw : parseInput(enqueueSystemEventInputSchema, raw, 'enqueue');
    const { sessionKey } = qualify(input.sessionKey);
    const contextKey = normalizeContextKey(input.contextKey);
    if (input.replace && contextKey === null) {
      throw new HeartbeatRouterError('INVALID_INPUT', 'replace: true requires a non-blank contextKey.', {
        field: 'contextKey',
      });
    }
    let text = input.text.trim();
    if (text === '') return { accepted: false, reason: 'empty' };
    if (text.length > maxTextChars) text = text.slice(0, Math.max(0, maxTextChars - TRUNCATED_SUFFIX.length)) + TRUNCATED_SUFFIX;

    const current = queues.get(sessionKey) ?? [];
    let replaced: SystemEvent[] = [];
    if (input.replace) {
      const same = current.filter((e) => e.contextKey === contextKey);
      if (same.length === 1 && same[0]!.text === text) {
        duplicates++;
        return { accepted: false, reason: 'duplicate' };
      }
      replaced = same;
    } else if (contextKey === null) {
      const last = current[current.length - 1];
      if (last && last.contextKey === null && last.text === text) {
        duplicates++;
        return { accepted: false, reason: 'duplicate' };
      }
    } else if (current.some((e) => e.contextKey === contextKey && e.text === text)) {
      duplicates++;
      return { accepted: false, reason: 'duplicate' };
    }

    const event: SystemEvent = Object.freeze({
      id: newId(),
      sessionKey,
      text,
      ts: clock.now(),
      contextKey,
      ...(input.metadata !== undefined ? { metadata: input.metadata } : {}),
    });
    // Store first: a synchronous store failure leaves the queue untouched.
    if (store) persist(store.append(event));

    let next = replaced.length > 0 ? current.filter((e) => !replaced.includes(e)) : current;
    next.push(event);
    let capped: SystemEvent[] = [];
    if (next.length > maxPerSession) {
      capped = next.slice(0, next.length - maxPerSession);
      next = next.slice(next.length - maxPerSession);
      droppedByCap += capped.length;
    }
    total += 1 - replaced.length - capped.length;
    setQueue(sessionKey, next);
    const dropped = replaced.length > 0 || capped.length > 0 ? [...replaced, ...capped] : [];
    storeRemove(sessionKey, dropped);
    return { accepted: true, event, dropped };
  }

  function peek(rawKey: string): SystemEvent[] {
    const { sessionKey } = qualify(rawKey);
    const events = queues.get(sessionKey);
    return events ? events.slice() : [];
  }

  function drain(rawKey: string): SystemEvent[] {
    const { sessionKey } = qualify(rawKey);
    const events = queues.get(sessionKey);
    if (!events) return [];
    storeRemove(sessionKey, events);
    queues.delete(sessionKey);
    total -= events.length;
    return events;
  }

  function removeWhere(sessionKey: string, predicate: (e: SystemEvent) => boolean): number {
    const events = queues.get(sessionKey);
    if (!events) return 0;
    const removed = events.filter(predicate);
    if (removed.length === 0) return 0;
    storeRemove(sessionKey, removed);
    setQueue(
      sessionKey,
      events.filter((e) => !predicate(e)),
    );
    total -= removed.length;
    return removed.length;
  }

  function remove(rawKey: string, ids: readonly string[]): number {
    const { sessionKey } = qualify(rawKey);
    const wanted = new Set(parseInput(z.array(z.string()), ids, 'remove.ids'));
    return removeWhere(sessionKey, (e) => wanted.has(e.id));
  }

  function removeByContextKey(rawContextKey: string, rawKey?: string): number {
    const contextKey = normalizeContextKey(parseInput(z.string(), rawContextKey, 'contextKey'));
    if (contextKey === null) return 0;
    const match = (e: SystemEvent): boolean => e.contextKey === contextKey;
    if (rawKey !== undefined) return removeWhere(qualify(rawKey).sessionKey, match);
    let n = 0;
    for (const key of [...queues.keys()]) n += removeWhere(key, match);
    return n;
  }

  async function restore(): Promise<number> {
    if (!store) return 0;
    const loaded = await store.load();
    let count = 0;
    for (const raw of loaded) {
      const parsed = systemEventSchema.safeParse(raw);
      if (!parsed.success) continue;
      let sessionKey: string;
      try {
        sessionKey = qualify(parsed.data.sessionKey).sessionKey;
      } catch {
        continue; // a foreign/garbled row never lands in some other session's queue
      }
      const events = queues.get(sessionKey) ?? [];
      if (events.some((e) => e.id === parsed.data.id)) continue;
      const { metadata, ...fields } = parsed.data;
      events.push(Object.freeze({ ...fields, sessionKey, ...(metadata !== undefined ? { metadata } : {}) }));
      queues.set(sessionKey, events);
      total++;
      count++;
    }
    for (const [key, events] of queues) {
      events.sort((a, b) => a.ts - b.ts);
      if (events.length > maxPerSession) {
        const capped = events.splice(0, events.length - maxPerSession);
        droppedByCap += capped.length;
        total -= capped.length;
        count -= capped.length;
        storeRemove(key, capped);
      }
    }
    return count;
  }

  async function flush(): Promise<void> {
    while (pendingWrites.size > 0) await Promise.all([...pendingWrites]);
    if (writeErrors.length > 0) {
      const [first] = writeErrors.splice(0, writeErrors.length);
      throw first;
    }
  }

  return {
    enqueue,
    peek,
    drain,
    remove,
    removeByContextKey,
    has: (rawKey) => queues.has(qualify(rawKey).sessionKey),
    sessionKeys: () => [...queues.keys()],
    restore,
    flush,
    stats: () => ({ sessions: queues.size, events: total, droppedByCap, duplicates }),
  };
}
