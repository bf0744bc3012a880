import { SessionKeyError } from '@pincer/session-key';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HeartbeatRouterError } from './errors.js';
import { createWakeScheduler, type WakeRun, type WakeSchedulerOptions } from './wake-scheduler.js';

const A = 'agent:ops:session-a';
const B = 'agent:ops:session-b';

beforeEach(() => {
  vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) });
});
afterEach(() => {
  vi.useRealTimers();
});

function setup(overrides: Partial<WakeSchedulerOptions> = {}) {
  const runs: WakeRun[] = [];
  const scheduler = createWakeScheduler({
    runHeartbeat: (run) => {
      runs.push(run);
    },
    ...overrides,
  });
  return { scheduler, runs };
}

/** A runHeartbeat whose runs stay in flight until released. */
function controlledRuns() {
  const runs: WakeRun[] = [];
  const releases: Array<() => void> = [];
  let active = 0;
  let maxActive = 0;
  const perSession = new Map<string, number>();
  let overlapped = false;
  return {
    runs,
    get active() {
      return active;
    },
    get maxActive() {
      return maxActive;
    },
    get overlapped() {
      return overlapped;
    },
    releaseAll() {
      for (const r of releases.splice(0)) r();
    },
    runHeartbeat(run: WakeRun): Promise<void> {
      runs.push(run);
      active++;
      maxActive = Math.max(maxActive, active);
      const n = (perSession.get(run.sessionKey) ?? 0) + 1;
      if (n > 1) overlapped = true;
      perSession.set(run.sessionKey, n);
      return new Promise<void>((resolve) => {
        releases.push(() => {
          active--;
          perSession.set(run.sessionKey, (perSession.get(run.sessionKey) ?? 1) - 1);
          resolve();
        });
      });
    },
  };
}

