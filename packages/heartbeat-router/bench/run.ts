/**
 * `pnpm --filter @pincer/heartbeat-router bench`: throughput of the system-event queue
 * (enqueue+drain 1 000 000 events across 10 000 sessions, next to a same-run naive Map-of-arrays
 * comparison) and of the wake scheduler (100 000 wake requests → coalesced runs), with heap use
 * showing memory stays bounded by the caps. Prints a markdown table and writes bench/results.json.
 * Timing lives here, never in the tests.
 */
import { reportBench, type BenchRow } from '../../../scripts/bench-report.js';
import { createSystemEventQueue, createWakeScheduler, type Clock } from '../src/index.js';

const SESSIONS = 10_000;
const EVENTS = 1_000_000;
const WAKES = 100_000;
const MB = 1024 * 1024;

const gc = (globalThis as { gc?: () => void }).gc;
function heapMb(): number {
  gc?.();
  return process.memoryUsage().heapUsed / MB;
}

const sessionKeys = Array.from({ length: SESSIONS }, (_, i) => `agent:a${i % 1000}:telegram:default:direct:${i}`);

/** Manual clock: timers run only when the bench advances time. */
function createManualClock(): Clock & { advanceTo(t: number): void; pending(): number } {
  let now = 1_700_000_000_000;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout: (fn, ms) => {
      const id = ++seq;
      timers.set(id, { at: now + Math.max(0, ms), fn });
      return id;
    },
    clearTimeout: (id) => {
      timers.delete(id as number);
    },
    advanceTo(t: number) {
      for (;;) {
        let nextId = -1;
        let nextAt = Number.POSITIVE_INFINITY;
        for (const [id, timer] of timers) if (timer.at < nextAt) [nextId, nextAt] = [id, timer.at];
        if (nextId === -1 || nextAt > t) break;
        const timer = timers.get(nextId)!;
        timers.delete(nextId);
        now = Math.max(now, timer.at);
        timer.fn();
      }
      now = Math.max(now, t);
    },
    pending: () => timers.size,
  };
}

function benchQueue(): BenchRow[] {
  const rounds = EVENTS / SESSIONS; // 100 events per session
  const heapBefore = heapMb();
  const queue = createSystemEventQueue({
    idGenerator: (() => {
      let n = 0;
      return () => `e${++n}`;
    })(),
  });
  let drained = 0;
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) {
    for (const key of sessionKeys) queue.enqueue({ sessionKey: key, text: `Exec completed (r${r}, code 0)` });
    if (r % 10 === 9) for (const key of sessionKeys) drained += queue.drain(key).length;
  }
  const ms = performance.now() - t0;
  if (drained !== EVENTS) throw new Error(`drained ${drained}, expected ${EVENTS}`);
  const opsPerSec = (EVENTS / ms) * 1000;

  // Same-run comparison: a Map of arrays with no validation, dedupe, cap or ids.
  const naive = new Map<string, string[]>();
  let naiveDrained = 0;
  const n0 = performance.now();
  for (let r = 0; r < rounds; r++) {
    for (const key of sessionKeys) {
      let list = naive.get(key);
      if (!list) {
        list = [];
        naive.set(key, list);
      }
      list.push(`Exec completed (r${r}, code 0)`);
    }
    if (r % 10 === 9) {
      for (const key of sessionKeys) {
        naiveDrained += naive.get(key)?.length ?? 0;
        naive.delete(key);
      }
    }
  }
  const naiveOps = (EVENTS / (performance.now() - n0)) * 1000;
  if (naiveDrained !== EVENTS) throw new Error('naive drain mismatch');

  // Memory bound: 1 000 000 enqueues with no drain keep at most 20 per session.
  const capped = createSystemEventQueue();
  for (let r = 0; r < rounds; r++)
    for (const key of sessionKeys) capped.enqueue({ sessionKey: key, text: `Exec completed (r${r}, code 0)` });
  const held = capped.stats().events;
  const heapHeld = heapMb() - heapBefore;
  if (held !== SESSIONS * 20) throw new Error(`held ${held}`);
  return [
    {
      name: 'queue enqueue+drain (1M events, 10k sessions)',
      value: opsPerSec,
      unit: 'events/s',
      baseline: 'naive Map<string, string[]> push+delete',
      baselineValue: naiveOps,
      ratio: opsPerSec / naiveOps,
      target: '≥ 100,000 events/s',
      pass: opsPerSec >= 100_000,
    },
    {
      name: 'events held after 1M enqueues, no drain',
      value: held,
      unit: 'events',
      target: '= 10,000 sessions × cap 20',
      pass: held === SESSIONS * 20,
    },
    {
      name: 'heap held by those capped queues',
      value: heapHeld,
      unit: 'MB',
      target: '< 200 MB',
      pass: heapHeld < 200,
    },
  ];
}

function benchWakes(): BenchRow[] {
  const clock = createManualClock();
  let runs = 0;
  let maxConcurrent = 0;
  let inFlight = 0;
  const heapBefore = heapMb();
  const scheduler = createWakeScheduler({
    clock,
    runHeartbeat: () => {
      inFlight++;
      maxConcurrent = Math.max(maxConcurrent, inFlight);
      runs++;
      inFlight--;
    },
  });
  const reasons = ['exec-event', 'cron-event', 'subagent-event', 'interval', 'manual'] as const;
  const t0 = performance.now();
  for (let i = 0; i < WAKES; i++) {
    scheduler.requestHeartbeatNow({ sessionKey: sessionKeys[i % SESSIONS]!, reason: reasons[i % reasons.length]!, coalesceMs: 250 });
  }
  const requestMs = performance.now() - t0;
  const heapPending = heapMb() - heapBefore;
  const pendingAfterRequests = scheduler.stats().pending;
  // Let simulated time pass until every deferred wake has run (flood guard: 5 starts / 60 s / agent).
  const d0 = performance.now();
  for (let step = 1; step <= 30 && (scheduler.stats().pending > 0 || clock.pending() > 0); step++) {
    clock.advanceTo(clock.now() + 60_000);
  }
  const drainMs = performance.now() - d0;
  const stats = scheduler.stats();
  if (stats.pending !== 0) throw new Error(`still pending: ${stats.pending}`);
  return [
    {
      name: 'wake requests (100k, 10k sessions, 1k agents)',
      value: (WAKES / requestMs) * 1000,
      unit: 'requests/s',
      target: '≥ 100,000 requests/s',
      pass: (WAKES / requestMs) * 1000 >= 100_000,
    },
    {
      name: 'runs started for 100k requests',
      value: runs,
      unit: 'runs',
      target: '= 10,000 (one per session)',
      pass: runs === SESSIONS,
    },
    {
      name: 'dispatch of the coalesced runs (guards included)',
      value: (runs / drainMs) * 1000,
      unit: 'runs/s',
    },
    {
      name: 'pending wakes after the burst',
      value: pendingAfterRequests,
      unit: 'wakes',
      target: '≤ 10,000 (one per session)',
      pass: pendingAfterRequests <= SESSIONS,
    },
    {
      name: 'heap held by the pending wakes',
      value: heapPending,
      unit: 'MB',
      target: '< 50 MB',
      pass: heapPending < 50,
    },
  ];
}

const rows = [...benchQueue(), ...benchWakes()];
reportBench(
  `@pincer/heartbeat-router bench — Node ${process.version}${gc ? '' : ' (no --expose-gc: heap figures are approximate)'}`,
  rows,
  import.meta.url,
);
