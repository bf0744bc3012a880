import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { dispatchSystemEvent } from './dispatch.js';
import { createHeartbeatRunner, type HeartbeatAgentConfig, type HeartbeatResult, type HeartbeatTurnRequest } from './heartbeat-runner.js';
import { createSystemEventQueue } from './system-event-queue.js';
import { createWakeScheduler } from './wake-scheduler.js';

beforeEach(() => {
  vi.useFakeTimers({ now: Date.UTC(2026, 0, 15, 12, 0, 0) });
});
afterEach(() => {
  vi.useRealTimers();
});

type Reply = string | ((req: HeartbeatTurnRequest) => string | Promise<string>);

function setup(agents: HeartbeatAgentConfig[], reply: Reply = 'HEARTBEAT_OK') {
  const queue = createSystemEventQueue();
  const turns: HeartbeatTurnRequest[] = [];
  const results: HeartbeatResult[] = [];
  const delivered: Array<{ agentId: string; sessionKey: string; text: string }> = [];
  let runner: ReturnType<typeof createHeartbeatRunner>;
  const scheduler = createWakeScheduler({ runHeartbeat: (run) => runner.runHeartbeat(run) });
  runner = createHeartbeatRunner({
    agents,
    scheduler,
    queue,
    runTurn: (req) => {
      turns.push(req);
      return typeof reply === 'string' ? reply : reply(req);
    },
    deliver: (d) => {
      delivered.push(d);
    },
    onResult: (r) => results.push(r),
  });
  return { queue, scheduler, runner, turns, results, delivered };
}