describe('createWakeScheduler', () => {
  it('coalesces 1 000 requests inside the window into one run', async () => {
    const { scheduler, runs } = setup();
    for (let i = 0; i < 1000; i++) {
      scheduler.requestHeartbeatNow({ sessionKey: A, reason: i === 500 ? 'exec-event' : 'interval', coalesceMs: 250 });
      if (i % 100 === 0) await vi.advanceTimersByTimeAsync(20); // spread over 200 ms
    }
    await vi.advanceTimersByTimeAsync(1000);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ sessionKey: A, agentId: 'ops', reason: 'exec-event', requestCount: 1000 });
    expect(scheduler.stats()).toMatchObject({ requests: 1000, started: 1, coalesced: 999 });
  });

  it('runs a wake after the 250 ms window; exec events right away', async () => {
    const { scheduler, runs } = setup();
    scheduler.requestHeartbeatNow({ sessionKey: A, reason: 'interval' });
    await vi.advanceTimersByTimeAsync(249);
    expect(runs).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toHaveLength(1);

    scheduler.requestHeartbeatNow({ sessionKey: B, reason: 'exec-event' });
    await vi.advanceTimersByTimeAsync(0);
    expect(runs.map((r) => r.sessionKey)).toEqual([A, B]);
  });

  it('a sooner request pulls a pending wake forward; a later one does not push it back', async () => {
    const { scheduler, runs } = setup();
    scheduler.requestHeartbeatNow({ sessionKey: A, reason: 'interval', coalesceMs: 5000 });
    scheduler.requestHeartbeatNow({ sessionKey: A, reason: 'exec-event' });
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toHaveLength(1);
    scheduler.requestHeartbeatNow({ sessionKey: A, reason: 'interval', coalesceMs: 100 });
    scheduler.requestHeartbeatNow({ sessionKey: A, reason: 'interval', coalesceMs: 10_000 });
    await vi.advanceTimersByTimeAsync(100);
    expect(runs).toHaveLength(2);
  });

  describe('priorities', () => {
    it('a merged wake carries the highest-priority reason and never downgrades', async () => {
      const { scheduler, runs } = setup();
      scheduler.requestHeartbeatNow({ sessionKey: A, reason: 'retry' });
      scheduler.requestHeartbeatNow({ sessionKey: A, reason: 'interval' });
      scheduler.requestHeartbeatNow({ sessionKey: A, reason: 'cron-event' });
      scheduler.requestHeartbeatNow({ sessionKey: A, reason: 'interval' });
      await vi.advanceTimersByTimeAsync(250);
      expect(runs[0]!.reason).toBe('cron-event');
      expect([...runs[0]!.reasons].sort()).toEqual(['cron-event', 'interval', 'retry']);

      scheduler.requestHeartbeatNow({ sessionKey: A, reason: 'subagent-event' });
      scheduler.requestHeartbeatNow({ sessionKey: A, reason: 'manual' });
      scheduler.requestHeartbeatNow({ sessionKey: A, reason: 'exec-event' });
      await vi.advanceTimersByTimeAsync(250);
      expect(runs[1]!.reason).toBe('manual');
    });

    it('when slots are scarce, manual runs before events before interval before retry', async () => {
      const c = controlledRuns();
      const scheduler = createWakeScheduler({ runHeartbeat: (r) => c.runHeartbeat(r), maxConcurrentRuns: 1 });
      scheduler.requestHeartbeatNow({ sessionKey: 'agent:a:blocker', reason: 'manual', coalesceMs: 0 });
      await vi.advanceTimersByTimeAsync(0);
      scheduler.requestHeartbeatNow({ sessionKey: 'agent:b:retry', reason: 'retry', coalesceMs: 0 });
      scheduler.requestHeartbeatNow({ sessionKey: 'agent:c:interval', reason: 'interval', coalesceMs: 0 });
      scheduler.requestHeartbeatNow({ sessionKey: 'agent:d:event', reason: 'subagent-event', coalesceMs: 0 });
      scheduler.requestHeartbeatNow({ sessionKey: 'agent:e:manual', reason: 'manual', coalesceMs: 0 });
      await vi.advanceTimersByTimeAsync(10);
      for (let i = 0; i < 5; i++) {
        c.releaseAll();
        await vi.advanceTimersByTimeAsync(0);
      }
      expect(c.runs.map((r) => r.sessionKey)).toEqual([
        'agent:a:blocker',
        'agent:e:manual',
        'agent:d:event',
        'agent:c:interval',
        'agent:b:retry',
      ]);
    });
  });

  it('retries a busy target after 1 s, not before, and keeps the wake', async () => {
    let busy = true;
    const { scheduler, runs } = setup({ isBusy: () => busy });
    scheduler.requestHeartbeatNow({ sessionKey: A, reason: 'exec-event' });
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toHaveLength(0);
    busy = false;
    // A sooner request cannot preempt the retry hold.
    scheduler.requestHeartbeatNow({ sessionKey: A, reason: 'manual', coalesceMs: 0 });
    await vi.advanceTimersByTimeAsync(999);
    expect(runs).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ reason: 'manual', attempt: 1, requestCount: 2 });
    expect(scheduler.stats().retries).toBe(1);
  });

  it('supports an async isBusy', async () => {
    let calls = 0;
    const { scheduler, runs } = setup({ isBusy: async () => ++calls < 3 });
    scheduler.requestHeartbeatNow({ sessionKey: A, reason: 'exec-event' });
    await vi.advanceTimersByTimeAsync(2000);
    expect(runs).toHaveLength(1);
    expect(calls).toBe(3);
  });

  it('retries a run that throws or asks for a retry after 1 s (never dropped)', async () => {
    let n = 0;
    const errors: unknown[] = [];
    const runs: WakeRun[] = [];
    const scheduler = createWakeScheduler({
      runHeartbeat: (run) => {
        runs.push(run);
        n++;
        if (n === 1) throw new Error('boom');
        if (n === 2) return { status: 'retry', retryAfterMs: 5000 };
        return { status: 'ran' };
      },
      onError: (e) => errors.push(e),
    });
    scheduler.requestHeartbeatNow({ sessionKey: A, reason: 'manual', coalesceMs: 0 });
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(999);
    expect(runs).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(4999);
    expect(runs).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toHaveLength(3);
    expect(errors).toHaveLength(1);
    expect(scheduler.isPending(A)).toBe(false);
  });

  it('never runs one session twice at once; a wake during a run runs once afterwards', async () => {
    const c = controlledRuns();
    const scheduler = createWakeScheduler({ runHeartbeat: (r) => c.runHeartbeat(r) });
    scheduler.requestHeartbeatNow({ sessionKey: A, reason: 'manual', coalesceMs: 0 });
    await vi.advanceTimersByTimeAsync(0);
    expect(scheduler.isRunning(A)).toBe(true);
    for (let i = 0; i < 50; i++) scheduler.requestHeartbeatNow({ sessionKey: A, reason: 'manual', coalesceMs: 0 });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(c.runs).toHaveLength(1);
    c.releaseAll();
    await vi.advanceTimersByTimeAsync(0);
    expect(c.runs).toHaveLength(2);
    expect(c.runs[1]!.requestCount).toBe(50);
    c.releaseAll();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(c.runs).toHaveLength(2);
    expect(c.overlapped).toBe(false);
  });

  it('runs at most 4 sessions at once overall', async () => {
    const c = controlledRuns();
    const scheduler = createWakeScheduler({ runHeartbeat: (r) => c.runHeartbeat(r) });
    for (let i = 0; i < 10; i++) scheduler.requestHeartbeatNow({ sessionKey: `agent:a${i}:main`, reason: 'manual' });
    await vi.advanceTimersByTimeAsync(250);
    expect(c.active).toBe(4);
    expect(scheduler.stats()).toMatchObject({ running: 4, pending: 6 });
    for (let round = 0; round < 5; round++) {
      c.releaseAll();
      await vi.advanceTimersByTimeAsync(0);
    }
    expect(c.runs).toHaveLength(10);
    expect(c.maxActive).toBe(4);
  });

  it('per agent, spaces event-driven runs 30 s apart (deferred, not dropped)', async () => {
    const { scheduler, runs } = setup();
    scheduler.requestHeartbeatNow({ sessionKey: A, reason: 'exec-event' });
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(5000);
    scheduler.requestHeartbeatNow({ sessionKey: B, reason: 'cron-event' }); // same agent, other session
    await vi.advanceTimersByTimeAsync(24_999);
    expect(runs).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs.map((r) => r.sessionKey)).toEqual([A, B]);
    expect(scheduler.stats().deferred).toBeGreaterThanOrEqual(1);
    // Another agent is not affected.
    scheduler.requestHeartbeatNow({ sessionKey: 'agent:other:main', reason: 'exec-event' });
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toHaveLength(3);
  });

  it('flood guard: after 5 starts in 60 s an agent waits; manual wakes are never deferred', async () => {
    const { scheduler, runs } = setup();
    for (let i = 0; i < 5; i++) {
      scheduler.requestHeartbeatNow({ sessionKey: `agent:ops:s${i}`, reason: 'interval', coalesceMs: 0 });
      await vi.advanceTimersByTimeAsync(1000);
    }
    expect(runs).toHaveLength(5); // starts at t=0,1,2,3,4 s
    scheduler.requestHeartbeatNow({ sessionKey: 'agent:ops:s5', reason: 'interval', coalesceMs: 0 });
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toHaveLength(5);
    scheduler.requestHeartbeatNow({ sessionKey: 'agent:ops:urgent', reason: 'manual', coalesceMs: 0 });
    await vi.advanceTimersByTimeAsync(0);
    expect(runs.map((r) => r.sessionKey)).toContain('agent:ops:urgent');
    // The first start was at t=0; the deferred wake runs when the window has rolled.
    const beforeRoll = runs.length;
    await vi.advanceTimersByTimeAsync(60_000 - 5000 - 1);
    expect(runs.length).toBe(beforeRoll);
    await vi.advanceTimersByTimeAsync(62_000);
    expect(runs.map((r) => r.sessionKey)).toContain('agent:ops:s5');
  });

  describe('isolation', () => {
    it('a wake for session A never runs session B', async () => {
      const { scheduler, runs } = setup();
      scheduler.requestHeartbeatNow({ sessionKey: A, reason: 'manual' });
      await vi.advanceTimersByTimeAsync(1000);
      expect(runs.map((r) => r.sessionKey)).toEqual([A]);
      expect(scheduler.isPending(B)).toBe(false);
      expect(scheduler.isRunning(B)).toBe(false);
    });

    it('refuses an agentId that does not own the key, and unqualified keys', () => {
      const { scheduler } = setup();
      let caught: unknown;
      try {
        scheduler.requestHeartbeatNow({ sessionKey: 'agent:other:main', agentId: 'ops', reason: 'manual' });
      } catch (error) {
        caught = error;
      }
      expect(HeartbeatRouterError.isInstance(caught) && caught.code).toBe('AGENT_MISMATCH');
      expect(() => scheduler.requestHeartbeatNow({ sessionKey: 'main', reason: 'manual' })).toThrow(SessionKeyError);
      expect(() => scheduler.requestHeartbeatNow({ sessionKey: 'global', reason: 'manual' })).toThrow(HeartbeatRouterError);
      expect(scheduler.stats().pending).toBe(0);
    });

    it('maps the global session to the agent-qualified global target', async () => {
      const { scheduler, runs } = setup();
      expect(scheduler.requestHeartbeatNow({ sessionKey: 'global', agentId: 'Ops', reason: 'manual' }).sessionKey).toBe('agent:ops:global');
      await vi.advanceTimersByTimeAsync(250);
      expect(runs[0]).toMatchObject({ sessionKey: 'agent:ops:global', agentId: 'ops' });
    });
  });

  it('dispose stops timers and rejects later requests', async () => {
    const { scheduler, runs } = setup();
    scheduler.requestHeartbeatNow({ sessionKey: A, reason: 'manual' });
    scheduler.dispose();
    await vi.advanceTimersByTimeAsync(1000);
    expect(runs).toHaveLength(0);
    expect(() => scheduler.requestHeartbeatNow({ sessionKey: A, reason: 'manual' })).toThrow(HeartbeatRouterError);
  });
});
