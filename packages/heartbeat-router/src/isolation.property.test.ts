import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSystemEventQueue } from './system-event-queue.js';
import { createWakeScheduler, type WakeReason, type WakeRun } from './wake-scheduler.js';

const SESSIONS = [
  'agent:ops:main',
  'agent:ops:telegram:default:direct:1',
  'agent:ops:subagent:w1',
  'agent:other:main',
  'agent:other:telegram:default:direct:1',
  'agent:ops:cron:j:run:r',
];
const REASONS: WakeReason[] = ['manual', 'exec-event', 'cron-event', 'subagent-event', 'interval', 'retry'];

type QueueOp =
  | { kind: 'enqueue'; s: number; text: string; ctx: string | null; replace: boolean }
  | { kind: 'drain' | 'peek'; s: number }
  | { kind: 'removeCtx'; s: number; ctx: string };

const queueOp: fc.Arbitrary<QueueOp> = fc.oneof(
  fc.record({
    kind: fc.constant('enqueue' as const),
    s: fc.nat(SESSIONS.length - 1),
    text: fc.constantFrom('a', 'b', 'c', 'd'),
    ctx: fc.constantFrom(null, 'k1', 'k2'),
    replace: fc.boolean(),
  }),
  fc.record({ kind: fc.constantFrom('drain' as const, 'peek' as const), s: fc.nat(SESSIONS.length - 1) }),
  fc.record({ kind: fc.constant('removeCtx' as const), s: fc.nat(SESSIONS.length - 1), ctx: fc.constantFrom('k1', 'k2') }),
);

describe('isolation (property-based)', () => {
  it('queue: every event returned by peek/drain of a session was enqueued for that session; the cap always holds', () => {
    fc.assert(
      fc.property(fc.array(queueOp, { maxLength: 120 }), (ops) => {
        const queue = createSystemEventQueue({ maxPerSession: 5 });
        const owner = new Map<string, string>(); // event id → session it was enqueued for
        for (const op of ops) {
          const key = SESSIONS[op.s]!;
          if (op.kind === 'enqueue') {
            if (op.replace && op.ctx === null) continue;
            const r = queue.enqueue({ sessionKey: key, text: op.text, contextKey: op.ctx, replace: op.replace });
            if (r.accepted) owner.set(r.event.id, key);
          } else if (op.kind === 'removeCtx') {
            queue.removeByContextKey(op.ctx, key);
          } else {
            const events = op.kind === 'drain' ? queue.drain(key) : queue.peek(key);
            for (const e of events) {
              expect(owner.get(e.id)).toBe(key);
              expect(e.sessionKey).toBe(key);
            }
          }
          for (const k of SESSIONS) expect(queue.peek(k).length).toBeLessThanOrEqual(5);
        }
      }),
      { numRuns: 200 },
    );
  });

  describe('wake scheduler', () => {
    beforeEach(() => {
      vi.useFakeTimers({ now: 0 });
    });
    afterEach(() => {
      vi.useRealTimers();
    });

    it('runs only requested sessions, never one session twice at once, never more than the cap, and drops no wake', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.record({ s: fc.nat(SESSIONS.length - 1), reason: fc.constantFrom(...REASONS), gap: fc.nat(400) }), {
            minLength: 1,
            maxLength: 40,
          }),
          fc.integer({ min: 1, max: 3 }),
          async (requests, cap) => {
            const active = new Set<string>();
            let overlap = false;
            let maxActive = 0;
            const ran: WakeRun[] = [];
            const lastRequestAt = new Map<string, number>();
            const lastRunAt = new Map<string, number>();
            const scheduler = createWakeScheduler({
              maxConcurrentRuns: cap,
              runHeartbeat: async (run) => {
                if (active.has(run.sessionKey)) overlap = true;
                active.add(run.sessionKey);
                maxActive = Math.max(maxActive, active.size);
                ran.push(run);
                lastRunAt.set(run.sessionKey, Date.now());
                await new Promise((resolve) => setTimeout(resolve, 700));
                active.delete(run.sessionKey);
              },
            });
            for (const r of requests) {
              const key = SESSIONS[r.s]!;
              scheduler.requestHeartbeatNow({ sessionKey: key, reason: r.reason });
              lastRequestAt.set(key, Date.now());
              await vi.advanceTimersByTimeAsync(r.gap);
            }
            await vi.advanceTimersByTimeAsync(10 * 60_000);
            expect(overlap).toBe(false);
            expect(maxActive).toBeLessThanOrEqual(cap);
            expect(scheduler.stats()).toMatchObject({ pending: 0, running: 0 });
            const requested = new Set(requests.map((r) => SESSIONS[r.s]!));
            for (const run of ran) expect(requested.has(run.sessionKey)).toBe(true);
            // Every session's last request was served by a run that started after it (deferred, never dropped).
            for (const [key, at] of lastRequestAt) expect(lastRunAt.get(key) ?? -1).toBeGreaterThanOrEqual(at);
            scheduler.dispose();
          },
        ),
        { numRuns: 40 },
      );
    });
  });
});
