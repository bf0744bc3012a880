import { normalizeAgentId } from '@pincer/session-key';
import { z } from 'zod';
import { createSystemClock, type Clock, type TimerHandle } from './clock.js';
import { HeartbeatRouterError } from './errors.js';
import { createSessionKeyCache } from './keys.js';
import { MinHeap } from './min-heap.js';
import { parseInput } from './validate.js';

/** Why a heartbeat is requested. Priority: `manual` > events > `interval` > `retry`. */
export const wakeReasonSchema = z.enum(['manual', 'exec-event', 'cron-event', 'subagent-event', 'interval', 'retry']);
/** Why a heartbeat is requested. */
export type WakeReason = z.infer<typeof wakeReasonSchema>;

/** Numeric priority of each reason (higher wins when requests coalesce). */
export const WAKE_REASON_PRIORITY: Readonly<Record<WakeReason, number>> = Object.freeze({
  manual: 3,
  'exec-event': 2,
  'cron-event': 2,
  'subagent-event': 2,
  interval: 1,
  retry: 0,
});

const EVENT_REASONS: ReadonlySet<WakeReason> = new Set(['exec-event', 'cron-event', 'subagent-event']);

/** Input of {@link WakeScheduler.requestHeartbeatNow}. */
export const wakeRequestSchema = z.object({
  /** Target session: `agent:<id>:…`, or the literal `global` (then `agentId` is required). */
  sessionKey: z.string(),
  /** Owning agent; must match the key's agent when both are given. */
  agentId: z.string().optional(),
  reason: wakeReasonSchema,
  /** Readiness delay override, ms. Default 250 (0 for `exec-event`). */
  coalesceMs: z.number().int().min(0).max(86_400_000).optional(),
});
/** Input of {@link WakeScheduler.requestHeartbeatNow}. */
export type WakeRequest = z.input<typeof wakeRequestSchema>;

/** What `runHeartbeat` is called with: one coalesced wake of one session. */
export interface WakeRun {
  /** Normalized agent-qualified target key (`agent:<id>:global` for `global`). */
  readonly sessionKey: string;
  readonly agentId: string;
  /** Highest-priority reason among the merged requests (newest on ties). */
  readonly reason: WakeReason;
  /** Every distinct reason merged into this run. */
  readonly reasons: readonly WakeReason[];
  /** Number of requests merged into this run. */
  readonly requestCount: number;
  /** Clock time of the earliest merged request, epoch ms. */
  readonly firstRequestedAt: number;
  /** Previous attempts of this wake that were retried (busy, `retry` result, or a throw). */
  readonly attempt: number;
}

/** What `runHeartbeat` may return. `retry` re-queues the wake (never dropped). */
export type WakeRunResult =
  | void
  | { status: 'ran' }
  | { status: 'skipped'; reason?: string | undefined }
  | { status: 'retry'; retryAfterMs?: number | undefined; reason?: string | undefined };

/** Options of {@link createWakeScheduler}. Every number is in milliseconds unless named otherwise. */
export interface WakeSchedulerOptions {
  /** Runs one heartbeat. Called at most once at a time per session. */
  runHeartbeat(run: WakeRun): WakeRunResult | Promise<WakeRunResult>;
  /** Is the target busy (a turn in flight)? A busy target retries after `busyRetryMs`. */
  isBusy?(target: { sessionKey: string; agentId: string }): boolean | Promise<boolean>;
  /** Default: the system clock. */
  clock?: Clock;
  /** Coalescing window. Default 250. */
  coalesceMs?: number;
  /** Coalescing window of `exec-event` wakes. Default 0. */
  execCoalesceMs?: number;
  /** Delay before retrying a busy target, a thrown run, or a `retry` result without a delay. Default 1000. */
  busyRetryMs?: number;
  /** Runs in flight at once, all sessions. Default 4. */
  maxConcurrentRuns?: number;
  /** Per agent, minimum spacing between starts of event-driven runs. Default 30 000. */
  minEventSpacingMs?: number;
  /** Flood guard window. Default 60 000. */
  floodWindowMs?: number;
  /** Flood guard: starts per agent allowed inside the window (manual wakes are never deferred). Default 5. */
  floodMaxStarts?: number;
  /** Called when `runHeartbeat` throws or `isBusy` rejects (the wake is retried). */
  onError?(error: unknown, run: WakeRun): void;
}

