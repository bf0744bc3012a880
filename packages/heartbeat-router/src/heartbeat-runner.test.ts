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
    const { runner, turns } = setup([{ agentId: 'fast', every: '5m' }, { agentId: 'off', every: 0 }]);
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
    dispatchSystemEvent({ queue, scheduler }, { sessionKey: 'agent:ops:main', text: 'Exec completed (a1, code 0) :: done', source: 'exec' });
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
      dispatchSystemEvent({ queue, scheduler }, { sessionKey: sub, text: 'Exec completed (d4, code 0)', source: 'exec', allowFrom: ['12345'] });
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