describe('createHeartbeatRunner', () => {
  it('runs an interval heartbeat every 30 min by default in the main session; HEARTBEAT_OK is acknowledged, not delivered', async () => {
    const { runner, turns, results, delivered } = setup([{ agentId: 'ops' }]);
    runner.start();
    await vi.advanceTimersByTimeAsync(30 * 60_000 - 1);
    expect(turns).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1 + 250);
    expect(turns).toHaveLength(1);
    expect(turns[0]).toMatchObject({ agentId: 'ops', sessionKey: 'agent:ops:main', reason: 'interval', events: [], systemLines: '' });
    expect(results[0]).toMatchObject({ status: 'ok-token' });
    expect(delivered).toEqual([]);
    await vi.advanceTimersByTimeAsync(30 * 60_000);
    expect(turns).toHaveLength(2);
    runner.stop();
    await vi.advanceTimersByTimeAsync(2 * 60 * 60_000);
    expect(turns).toHaveLength(2);
  });

  it('honours every, and every: 0 disables the interval', async () => {
    const { runner, turns } = setup([
      { agentId: 'fast', every: '5m' },
      { agentId: 'off', every: 0 },
    ]);
    expect(runner.intervalMs('off')).toBe(0);
    runner.start();
    await vi.advanceTimersByTimeAsync(60 * 60_000);
    expect(new Set(turns.map((t) => t.agentId))).toEqual(new Set(['fast']));
    expect(turns.length).toBeGreaterThanOrEqual(11);
  });

  it('skips interval heartbeats outside active hours but still runs event wakes', async () => {
    // 12:00 UTC = 07:00 New York: outside 09:00–17:00.
    const { runner, queue, scheduler, turns, results } = setup([
      { agentId: 'ops', every: '30m', activeHours: { start: '09:00', end: '17:00', timeZone: 'America/New_York' } },
    ]);
    runner.start();
    await vi.advanceTimersByTimeAsync(30 * 60_000 + 250);
    expect(turns).toHaveLength(0);
    expect(results.at(-1)).toMatchObject({ status: 'skipped', skipReason: 'quiet-hours' });

    dispatchSystemEvent({ queue, scheduler }, { sessionKey: 'agent:ops:main', text: 'Exec completed (a1, code 0)', source: 'exec' });
    await vi.advanceTimersByTimeAsync(0);
    expect(turns).toHaveLength(1);
    expect(turns[0]!.reason).toBe('exec-event');

    // At 14:00 UTC (09:00 New York) interval heartbeats run again.
    await vi.advanceTimersByTimeAsync(90 * 60_000);
    expect(turns.filter((t) => t.reason === 'interval').length).toBeGreaterThanOrEqual(1);
  });

  it('runs interval heartbeats only inside an overnight window, on the wall clock across the spring-forward night', async () => {
    // 2026-03-07 12:00 UTC = 07:00 EST. That night New York jumps 02:00 EST → 03:00 EDT.
    vi.setSystemTime(Date.UTC(2026, 2, 7, 12, 0, 0));
    const localHour = new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', hour: '2-digit', hourCycle: 'h23' });
    const hours: string[] = [];
    const { runner, turns } = setup(
      [{ agentId: 'ops', every: '1h', activeHours: { start: '22:00', end: '06:00', timeZone: 'America/New_York' } }],
      () => {
        hours.push(localHour.format(Date.now()));
        return 'HEARTBEAT_OK';
      },
    );
    runner.start();
    await vi.advanceTimersByTimeAsync(24 * 3_600_000 + 1_000);
    runner.stop();
    expect(turns.every((t) => t.reason === 'interval')).toBe(true);
    // 22, 23 and 00, 01 EST, then 03, 04, 05 EDT (02:00 does not exist); 06:00 EDT is already outside.
    expect(hours).toEqual(['22', '23', '00', '01', '03', '04', '05']);
  });

  it('shows queued events as System lines and consumes them after a successful turn', async () => {
    const { queue, scheduler, turns, results } = setup([{ agentId: 'ops' }]);
    dispatchSystemEvent(
      { queue, scheduler },
      { sessionKey: 'agent:ops:main', text: 'Exec completed (a1, code 0) :: done', source: 'exec' },
    );
    await vi.advanceTimersByTimeAsync(0);
    expect(turns[0]!.systemLines).toBe('System: [2026-01-15 12:00:00 UTC] Exec completed (a1, code 0) :: done');
    expect(results[0]).toMatchObject({ status: 'ok-token', eventsConsumed: 1 });
    expect(queue.peek('agent:ops:main')).toEqual([]);
  });

  it('delivers a non-ack reply and keeps events when the turn fails', async () => {
    let fail = true;
    const { queue, scheduler, runner, turns, results, delivered } = setup([{ agentId: 'ops' }], () => {
      if (fail) throw new Error('model down');
      return 'The nightly build failed.';
    });
    dispatchSystemEvent({ queue, scheduler }, { sessionKey: 'agent:ops:main', text: 'Exec failed (b2, code 1)', source: 'exec' });
    await vi.advanceTimersByTimeAsync(0);
    expect(results[0]).toMatchObject({ status: 'failed', error: 'model down', eventsConsumed: 0 });
    expect(queue.peek('agent:ops:main')).toHaveLength(1);

    fail = false;
    runner.wake({ agentId: 'ops', reason: 'manual' });
    await vi.advanceTimersByTimeAsync(250);
    expect(turns).toHaveLength(2);
    expect(delivered).toEqual([{ agentId: 'ops', sessionKey: 'agent:ops:main', text: 'The nightly build failed.' }]);
    expect(results[1]).toMatchObject({ status: 'sent', text: 'The nightly build failed.', eventsConsumed: 1 });
    expect(runner.lastResult('ops')?.status).toBe('sent');
  });

  it('skips an event wake whose events are already gone', async () => {
    const { scheduler, turns, results } = setup([{ agentId: 'ops' }]);
    scheduler.requestHeartbeatNow({ sessionKey: 'agent:ops:main', reason: 'exec-event' });
    await vi.advanceTimersByTimeAsync(0);
    expect(turns).toHaveLength(0);
    expect(results[0]).toMatchObject({ status: 'skipped', skipReason: 'no-pending-event' });
  });

  it('runs an isolated heartbeat in <session>:heartbeat but reads the base queue', async () => {
    const { queue, scheduler, turns, results } = setup([{ agentId: 'ops', isolatedSession: true }]);
    dispatchSystemEvent({ queue, scheduler }, { sessionKey: 'agent:ops:main', text: 'reminder', source: 'cron' });
    await vi.advanceTimersByTimeAsync(250);
    expect(turns[0]).toMatchObject({ sessionKey: 'agent:ops:main:heartbeat', queueKey: 'agent:ops:main', isolated: true });
    expect(results[0]!.eventsConsumed).toBe(1);
  });

  it('interval heartbeats use the configured heartbeat.session', async () => {
    const { runner, turns } = setup([{ agentId: 'ops', heartbeatSession: 'ops-room', every: '1m' }]);
    runner.start();
    await vi.advanceTimersByTimeAsync(60_000 + 250);
    expect(turns[0]!.sessionKey).toBe('agent:ops:ops-room');
  });

  describe('seed 001 end to end', () => {
    const dm = 'agent:main:telegram:default:direct:12345';

    it('single owner, dmScope main: the exec event and its heartbeat land in agent:main:main', async () => {
      const { queue, scheduler, turns } = setup([{ agentId: 'main', sessionConfig: { dmScope: 'main' }, allowFrom: ['12345'] }]);
      const out = dispatchSystemEvent(
        { queue, scheduler },
        { sessionKey: dm, text: 'Exec completed (c3, code 0)', source: 'exec', session: { dmScope: 'main' }, allowFrom: ['12345'] },
      );
      expect(out.route.sessionKey).toBe('agent:main:main');
      expect(queue.peek(dm)).toEqual([]);
      await vi.advanceTimersByTimeAsync(0);
      expect(turns.map((t) => t.sessionKey)).toEqual(['agent:main:main']);
      expect(turns[0]!.events.map((e) => e.text)).toEqual(['Exec completed (c3, code 0)']);
    });

    it('two owners: the event and the heartbeat stay in the original DM session', async () => {
      const { queue, scheduler, turns } = setup([{ agentId: 'main' }]);
      dispatchSystemEvent(
        { queue, scheduler },
        { sessionKey: dm, text: 'Exec completed (c3, code 0)', source: 'exec', session: { dmScope: 'main' }, allowFrom: ['12345', '678'] },
      );
      await vi.advanceTimersByTimeAsync(0);
      expect(turns.map((t) => t.sessionKey)).toEqual([dm]);
      expect(queue.peek('agent:main:main')).toEqual([]);
    });

    it('per-channel-peer: the original session', async () => {
      const { queue, scheduler, turns } = setup([{ agentId: 'main' }]);
      dispatchSystemEvent(
        { queue, scheduler },
        { sessionKey: dm, text: 'done', source: 'cron', session: { dmScope: 'per-channel-peer' }, allowFrom: ['12345'] },
      );
      await vi.advanceTimersByTimeAsync(250);
      expect(turns.map((t) => t.sessionKey)).toEqual([dm]);
    });

    it("a sub-agent's own exec event wakes the sub-agent session, not main", async () => {
      const { queue, scheduler, turns } = setup([{ agentId: 'main' }]);
      const sub = 'agent:main:subagent:w1';
      dispatchSystemEvent(
        { queue, scheduler },
        { sessionKey: sub, text: 'Exec completed (d4, code 0)', source: 'exec', allowFrom: ['12345'] },
      );
      await vi.advanceTimersByTimeAsync(0);
      expect(turns.map((t) => t.sessionKey)).toEqual([sub]);
      expect(queue.peek('agent:main:main')).toEqual([]);
    });

    it('a cron-run key wakes the main session (rerouteToMain: any-session)', async () => {
      const { queue, scheduler, turns } = setup([{ agentId: 'main' }]);
      dispatchSystemEvent(
        { queue, scheduler },
        { sessionKey: 'agent:main:cron:daily:run:r9', text: 'report ready', source: 'cron', session: { rerouteToMain: 'any-session' } },
      );
      await vi.advanceTimersByTimeAsync(250);
      expect(turns.map((t) => t.sessionKey)).toEqual(['agent:main:main']);
    });
  });

  it('isolation: a heartbeat of session A never sees or consumes events of session B', async () => {
    const { queue, scheduler, turns } = setup([{ agentId: 'ops' }]);
    const a = 'agent:ops:room-a';
    const b = 'agent:ops:room-b';
    queue.enqueue({ sessionKey: b, text: 'for B only' });
    dispatchSystemEvent({ queue, scheduler }, { sessionKey: a, text: 'for A', source: 'manual' });
    await vi.advanceTimersByTimeAsync(250);
    expect(turns).toHaveLength(1);
    expect(turns[0]!.sessionKey).toBe(a);
    expect(turns[0]!.events.map((e) => e.text)).toEqual(['for A']);
    expect(queue.peek(b).map((e) => e.text)).toEqual(['for B only']);
  });
});