/** Counters of a scheduler. */
export interface WakeSchedulerStats {
  /** Sessions with a wake waiting (includes deferred ones). */
  pending: number;
  running: number;
  requests: number;
  started: number;
  completed: number;
  /** Requests merged into an already-pending wake. */
  coalesced: number;
  /** Dispatches postponed by the spacing or flood guard. */
  deferred: number;
  /** Re-queues after busy, `retry` results and throws. */
  retries: number;
  errors: number;
}

/** Wake scheduler instance. */
export interface WakeScheduler {
  /**
   * Asks for a heartbeat of `sessionKey`. Requests for the same session coalesce into one run
   * (`coalesceMs`, default 250; exec 0). A wake that cannot run now is deferred, never dropped.
   * @throws SessionKeyError for a key that is not agent-qualified; HeartbeatRouterError
   *   `AGENT_MISMATCH` when `agentId` does not own the key.
   */
  requestHeartbeatNow(request: WakeRequest): { sessionKey: string; agentId: string; readyAt: number };
  /** True while a run of that session is in flight. */
  isRunning(sessionKey: string): boolean;
  /** True if a wake of that session is waiting. */
  isPending(sessionKey: string): boolean;
  stats(): WakeSchedulerStats;
  /** Stops timers and forgets pending wakes; later requests throw `DISPOSED`. In-flight runs finish. */
  dispose(): void;
}

/** Same acceptance as {@link wakeRequestSchema}, without allocating. */
function isPlainWakeRequest(raw: unknown): raw is z.output<typeof wakeRequestSchema> {
  if (typeof raw !== 'object' || raw === null) return false;
  const r = raw as Record<string, unknown>;
  return (
    typeof r.sessionKey === 'string' &&
    (r.agentId === undefined || typeof r.agentId === 'string') &&
    typeof r.reason === 'string' &&
    Object.hasOwn(WAKE_REASON_PRIORITY, r.reason) &&
    (r.coalesceMs === undefined ||
      (typeof r.coalesceMs === 'number' && Number.isInteger(r.coalesceMs) && r.coalesceMs >= 0 && r.coalesceMs <= 86_400_000))
  );
}

interface Pending {
  key: string;
  agentId: string;
  reason: WakeReason;
  reasons: Set<WakeReason>;
  count: number;
  firstAt: number;
  /** Ready time (coalescing / guard deferral); lowered by sooner requests. */
  dueAt: number;
  /** Hard minimum after a busy/retry/throw; never preempted. */
  holdUntil: number;
  attempt: number;
  version: number;
  /** Ready-bucket priority, or -1 when not in a ready bucket. */
  bucket: number;
}

interface AgentGuard {
  /** Start times, oldest first, at most `floodMaxStarts`. */
  starts: number[];
  lastEventStartAt: number | undefined;
}

