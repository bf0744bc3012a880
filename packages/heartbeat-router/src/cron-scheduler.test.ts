import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createCronScheduler,
  createInMemoryCronStore,
  type CronFire,
  type CronFireResult,
  type CronJob,
  type CronSchedulerOptions,
  type CronStore,
} from './cron-scheduler.js';
import { createCronFireHandler } from './dispatch.js';
import { HeartbeatRouterError } from './errors.js';
import { createSystemEventQueue } from './system-event-queue.js';
import { createWakeScheduler, type WakeRun } from './wake-scheduler.js';

const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
});
afterEach(() => {
  vi.useRealTimers();
});

function setup(overrides: Partial<CronSchedulerOptions> = {}, store: CronStore = createInMemoryCronStore()) {
  const fires: CronFire[] = [];
  let ids = 0;
  const cron = createCronScheduler({
    store,
    idGenerator: () => `id-${++ids}`,
    onFire: (fire) => {
      fires.push(fire);
    },
    ...overrides,
  });
  return { cron, fires, store };
}

const firedAt = (fires: CronFire[], jobId: string) => fires.filter((f) => f.job.id === jobId).map((f) => f.job.state.runningAtMs! - T0);

describe('createCronScheduler', () => {
  it('refuses use before start()', async () => {
    const { cron } = setup();
    await expect(
      cron.add({ agentId: 'ops', schedule: { kind: 'every', every: '1m' }, payload: { kind: 'systemEvent', text: 'x' } }),
    ).rejects.toThrow(HeartbeatRouterError);
  });

  it('runs an `at` job once, at its time, then keeps it disabled with its history', async () => {
    const { cron, fires } = setup();
    await cron.start();
    const job = await cron.add({
      id: 'remind',
      agentId: 'Ops',
      schedule: { kind: 'at', at: '2026-01-15T12:10:00' }, // no offset → UTC
      payload: { kind: 'systemEvent', text: 'stand-up in 5' },
    });
    expect(job).toMatchObject({ target: 'main', wakeMode: 'now', enabled: true, agentId: 'ops' });
    expect(job.state.nextRunAtMs).toBe(T0 + 10 * 60_000);
    await vi.advanceTimersByTimeAsync(10 * 60_000 - 1);
    expect(fires).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(fires).toHaveLength(1);
    expect(fires[0]).toMatchObject({ trigger: 'schedule', scheduledAtMs: T0 + 600_000, sessionKey: 'agent:ops:main', attempt: 1 });
    await vi.advanceTimersByTimeAsync(24 * 3_600_000);
    expect(fires).toHaveLength(1);
    expect(cron.get('remind')).toMatchObject({
      enabled: false,
      state: { lastStatus: 'ok', completedAtMs: T0 + 600_000, nextRunAtMs: null },
    });
    expect(cron.runs('remind')).toEqual([expect.objectContaining({ status: 'ok', trigger: 'schedule', jobId: 'remind' })]);
  });

  it('runs `every` jobs on their cadence and records history newest first', async () => {
    const { cron, fires } = setup();
    await cron.start();
    await cron.add({
      id: 'tick',
      agentId: 'ops',
      schedule: { kind: 'every', every: '10m' },
      payload: { kind: 'agentTurn', message: 'check' },
    });
    await vi.advanceTimersByTimeAsync(35 * 60_000);
    expect(firedAt(fires, 'tick')).toEqual([600_000, 1_200_000, 1_800_000]);
    expect(fires[0]!.sessionKey).toBe('agent:ops:cron:tick:run:id-1');
    const runs = cron.runs('tick');
    expect(runs.map((r) => r.scheduledAtMs - T0)).toEqual([1_800_000, 1_200_000, 600_000]);
    expect(cron.runs('tick', 1)).toHaveLength(1);
  });

  it('runs 5-field cron expressions in their time zone across DST, and 6-field ones with seconds', async () => {
    vi.setSystemTime(Date.UTC(2026, 2, 6, 0, 0, 0));
    const { cron, fires } = setup();
    await cron.start();
    await cron.add({
      id: 'nine',
      agentId: 'ops',
      schedule: { kind: 'cron', expr: '0 9 * * *', tz: 'America/New_York' },
      payload: { kind: 'systemEvent', text: 'morning' },
    });
    await vi.advanceTimersByTimeAsync(4 * 86_400_000);
    const times = fires.map((f) => new Date(f.scheduledAtMs).toISOString());
    expect(times).toEqual([
      '2026-03-06T14:00:00.000Z', // 09:00 EST
      '2026-03-07T14:00:00.000Z',
      '2026-03-08T13:00:00.000Z', // 09:00 EDT after spring-forward
      '2026-03-09T13:00:00.000Z',
    ]);

    await cron.add({
      id: 'secs',
      agentId: 'ops',
      schedule: { kind: 'cron', expr: '*/20 * * * * *' },
      payload: { kind: 'systemEvent', text: 's' },
    });
    const before = fires.length;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(fires.length - before).toBe(3);
  });

  it('rejects invalid schedules and targets', async () => {
    const { cron } = setup();
    await cron.start();
    const base = { agentId: 'ops', payload: { kind: 'systemEvent' as const, text: 'x' } };
    for (const schedule of [
      { kind: 'cron' as const, expr: 'not a cron' },
      { kind: 'cron' as const, expr: '* * * *' },
      { kind: 'cron' as const, expr: '0 9 * * *', tz: 'Mars/Base' },
      { kind: 'at' as const, at: 'tomorrow-ish' },
      { kind: 'every' as const, every: '10ms' },
    ]) {
      const error = await cron.add({ ...base, schedule }).catch((e: unknown) => e);
      expect(HeartbeatRouterError.isInstance(error) && error.code, JSON.stringify(schedule)).toBe('INVALID_SCHEDULE');
    }
    const every = { kind: 'every' as const, every: '1m' };
    const isolatedEvent = await cron.add({ ...base, schedule: every, target: 'isolated' }).catch((e: unknown) => e);
    expect(HeartbeatRouterError.isInstance(isolatedEvent) && isolatedEvent.code).toBe('INVALID_INPUT');
    const foreign = await cron.add({ ...base, schedule: every, target: 'session:agent:other:room' }).catch((e: unknown) => e);
    expect(HeartbeatRouterError.isInstance(foreign) && foreign.code).toBe('AGENT_MISMATCH');
    const own = await cron.add({ ...base, schedule: every, target: 'session:Incident-42' });
    expect(own.target).toBe('session:agent:ops:incident-42');
    await cron.add({ ...base, id: 'dup', schedule: every });
    const dup = await cron.add({ ...base, id: 'dup', schedule: every }).catch((e: unknown) => e);
    expect(HeartbeatRouterError.isInstance(dup) && dup.code).toBe('JOB_EXISTS');
    expect(cron.list()).toHaveLength(2);
  });

  it('stores the running marker before firing', async () => {
    const inner = createInMemoryCronStore();
    const saved: CronJob[] = [];
    const store: CronStore = { ...inner, saveJob: (job) => (saved.push(structuredClone(job)), inner.saveJob(job)) };
    let markerAtFire: number | null | undefined;
    const { cron } = setup(
      {
        onFire: () => {
          markerAtFire = saved.at(-1)?.state.runningAtMs;
        },
      },
      store,
    );
    await cron.start();
    await cron.add({ id: 'j', agentId: 'ops', schedule: { kind: 'every', every: '1m' }, payload: { kind: 'systemEvent', text: 'x' } });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(markerAtFire).toBe(T0 + 60_000);
    expect(saved.at(-1)!.state.runningAtMs).toBeNull();
  });

  describe('restart catch-up (persisted store)', () => {
    it('never replays a completed one-shot; replays each missed recurring job once; 5 at once, the rest 5 s apart', async () => {
      const store = createInMemoryCronStore();
      const first = setup({}, store);
      await first.cron.start();
      await first.cron.add({
        id: 'once',
        agentId: 'ops',
        schedule: { kind: 'at', at: '2026-01-15T12:01:00Z' },
        payload: { kind: 'systemEvent', text: 'once' },
      });
      for (let i = 0; i < 8; i++) {
        await first.cron.add({
          id: `r${i}`,
          agentId: 'ops',
          schedule: { kind: 'every', every: `${10 + i}m` },
          payload: { kind: 'systemEvent', text: `r${i}` },
        });
      }
      await vi.advanceTimersByTimeAsync(2 * 60_000);
      expect(firedAt(first.fires, 'once')).toEqual([60_000]);
      first.cron.stop(); // "crash": the process goes away

      // Five hours later a new process starts on the same store.
      vi.setSystemTime(T0 + 5 * 3_600_000);
      const restartAt = Date.now();
      const second = setup({}, store);
      expect(await second.cron.start()).toBe(9);
      await vi.advanceTimersByTimeAsync(0);
      expect(second.fires.map((f) => f.job.id)).toHaveLength(5);
      expect(second.fires.every((f) => f.trigger === 'catch-up')).toBe(true);
      await vi.advanceTimersByTimeAsync(5000);
      expect(second.fires).toHaveLength(6);
      await vi.advanceTimersByTimeAsync(5000);
      expect(second.fires).toHaveLength(7);
      await vi.advanceTimersByTimeAsync(5000);
      expect(second.fires).toHaveLength(8);
      const catchUpStarts = second.fires.map((f) => f.job.state.runningAtMs! - restartAt);
      expect(catchUpStarts).toEqual([0, 0, 0, 0, 0, 5000, 10_000, 15_000]);
      // Each recurring job caught up exactly once (not once per missed slot); later runs are natural slots.
      await vi.advanceTimersByTimeAsync(30 * 60_000);
      const catchUps = second.fires
        .filter((f) => f.trigger === 'catch-up')
        .map((f) => f.job.id)
        .sort();
      expect(catchUps).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7']);
      for (const f of second.fires.filter((x) => x.trigger === 'schedule')) {
        const everyMs = (10 + Number(f.job.id.slice(1))) * 60_000;
        expect(f.scheduledAtMs).toBeGreaterThan(restartAt);
        expect((f.scheduledAtMs - T0) % everyMs).toBe(0);
      }
      for (let i = 0; i < 8; i++) {
        const everyMs = (10 + i) * 60_000;
        const slots = Math.floor((restartAt + 30 * 60_000 - T0) / everyMs) - Math.floor((restartAt - T0) / everyMs);
        expect(second.fires.filter((f) => f.job.id === `r${i}`)).toHaveLength(1 + slots);
      }
      expect(firedAt(second.fires, 'once')).toEqual([]);
      // A third start later does not replay the one-shot either.
      second.cron.stop();
      const third = setup({}, store);
      await third.cron.start();
      await vi.advanceTimersByTimeAsync(1000);
      expect(third.fires.some((f) => f.job.id === 'once')).toBe(false);
      expect(third.cron.runs('once')).toHaveLength(1);
    });

    it('a one-shot that came due while the process was down runs once on catch-up, and never again', async () => {
      const store = createInMemoryCronStore();
      const first = setup({}, store);
      await first.cron.start();
      await first.cron.add({
        id: 'missed',
        agentId: 'ops',
        schedule: { kind: 'at', at: '2026-01-15T13:00:00Z' },
        payload: { kind: 'systemEvent', text: 'x' },
      });
      first.cron.stop(); // down before 13:00

      vi.setSystemTime(T0 + 3 * 3_600_000);
      const second = setup({}, store);
      await second.cron.start();
      await vi.advanceTimersByTimeAsync(0);
      expect(second.fires.map((f) => [f.job.id, f.trigger, f.scheduledAtMs])).toEqual([['missed', 'catch-up', T0 + 3 * 3_600_000]]);
      await vi.advanceTimersByTimeAsync(24 * 3_600_000);
      expect(second.fires).toHaveLength(1);
      expect(second.cron.get('missed')).toMatchObject({ enabled: false, state: { lastStatus: 'ok' } });
      second.cron.stop();

      const third = setup({}, store);
      await third.cron.start();
      await vi.advanceTimersByTimeAsync(24 * 3_600_000);
      expect(third.fires).toEqual([]);
      expect(third.cron.runs('missed')).toEqual([expect.objectContaining({ status: 'ok', trigger: 'catch-up' })]);
    });

    it('slotMs names the slot a fire stands for: the first missed slot on a catch-up, the same from every process', async () => {
      const store = createInMemoryCronStore();
      const first = setup({}, store);
      await first.cron.start();
      await first.cron.add({
        id: 'tick',
        agentId: 'ops',
        schedule: { kind: 'every', every: '10m' },
        payload: { kind: 'systemEvent', text: 't' },
      });
      await first.cron.add({
        id: 'at',
        agentId: 'ops',
        schedule: { kind: 'at', at: '2026-01-15T12:25:00Z' },
        payload: { kind: 'systemEvent', text: 'a' },
      });
      await vi.advanceTimersByTimeAsync(10 * 60_000);
      expect(first.fires.map((f) => [f.job.id, f.trigger, f.scheduledAtMs - T0, f.slotMs - T0])).toEqual([
        ['tick', 'schedule', 600_000, 600_000],
      ]);
      first.cron.stop(); // down from 12:10 until after 12:47

      // Two processes start on the same stored state at different moments: each catches up off the
      // grid, and both name the same slot (12:20, the first one missed since the 12:10 run; 12:25 for the one-shot).
      const loaded = await store.load();
      const copy = (): CronStore => ({ ...createInMemoryCronStore(), load: () => structuredClone(loaded) });
      const catchUps: Array<[string, number, number]> = [];
      for (const startAt of [T0 + 47 * 60_000 + 13, T0 + 48 * 60_000 + 907]) {
        vi.setSystemTime(startAt);
        const later = setup({}, copy());
        await later.cron.start();
        await vi.advanceTimersByTimeAsync(0);
        for (const fire of later.fires) catchUps.push([fire.job.id, fire.scheduledAtMs - startAt, fire.slotMs - T0]);
        expect(later.fires.every((f) => f.trigger === 'catch-up')).toBe(true);
        later.cron.stop();
      }
      expect(catchUps.sort()).toEqual([
        ['at', 0, 25 * 60_000],
        ['at', 0, 25 * 60_000],
        ['tick', 0, 20 * 60_000],
        ['tick', 0, 20 * 60_000],
      ]);
    });

    it('works the same with an async store', async () => {
      const inner = createInMemoryCronStore();
      const later = <T>(fn: () => T | Promise<T>) => new Promise<T>((resolve) => setTimeout(() => resolve(fn()), 5));
      const store: CronStore = {
        load: () => later(() => inner.load()),
        saveJob: (job) => later(() => inner.saveJob(job)),
        deleteJob: (id) => later(() => inner.deleteJob(id)),
        appendRun: (run) => later(() => inner.appendRun(run)),
      };
      const first = setup({}, store);
      const started = first.cron.start();
      await vi.advanceTimersByTimeAsync(10);
      await started;
      const adding = first.cron.add({
        id: 'once',
        agentId: 'ops',
        schedule: { kind: 'at', at: '2026-01-15T12:01:00Z' },
        payload: { kind: 'systemEvent', text: 'x' },
      });
      await vi.advanceTimersByTimeAsync(10);
      await adding;
      await vi.advanceTimersByTimeAsync(2 * 60_000);
      expect(first.fires).toHaveLength(1);
      first.cron.stop();
      vi.setSystemTime(T0 + 3_600_000);
      const second = setup({}, store);
      const restarted = second.cron.start();
      await vi.advanceTimersByTimeAsync(10);
      expect(await restarted).toBe(1);
      await vi.advanceTimersByTimeAsync(60_000);
      expect(second.fires).toHaveLength(0);
      expect(second.cron.runs('once')).toHaveLength(1);
    });

    it('records a run interrupted by the restart and does not replay it', async () => {
      const store = createInMemoryCronStore();
      const first = setup({ onFire: () => new Promise<void>(() => undefined) }, store); // hangs forever
      await first.cron.start();
      await first.cron.add({
        id: 'once',
        agentId: 'ops',
        schedule: { kind: 'at', at: '2026-01-15T12:01:00Z' },
        payload: { kind: 'systemEvent', text: 'x' },
      });
      await first.cron.add({
        id: 'rec',
        agentId: 'ops',
        schedule: { kind: 'every', every: '1m' },
        payload: { kind: 'systemEvent', text: 'y' },
      });
      await vi.advanceTimersByTimeAsync(60_000);
      expect(first.cron.get('once')!.state.runningAtMs).not.toBeNull();
      first.cron.stop();

      vi.setSystemTime(T0 + 10 * 60_000);
      const disabled: string[] = [];
      const second = setup({ onJobDisabled: (job, reason) => disabled.push(`${job.id}: ${reason}`) }, store);
      await second.cron.start();
      await vi.advanceTimersByTimeAsync(0);
      expect(second.fires.map((f) => f.job.id)).toEqual([]);
      const once = second.cron.get('once')!;
      expect(once.enabled).toBe(false);
      expect(once.state.disabledReason).toMatch(/Interrupted by a restart/);
      expect(disabled).toHaveLength(1);
      expect(second.cron.runs('once')[0]).toMatchObject({ status: 'interrupted', error: 'interrupted by restart' });
      const rec = second.cron.get('rec')!;
      expect(rec.state).toMatchObject({ lastStatus: 'interrupted', consecutiveFailures: 1 });
      expect(rec.state.nextRunAtMs! - Date.now()).toBeGreaterThanOrEqual(30_000); // backoff, not an immediate replay
    });
  });

  describe('failures', () => {
    it('backs off 30 s, 1 m, 5 m, 15 m, 60 m and disables after 10 consecutive failures, saying why', async () => {
      const disabled: Array<[string, string]> = [];
      const { cron, fires } = setup({
        onFire: (fire) => {
          fires.push(fire);
          throw new Error('upstream 503');
        },
        onJobDisabled: (job, reason) => disabled.push([job.id, reason]),
      });
      await cron.start();
      await cron.add({
        id: 'flaky',
        agentId: 'ops',
        schedule: { kind: 'at', at: new Date(T0).toISOString() },
        payload: { kind: 'agentTurn', message: 'go' },
      });
      await vi.advanceTimersByTimeAsync(10 * 3_600_000);
      const starts = firedAt(fires, 'flaky');
      expect(starts).toHaveLength(10);
      const gaps = starts.slice(1).map((t, i) => t - starts[i]!);
      expect(gaps).toEqual([30_000, 60_000, 300_000, 900_000, 3_600_000, 3_600_000, 3_600_000, 3_600_000, 3_600_000]);
      expect(fires.map((f) => f.attempt)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(fires.slice(1).every((f) => f.trigger === 'retry')).toBe(true);
      const job = cron.get('flaky')!;
      expect(job.enabled).toBe(false);
      expect(job.state.disabledReason).toBe('Disabled after 10 consecutive failures; last error: upstream 503');
      expect(disabled).toEqual([['flaky', job.state.disabledReason]]);
      expect(cron.runs('flaky').every((r) => r.status === 'error' && r.error === 'upstream 503')).toBe(true);
    });

    it('recurring jobs take the later of the next slot and the backoff; success resets the count', async () => {
      let failing = true;
      const { cron, fires } = setup({
        onFire: (fire): CronFireResult => {
          fires.push(fire);
          return failing ? { status: 'error', error: 'nope' } : { status: 'ok' };
        },
      });
      await cron.start();
      await cron.add({ id: 'r', agentId: 'ops', schedule: { kind: 'every', every: '1m' }, payload: { kind: 'systemEvent', text: 'x' } });
      await vi.advanceTimersByTimeAsync(60_000); // fail 1 at 1m → next max(2m, 1m+30s) = 2m
      await vi.advanceTimersByTimeAsync(60_000); // fail 2 at 2m → next max(3m, 2m+1m) = 3m
      await vi.advanceTimersByTimeAsync(60_000); // fail 3 at 3m → next max(4m, 3m+5m) = 8m
      expect(cron.get('r')!.state.nextRunAtMs! - T0).toBe(8 * 60_000);
      failing = false;
      await vi.advanceTimersByTimeAsync(5 * 60_000);
      expect(firedAt(fires, 'r')).toEqual([60_000, 120_000, 180_000, 480_000]);
      expect(cron.get('r')!.state).toMatchObject({ consecutiveFailures: 0, lastStatus: 'ok', lastError: null });
      await vi.advanceTimersByTimeAsync(60_000);
      expect(firedAt(fires, 'r').at(-1)).toBe(540_000);
    });

    it('a permanent error disables at once; re-enabling clears the reason', async () => {
      const { cron } = setup({ onFire: () => ({ status: 'error', error: 'bad config', permanent: true }) });
      await cron.start();
      await cron.add({ id: 'p', agentId: 'ops', schedule: { kind: 'every', every: '1m' }, payload: { kind: 'systemEvent', text: 'x' } });
      await vi.advanceTimersByTimeAsync(60_000);
      expect(cron.get('p')).toMatchObject({ enabled: false, state: { disabledReason: 'Disabled after a permanent error: bad config' } });
      const again = await cron.setEnabled('p', true);
      expect(again).toMatchObject({ enabled: true, state: { disabledReason: null, consecutiveFailures: 0 } });
    });
  });

  it('runNow runs outside the schedule and returns the record; update and remove work', async () => {
    const { cron, fires } = setup();
    await cron.start();
    await cron.add({ id: 'm', agentId: 'ops', schedule: { kind: 'every', every: '1h' }, payload: { kind: 'systemEvent', text: 'x' } });
    const record = await cron.runNow('m');
    expect(record).toMatchObject({ jobId: 'm', trigger: 'manual', status: 'ok' });
    expect(cron.get('m')!.state.nextRunAtMs).toBe(T0 + 3_600_000);
    await cron.update('m', { schedule: { kind: 'every', every: '5m' } });
    await vi.advanceTimersByTimeAsync(5 * 60_000);
    expect(fires).toHaveLength(2);
    expect(await cron.remove('m')).toBe(true);
    expect(await cron.remove('m')).toBe(false);
    await expect(cron.runNow('m')).rejects.toThrow(/No cron job/);
  });

  it('a one-shot with deleteAfterRun is removed after success', async () => {
    const store = createInMemoryCronStore();
    const { cron } = setup({}, store);
    await cron.start();
    await cron.add({
      id: 'd',
      agentId: 'ops',
      schedule: { kind: 'at', at: '2026-01-15T12:00:30Z' },
      payload: { kind: 'systemEvent', text: 'x' },
      deleteAfterRun: true,
    });
    await vi.advanceTimersByTimeAsync(31_000);
    expect(cron.get('d')).toBeUndefined();
    expect((await store.load()).jobs).toHaveLength(0);
  });
});

describe('createCronFireHandler', () => {
  it('systemEvent jobs queue on the main session with contextKey cron:<id> and wake it (now) or not (next-heartbeat)', async () => {
    const queue = createSystemEventQueue();
    const wakes: WakeRun[] = [];
    const scheduler = createWakeScheduler({ runHeartbeat: (run) => void wakes.push(run) });
    const { cron } = setup({ onFire: createCronFireHandler({ queue, scheduler }) });
    await cron.start();
    await cron.add({
      id: 'now',
      agentId: 'ops',
      schedule: { kind: 'at', at: '2026-01-15T12:00:10Z' },
      payload: { kind: 'systemEvent', text: 'pay rent' },
    });
    await cron.add({
      id: 'later',
      agentId: 'ops',
      wakeMode: 'next-heartbeat',
      schedule: { kind: 'at', at: '2026-01-15T12:00:10Z' },
      payload: { kind: 'systemEvent', text: 'water plants' },
    });
    await vi.advanceTimersByTimeAsync(10_000 + 250);
    expect(
      queue
        .peek('agent:ops:main')
        .map((e) => [e.text, e.contextKey])
        .sort(),
    ).toEqual([
      ['pay rent', 'cron:now'],
      ['water plants', 'cron:later'],
    ]);
    expect(wakes).toHaveLength(1);
    expect(wakes[0]).toMatchObject({ sessionKey: 'agent:ops:main', reason: 'cron-event', requestCount: 1 });
  });

  it('session:<key> targets queue and wake that session, unless the seed-001 rule re-keys them to main', async () => {
    const queue = createSystemEventQueue();
    const wakes: WakeRun[] = [];
    const scheduler = createWakeScheduler({ runHeartbeat: (run) => void wakes.push(run) });
    const dm = 'agent:ops:telegram:default:direct:12345';
    const { cron } = setup({
      onFire: createCronFireHandler({
        queue,
        scheduler,
        routing: (agentId) =>
          agentId === 'solo' ? { session: { dmScope: 'main' }, allowFrom: ['12345'] } : { allowFrom: ['12345', '678'] },
      }),
    });
    await cron.start();
    const at = { kind: 'at', at: '2026-01-15T12:00:10Z' } as const;
    await cron.add({
      id: 'dm',
      agentId: 'ops',
      target: `session:${dm}`,
      schedule: at,
      payload: { kind: 'systemEvent', text: 'two owners' },
    });
    await cron.add({
      id: 'solo-dm',
      agentId: 'solo',
      target: 'session:agent:solo:telegram:default:direct:12345',
      schedule: at,
      payload: { kind: 'systemEvent', text: 'one owner' },
    });
    await vi.advanceTimersByTimeAsync(10_000 + 250);
    expect(queue.peek(dm).map((e) => e.text)).toEqual(['two owners']);
    expect(queue.peek('agent:ops:main')).toEqual([]);
    expect(queue.peek('agent:solo:main').map((e) => e.text)).toEqual(['one owner']);
    expect(queue.peek('agent:solo:telegram:default:direct:12345')).toEqual([]);
    expect(wakes.map((w) => w.sessionKey).sort()).toEqual(['agent:solo:main', dm].sort());
  });

  it('agentTurn jobs call runAgentTurn in the isolated run session; failures are recorded', async () => {
    const turns: Array<{ sessionKey: string; message: string }> = [];
    const queue = createSystemEventQueue();
    const scheduler = createWakeScheduler({ runHeartbeat: () => undefined });
    let fail = false;
    const { cron } = setup({
      onFire: createCronFireHandler({
        queue,
        scheduler,
        runAgentTurn: ({ sessionKey, message }) => {
          if (fail) throw new Error('turn failed');
          turns.push({ sessionKey, message });
        },
      }),
    });
    await cron.start();
    await cron.add({
      id: 'digest',
      agentId: 'ops',
      schedule: { kind: 'every', every: '1m' },
      payload: { kind: 'agentTurn', message: 'summarize' },
    });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(turns).toEqual([{ sessionKey: 'agent:ops:cron:digest:run:id-1', message: 'summarize' }]);
    fail = true;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(cron.runs('digest')[0]).toMatchObject({ status: 'error', error: 'turn failed' });
  });
});