describe('failure backoff (issue 14 item 26)', () => {
  function outage(options: { failures: number; failureBackoff?: { initialMs?: number; maxMs?: number; factor?: number } }) {
    const queue = createSystemEventQueue();
    const attemptsAt: number[] = [];
    const results: HeartbeatResult[] = [];
    let runner: ReturnType<typeof createHeartbeatRunner>;
    // Spacing and flood guards off, so the times below are the backoff's alone.
    const scheduler = createWakeScheduler({ runHeartbeat: (run) => runner.runHeartbeat(run), minEventSpacingMs: 0, floodMaxStarts: 1_000 });
    runner = createHeartbeatRunner({
      agents: [{ agentId: 'ops' }],
      scheduler,
      queue,
      ...(options.failureBackoff ? { failureBackoff: options.failureBackoff } : {}),
      runTurn: () => {
        attemptsAt.push(Date.now() - T0);
        if (attemptsAt.length <= options.failures) throw new Error('provider unavailable (503)');
        return 'HEARTBEAT_OK';
      },
      onResult: (result) => results.push(result),
    });
    return { queue, scheduler, runner, attemptsAt, results };
  }
  const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);
  const KEY = 'agent:ops:main';

  it('retries a failing turn after 5 s, 10 s, 20 s, … capped at 5 min, keeping the events queued', async () => {
    const { queue, scheduler, runner, attemptsAt, results } = outage({ failures: 9 });
    dispatchSystemEvent({ queue, scheduler }, { sessionKey: KEY, text: 'Exec completed (a1, code 0) :: done', source: 'exec' });
    await vi.advanceTimersByTimeAsync(0);
    expect(attemptsAt).toEqual([0]);
    expect(runner.status(KEY)).toMatchObject({
      state: 'backing-off',
      consecutiveFailures: 1,
      nextAttemptAt: T0 + 5_000,
      lastError: 'provider unavailable (503)',
    });
    // New events during the backoff do not cause extra attempts.
    for (let i = 0; i < 5; i++) {
      dispatchSystemEvent({ queue, scheduler }, { sessionKey: KEY, text: `Exec completed (b${i}, code 0)`, source: 'exec' });
      await vi.advanceTimersByTimeAsync(500);
    }
    expect(attemptsAt).toEqual([0]);
    await vi.advanceTimersByTimeAsync(30 * 60_000);
    const failed = results.filter((result) => result.status === 'failed');
    expect(failed).toHaveLength(9);
    expect(failed.map((result) => result.nextAttemptAt! - result.endedAt)).toEqual([
      5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000,
    ]);
    expect(failed.map((result) => result.consecutiveFailures)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // Each retry starts when its backoff ends (plus the scheduler's 1 ms dispatch tick), never earlier.
    attemptsAt.slice(1).forEach((at, index) => {
      expect(at + T0 - failed[index]!.nextAttemptAt!).toBeGreaterThanOrEqual(0);
      expect(at + T0 - failed[index]!.nextAttemptAt!).toBeLessThanOrEqual(1);
    });
    // Recovered: the queued events were shown once and consumed; the session is ok again.
    expect(results.at(-1)).toMatchObject({ status: 'ok-token', eventsConsumed: 6 });
    expect(queue.peek(KEY)).toEqual([]);
    expect(runner.status(KEY)).toEqual({ state: 'ok', sessionKey: KEY });
    expect(runner.backoffSnapshot()).toEqual([]);
    scheduler.dispose();
  });

  it('lists backing-off sessions in the snapshot, soonest first, and honours custom limits', async () => {
    const { queue, scheduler, runner } = outage({ failures: 100, failureBackoff: { initialMs: 1_000, maxMs: 4_000, factor: 3 } });
    dispatchSystemEvent({ queue, scheduler }, { sessionKey: 'agent:ops:room-b', text: 'b', source: 'exec' });
    await vi.advanceTimersByTimeAsync(1_001); // room-b: failed at 0 and again at 1 001 (next in 3 s)
    dispatchSystemEvent({ queue, scheduler }, { sessionKey: 'agent:ops:room-a', text: 'a', source: 'exec' });
    await vi.advanceTimersByTimeAsync(0); // room-a: failed once (next in 1 s)
    const snapshot = runner.backoffSnapshot();
    expect(snapshot.map((entry) => [entry.sessionKey, entry.consecutiveFailures])).toEqual([
      ['agent:ops:room-a', 1],
      ['agent:ops:room-b', 2],
    ]);
    expect(snapshot[1]!.nextAttemptAt - snapshot[1]!.lastFailedAt).toBe(3_000);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(runner.status('agent:ops:room-b')).toMatchObject({ state: 'backing-off' });
    const entry = runner.backoffSnapshot().find((item) => item.sessionKey === 'agent:ops:room-b')!;
    expect(entry.nextAttemptAt - entry.lastFailedAt).toBe(4_000);
    expect(queue.peek('agent:ops:room-b').map((event) => event.text)).toEqual(['b']);
    expect(() => runner.status('agent:ops:ROOM-B')).toThrow(/not canonical/);
    runner.stop();
    scheduler.dispose();
  });

  it('a manual wake still runs during the backoff', async () => {
    const { queue, scheduler, runner, attemptsAt } = outage({ failures: 1 });
    dispatchSystemEvent({ queue, scheduler }, { sessionKey: KEY, text: 'x', source: 'exec' });
    await vi.advanceTimersByTimeAsync(0);
    runner.wake({ agentId: 'ops', reason: 'manual' });
    await vi.advanceTimersByTimeAsync(300);
    expect(attemptsAt).toEqual([0, 250]);
    expect(runner.status(KEY).state).toBe('ok');
    scheduler.dispose();
  });
});