/** Creates a wake scheduler instance. See {@link WakeScheduler}. */
export function createWakeScheduler(options: WakeSchedulerOptions): WakeScheduler {
  const clock = options.clock ?? createSystemClock();
  const coalesceMs = options.coalesceMs ?? 250;
  const execCoalesceMs = options.execCoalesceMs ?? 0;
  const busyRetryMs = options.busyRetryMs ?? 1000;
  const maxConcurrentRuns = options.maxConcurrentRuns ?? 4;
  const minEventSpacingMs = options.minEventSpacingMs ?? 30_000;
  const floodWindowMs = options.floodWindowMs ?? 60_000;
  const floodMaxStarts = options.floodMaxStarts ?? 5;
  for (const [name, value, min] of [
    ['coalesceMs', coalesceMs, 0],
    ['execCoalesceMs', execCoalesceMs, 0],
    ['busyRetryMs', busyRetryMs, 1],
    ['maxConcurrentRuns', maxConcurrentRuns, 1],
    ['minEventSpacingMs', minEventSpacingMs, 0],
    ['floodWindowMs', floodWindowMs, 0],
    ['floodMaxStarts', floodMaxStarts, 1],
  ] as const) {
    if (!Number.isInteger(value) || value < min) {
      throw new HeartbeatRouterError('INVALID_INPUT', `${name} must be an integer ≥ ${min}.`, { field: name });
    }
  }

  const pending = new Map<string, Pending>();
  const qualify = createSessionKeyCache();
  const running = new Set<string>();
  const guards = new Map<string, AgentGuard>();
  const heap = new MinHeap();
  const ready: Array<Set<Pending>> = [new Set(), new Set(), new Set(), new Set()];
  let seq = 0;
  let timer: TimerHandle | undefined;
  let timerAt = Number.POSITIVE_INFINITY;
  let pumping = false;
  let repump = false;
  let disposed = false;
  const counters = { requests: 0, started: 0, completed: 0, coalesced: 0, deferred: 0, retries: 0, errors: 0 };

  const effectiveAt = (p: Pending): number => Math.max(p.dueAt, p.holdUntil);

  function schedule(p: Pending): void {
    if (p.bucket !== -1) return; // already ready; dispatch picks it up
    p.version++;
    heap.push({ time: effectiveAt(p), seq: ++seq, key: p.key, version: p.version });
  }

  function setBucket(p: Pending, priority: number): void {
    if (p.bucket !== -1) ready[p.bucket]!.delete(p);
    p.bucket = priority;
    if (priority !== -1) ready[priority]!.add(p);
  }

  function adopt(into: Pending, from: Pending): void {
    into.count += from.count;
    for (const r of from.reasons) into.reasons.add(r);
    if (WAKE_REASON_PRIORITY[from.reason] > WAKE_REASON_PRIORITY[into.reason]) into.reason = from.reason;
    into.firstAt = Math.min(into.firstAt, from.firstAt);
    into.dueAt = Math.min(into.dueAt, from.dueAt);
    into.holdUntil = Math.max(into.holdUntil, from.holdUntil);
    into.attempt = Math.max(into.attempt, from.attempt);
  }

  function requestHeartbeatNow(raw: WakeRequest): { sessionKey: string; agentId: string; readyAt: number } {
    if (disposed) throw new HeartbeatRouterError('DISPOSED', 'The wake scheduler was disposed; create a new one.');
    // Fast path for well-formed input; anything else goes through the zod schema (and its errors).
    const request = isPlainWakeRequest(raw) ? raw : parseInput(wakeRequestSchema, raw, 'requestHeartbeatNow');
    let key: string;
    let agentId: string;
    // `global` is the one canonical sentinel (see canonicalizeSessionKey); `GLOBAL` is refused below.
    if (request.sessionKey === 'global') {
      if (request.agentId === undefined || request.agentId.trim() === '') {
        throw new HeartbeatRouterError('INVALID_INPUT', 'A wake for the "global" session needs an agentId.', { field: 'agentId' });
      }
      agentId = normalizeAgentId(request.agentId);
      key = `agent:${agentId}:global`;
    } else {
      const q = qualify(request.sessionKey);
      key = q.sessionKey;
      agentId = q.agentId;
      if (request.agentId !== undefined && normalizeAgentId(request.agentId) !== agentId) {
        throw new HeartbeatRouterError(
          'AGENT_MISMATCH',
          `Agent id "${request.agentId.trim()}" does not match session key agent "${agentId}".`,
          { field: 'agentId' },
        );
      }
    }
    const now = clock.now();
    const delay = request.coalesceMs ?? (request.reason === 'exec-event' ? execCoalesceMs : coalesceMs);
    counters.requests++;
    const existing = pending.get(key);
    if (existing) {
      counters.coalesced++;
      existing.count++;
      existing.reasons.add(request.reason);
      // Higher priority wins; on a tie the newer request wins.
      if (WAKE_REASON_PRIORITY[request.reason] >= WAKE_REASON_PRIORITY[existing.reason]) {
        existing.reason = request.reason;
      }
      const before = effectiveAt(existing);
      existing.dueAt = Math.min(existing.dueAt, now + delay);
      if (existing.bucket !== -1) setBucket(existing, WAKE_REASON_PRIORITY[existing.reason]);
      else if (effectiveAt(existing) < before) schedule(existing);
    } else {
      const p: Pending = {
        key,
        agentId,
        reason: request.reason,
        reasons: new Set([request.reason]),
        count: 1,
        firstAt: now,
        dueAt: now + delay,
        holdUntil: 0,
        attempt: 0,
        version: 0,
        bucket: -1,
      };
      pending.set(key, p);
      schedule(p);
    }
    const p = pending.get(key)!;
    armTimer();
    return { sessionKey: key, agentId, readyAt: effectiveAt(p) };
  }

  function guardFor(agentId: string): AgentGuard {
    let g = guards.get(agentId);
    if (!g) {
      g = { starts: [], lastEventStartAt: undefined };
      guards.set(agentId, g);
    }
    return g;
  }

  /** When may this wake start? `null` = now. Manual wakes are never deferred. */
  function deferUntil(p: Pending, now: number): number | null {
    if (p.reason === 'manual') return null;
    const g = guards.get(p.agentId);
    if (!g) return null;
    let until: number | null = null;
    if (g.starts.length >= floodMaxStarts) {
      const nth = g.starts[g.starts.length - floodMaxStarts]!;
      if (now < nth + floodWindowMs) until = nth + floodWindowMs;
    }
    if (EVENT_REASONS.has(p.reason) && g.lastEventStartAt !== undefined) {
      const next = g.lastEventStartAt + minEventSpacingMs;
      if (now < next) until = Math.max(until ?? 0, next);
    }
    return until;
  }

  function requeue(p: Pending, holdMs: number): void {
    counters.retries++;
    p.attempt++;
    p.holdUntil = clock.now() + holdMs;
    p.bucket = -1;
    const newer = pending.get(p.key);
    if (newer) {
      adopt(p, newer);
      setBucket(newer, -1);
    }
    pending.set(p.key, p);
    // A retry is its own request class: it never outranks what it was.
    schedule(p);
  }

  function toRun(p: Pending): WakeRun {
    return Object.freeze({
      sessionKey: p.key,
      agentId: p.agentId,
      reason: p.reason,
      reasons: Object.freeze([...p.reasons]),
      requestCount: p.count,
      firstRequestedAt: p.firstAt,
      attempt: p.attempt,
    });
  }

  function release(key: string): void {
    running.delete(key);
    const waiting = pending.get(key);
    if (waiting && waiting.bucket === -1) schedule(waiting);
  }

  function finish(p: Pending, run: WakeRun, result: WakeRunResult, error: unknown, threw: boolean): void {
    counters.completed++;
    running.delete(p.key);
    if (threw) {
      counters.errors++;
      options.onError?.(error, run);
      if (!disposed) requeue(p, busyRetryMs);
    } else if (result && result.status === 'retry' && !disposed) {
      requeue(p, Math.max(1, result.retryAfterMs ?? busyRetryMs));
    }
    release(p.key);
    pump();
  }

  function launch(p: Pending, now: number): void {
    const g = guardFor(p.agentId);
    g.starts.push(now);
    if (g.starts.length > floodMaxStarts) g.starts.shift();
    if (EVENT_REASONS.has(p.reason)) g.lastEventStartAt = now;
    counters.started++;
    const run = toRun(p);
    let out: WakeRunResult | Promise<WakeRunResult>;
    try {
      out = options.runHeartbeat(run);
    } catch (error) {
      finish(p, run, undefined, error, true);
      return;
    }
    if (out && typeof (out as Promise<WakeRunResult>).then === 'function') {
      (out as Promise<WakeRunResult>).then(
        (result) => finish(p, run, result, undefined, false),
        (error: unknown) => finish(p, run, undefined, error, true),
      );
    } else {
      finish(p, run, out as WakeRunResult, undefined, false);
    }
  }

  function start(p: Pending, now: number): void {
    pending.delete(p.key);
    running.add(p.key);
    const busy = options.isBusy ? tryBusy(p) : false;
    if (busy === false) {
      launch(p, now);
      return;
    }
    if (busy === true) {
      running.delete(p.key);
      requeue(p, busyRetryMs);
      return;
    }
    busy.then(
      (isBusy) => {
        if (isBusy || disposed) {
          running.delete(p.key);
          if (!disposed) requeue(p, busyRetryMs);
          release(p.key);
          pump();
        } else {
          launch(p, clock.now());
        }
      },
      (error: unknown) => {
        counters.errors++;
        options.onError?.(error, toRun(p));
        running.delete(p.key);
        if (!disposed) requeue(p, busyRetryMs);
        release(p.key);
        pump();
      },
    );
  }

  function tryBusy(p: Pending): boolean | Promise<boolean> {
    try {
      const r = options.isBusy!({ sessionKey: p.key, agentId: p.agentId });
      return typeof r === 'boolean' ? r : Promise.resolve(r).then(Boolean);
    } catch (error) {
      counters.errors++;
      options.onError?.(error, toRun(p));
      return true;
    }
  }

  function takeReady(): Pending | undefined {
    for (let priority = 3; priority >= 0; priority--) {
      const bucket = ready[priority]!;
      for (const p of bucket) {
        bucket.delete(p);
        p.bucket = -1;
        return p;
      }
    }
    return undefined;
  }

  function pumpOnce(): void {
    const now = clock.now();
    for (let top = heap.peek(); top && top.time <= now; top = heap.peek()) {
      heap.pop();
      const p = pending.get(top.key);
      if (!p || p.version !== top.version || p.bucket !== -1) continue;
      if (running.has(p.key)) continue; // re-scheduled by release() when the run ends
      if (effectiveAt(p) > now) {
        schedule(p);
        continue;
      }
      setBucket(p, WAKE_REASON_PRIORITY[p.reason]);
    }
    while (running.size < maxConcurrentRuns) {
      const p = takeReady();
      if (!p) break;
      const until = deferUntil(p, now);
      if (until !== null) {
        counters.deferred++;
        p.dueAt = until;
        schedule(p);
        continue;
      }
      start(p, now);
    }
  }

  function pump(): void {
    if (disposed) return;
    if (pumping) {
      repump = true;
      return;
    }
    pumping = true;
    try {
      do {
        repump = false;
        pumpOnce();
      } while (repump);
    } finally {
      pumping = false;
    }
    armTimer();
  }

  function armTimer(): void {
    if (disposed || pumping) return;
    // Drop stale heads so the timer targets a live entry.
    for (let top = heap.peek(); top; top = heap.peek()) {
      const p = pending.get(top.key);
      if (p && p.version === top.version && p.bucket === -1) break;
      heap.pop();
    }
    const top = heap.peek();
    if (!top) return;
    if (timer !== undefined && top.time >= timerAt) return;
    if (timer !== undefined) clock.clearTimeout(timer);
    timerAt = top.time;
    timer = clock.setTimeout(
      () => {
        timer = undefined;
        timerAt = Number.POSITIVE_INFINITY;
        pump();
      },
      Math.max(0, top.time - clock.now()),
    );
  }

  return {
    requestHeartbeatNow,
    isRunning: (sessionKey) => running.has(qualify(sessionKey).sessionKey),
    isPending: (sessionKey) => pending.has(qualify(sessionKey).sessionKey),
    stats: () => ({ pending: pending.size, running: running.size, ...counters }),
    dispose: () => {
      disposed = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
      pending.clear();
      heap.clear();
      for (const bucket of ready) bucket.clear();
    },
  };
}
