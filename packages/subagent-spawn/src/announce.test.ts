import { describe, expect, it, vi } from 'vitest';
import { expectAccepted, OPS_MAIN, settle, useFakeClockHarnesses } from '../test/harness.js';
import { ANNOUNCE_DEADLINE_MS, announceRetryDelayMs } from './policy.js';
import { createInMemoryRunStore } from './memory-run-store.js';
import { createSubagentSpawner } from './spawner.js';
import type { SpawnResult } from './spawn-types.js';

const harness = useFakeClockHarnesses();

function runIdOf(result: SpawnResult): string {
  return expectAccepted(result).runId;
}

const HOUR = 3_600_000;

describe('announcement', () => {
  it('announces a finished run once, with the real status and the last assistant text', async () => {
    const h = harness();
    const runId = runIdOf(await h.spawner.spawn({ requester: OPS_MAIN, task: 'sum it', label: 'summer' }));
    expect(h.announce).not.toHaveBeenCalled();
    h.launches[0]?.resolve({ status: 'ok', result: 'The sum is 42.' });
    await settle();
    expect(h.announce).toHaveBeenCalledTimes(1);
    expect(h.delivered[0]).toMatchObject({
      requesterSessionKey: 'agent:ops:main',
      childSessionKey: 'agent:ops:subagent:id-1',
      runId,
      status: 'ok',
      result: 'The sum is 42.',
      label: 'summer',
      attempt: 1,
    });
    const run = await h.spawner.getRun(runId);
    expect(run).toMatchObject({ status: 'ok', result: 'The sum is 42.', announcement: { state: 'delivered', attempts: 1 } });
    await vi.advanceTimersByTimeAsync(HOUR);
    expect(h.announce).toHaveBeenCalledTimes(1);
  });

  it('announces error outcomes and rejected launches as status error', async () => {
    const h = harness();
    runIdOf(await h.spawner.spawn({ requester: OPS_MAIN, task: 'a' }));
    runIdOf(await h.spawner.spawn({ requester: OPS_MAIN, task: 'b' }));
    h.launches[0]?.resolve({ status: 'error', error: 'model refused', result: 'partial' });
    h.launches[1]?.reject(new Error('provider 500'));
    await settle();
    expect(h.delivered.map((d) => [d.status, d.error, d.result])).toEqual([
      ['error', 'model refused', 'partial'],
      ['error', 'provider 500', undefined],
    ]);
  });

  it('retries failed deliveries at 15 s, 30 s, 60 s … and delivers exactly once', async () => {
    const h = harness();
    const runId = runIdOf(await h.spawner.spawn({ requester: OPS_MAIN, task: 'x' }));
    h.failNextAnnounces(3);
    h.launches[0]?.resolve({ status: 'ok', result: 'r' });
    await settle();
    expect(h.announce).toHaveBeenCalledTimes(1);
    expect((await h.spawner.getRun(runId))?.announcement).toMatchObject({
      state: 'pending',
      attempts: 1,
      lastError: 'requester session unavailable',
    });
    await vi.advanceTimersByTimeAsync(14_999);
    expect(h.announce).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.announce).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(h.announce).toHaveBeenCalledTimes(3);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(h.announce).toHaveBeenCalledTimes(4);
    expect(h.delivered).toHaveLength(1);
    expect(h.delivered[0]?.attempt).toBe(4);
    await vi.advanceTimersByTimeAsync(HOUR);
    expect(h.announce).toHaveBeenCalledTimes(4);
    expect((await h.spawner.getRun(runId))?.announcement).toMatchObject({ state: 'delivered', attempts: 4 });
  });

  it('marks the announcement failed at the 30 min deadline, visibly, and stops calling', async () => {
    const errors: unknown[] = [];
    const h = harness();
    h.failAllAnnounces();
    const runId = runIdOf(await h.spawner.spawn({ requester: OPS_MAIN, task: 'x' }));
    h.launches[0]?.resolve({ status: 'ok', result: 'lost?' });
    await settle();
    await vi.advanceTimersByTimeAsync(ANNOUNCE_DEADLINE_MS);
    const calls = h.announce.mock.calls.length;
    // 0, 15, 45, 105, 225, 465, 765, 1065, 1365, 1665 s: ten attempts inside the deadline
    expect(calls).toBe(10);
    const run = await h.spawner.getRun(runId);
    expect(run).toMatchObject({
      status: 'ok',
      result: 'lost?',
      announcement: { state: 'failed', attempts: 10, lastError: 'requester session unavailable' },
    });
    expect(run?.announcement.reason).toMatch(/30 min deadline/);
    expect((await h.spawner.listRuns({ requesterSessionKey: 'agent:ops:main' }))[0]?.announcement.state).toBe('failed');
    await vi.advanceTimersByTimeAsync(HOUR);
    expect(h.announce).toHaveBeenCalledTimes(calls);
    expect(errors).toEqual([]);
  });

  it('reports attempts to onError, the last one as final', async () => {
    const onError = vi.fn();
    const spawner = createSubagentSpawner({
      policy: { agents: ['ops'] },
      runs: createInMemoryRunStore(),
      launch: async () => ({ status: 'ok', result: 'r' }),
      announce: async () => {
        throw new Error('down');
      },
      onError,
    });
    try {
      runIdOf(await spawner.spawn({ requester: OPS_MAIN, task: 'x' }));
      await settle();
      await vi.advanceTimersByTimeAsync(ANNOUNCE_DEADLINE_MS);
      const contexts = onError.mock.calls.map((call) => call[1] as { final: boolean });
      expect(contexts.filter((c) => c.final)).toHaveLength(1);
      expect(contexts.at(-1)?.final).toBe(true);
    } finally {
      spawner.dispose();
    }
  });

  it('counts an announce call that never settles as a failed attempt (announceTimeoutMs)', async () => {
    let calls = 0;
    const delivered: string[] = [];
    const spawner = createSubagentSpawner({
      policy: { agents: ['ops'], announceTimeoutMs: 1_000 },
      runs: createInMemoryRunStore(),
      launch: async () => ({ status: 'ok', result: 'r' }),
      announce: (input) => {
        calls += 1;
        if (calls === 1) return new Promise(() => {});
        delivered.push(input.runId);
        return Promise.resolve();
      },
    });
    try {
      runIdOf(await spawner.spawn({ requester: OPS_MAIN, task: 'x' }));
      await settle();
      await vi.advanceTimersByTimeAsync(1_000 + announceRetryDelayMs(1));
      expect(calls).toBe(2);
      expect(delivered).toHaveLength(1);
    } finally {
      spawner.dispose();
    }
  });

  it('retries when announce throws synchronously', async () => {
    let calls = 0;
    const spawner = createSubagentSpawner({
      policy: { agents: ['ops'] },
      runs: createInMemoryRunStore(),
      launch: async () => ({ status: 'ok' }),
      announce: () => {
        calls += 1;
        if (calls === 1) throw new Error('sync boom');
        return Promise.resolve();
      },
    });
    try {
      const runId = runIdOf(await spawner.spawn({ requester: OPS_MAIN, task: 'x' }));
      await settle();
      await vi.advanceTimersByTimeAsync(15_000);
      expect(calls).toBe(2);
      expect((await spawner.getRun(runId))?.announcement.state).toBe('delivered');
    } finally {
      spawner.dispose();
    }
  });
});

describe('run timeout', () => {
  it('ends a run at runTimeoutSeconds with status timeout, aborts it and ignores a late outcome', async () => {
    const h = harness();
    const runId = runIdOf(await h.spawner.spawn({ requester: OPS_MAIN, task: 'slow', runTimeoutSeconds: 10 }));
    const signal = h.launches[0]?.request.signal;
    await vi.advanceTimersByTimeAsync(9_999);
    expect((await h.spawner.getRun(runId))?.status).toBe('running');
    expect(signal?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await settle();
    expect(signal?.aborted).toBe(true);
    const run = await h.spawner.getRun(runId);
    expect(run).toMatchObject({ status: 'timeout', error: 'The sub-agent run timed out after 10 s.' });
    expect(h.delivered).toHaveLength(1);
    expect(h.delivered[0]).toMatchObject({ runId, status: 'timeout' });
    h.launches[0]?.resolve({ status: 'ok', result: 'too late' });
    await settle();
    await vi.advanceTimersByTimeAsync(HOUR);
    expect(h.announce).toHaveBeenCalledTimes(1);
    expect((await h.spawner.getRun(runId))?.status).toBe('timeout');
  });

  it('uses the policy default timeout, and no timeout when it is 0', async () => {
    const h = harness({ policy: { defaultRunTimeoutSeconds: 5 } });
    runIdOf(await h.spawner.spawn({ requester: OPS_MAIN, task: 'a' }));
    runIdOf(await h.spawner.spawn({ requester: OPS_MAIN, task: 'b', runTimeoutSeconds: 0 }));
    await vi.advanceTimersByTimeAsync(HOUR);
    const statuses = (await h.spawner.listRuns()).map((r) => r.status);
    expect(statuses).toEqual(['timeout', 'running']);
  });

  it('reports a launch-side timeout outcome as status timeout', async () => {
    const h = harness();
    runIdOf(await h.spawner.spawn({ requester: OPS_MAIN, task: 'a' }));
    h.launches[0]?.resolve({ status: 'timeout', error: 'model stalled' });
    await settle();
    expect(h.delivered[0]).toMatchObject({ status: 'timeout', error: 'model stalled' });
  });

  it('treats an invalid launch outcome as an error', async () => {
    const h = harness();
    runIdOf(await h.spawner.spawn({ requester: OPS_MAIN, task: 'a' }));
    h.launches[0]?.resolve({ status: 'great' } as never);
    await settle();
    expect(h.delivered[0]).toMatchObject({ status: 'error', error: 'launch resolved with an invalid outcome.' });
  });
});

describe('restart (a new spawner over the same runs store)', () => {
  it('resumes a pending announcement and delivers it exactly once', async () => {
    const runs = createInMemoryRunStore();
    const before = harness({ runs, idPrefix: 'a' });
    const runId = runIdOf(await before.spawner.spawn({ requester: OPS_MAIN, task: 'x' }));
    before.failNextAnnounces(1);
    before.launches[0]?.resolve({ status: 'ok', result: 'survives' });
    await settle();
    expect(before.announce).toHaveBeenCalledTimes(1);
    expect(before.delivered).toHaveLength(0);
    before.spawner.dispose(); // the gateway "crashes" with the retry scheduled

    await vi.advanceTimersByTimeAsync(60_000); // down for a minute
    const after = harness({ runs, idPrefix: 'b' });
    expect(await after.spawner.resumePending()).toEqual({ interrupted: 0, resumed: 1 });
    await settle();
    await vi.advanceTimersByTimeAsync(HOUR);
    expect(before.announce).toHaveBeenCalledTimes(1);
    expect(after.delivered).toHaveLength(1);
    expect(after.delivered[0]).toMatchObject({ runId, status: 'ok', result: 'survives', attempt: 2 });
    expect(after.announce).toHaveBeenCalledTimes(1);
    expect((await runs.get(runId))?.announcement.state).toBe('delivered');
  });

  it('keeps the backoff schedule across a restart', async () => {
    const runs = createInMemoryRunStore();
    const before = harness({ runs });
    runIdOf(await before.spawner.spawn({ requester: OPS_MAIN, task: 'x' }));
    before.failAllAnnounces();
    before.launches[0]?.resolve({ status: 'ok' });
    await settle();
    before.spawner.dispose(); // next attempt due 15 s after the end
    const after = harness({ runs, idPrefix: 'b' });
    await after.spawner.resumePending();
    await vi.advanceTimersByTimeAsync(14_999);
    expect(after.announce).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(after.announce).toHaveBeenCalledTimes(1);
  });

  it('does not announce again after a restart when delivery already succeeded', async () => {
    const runs = createInMemoryRunStore();
    const before = harness({ runs });
    runIdOf(await before.spawner.spawn({ requester: OPS_MAIN, task: 'x' }));
    before.launches[0]?.resolve({ status: 'ok', result: 'r' });
    await settle();
    expect(before.delivered).toHaveLength(1);
    before.spawner.dispose();
    const after = harness({ runs, idPrefix: 'b' });
    expect(await after.spawner.resumePending()).toEqual({ interrupted: 0, resumed: 0 });
    await vi.advanceTimersByTimeAsync(HOUR);
    expect(after.announce).not.toHaveBeenCalled();
  });

  it('finalizes a run interrupted by the restart as error, announces it once and ignores the old outcome', async () => {
    const runs = createInMemoryRunStore();
    const before = harness({ runs });
    const runId = runIdOf(await before.spawner.spawn({ requester: OPS_MAIN, task: 'x', sessionKey: 'w' }));
    before.spawner.dispose();
    expect(before.launches[0]?.request.signal.aborted).toBe(true);
    const after = harness({ runs, idPrefix: 'b' });
    expect(await after.spawner.resumePending()).toEqual({ interrupted: 1, resumed: 1 });
    await settle();
    before.launches[0]?.resolve({ status: 'ok', result: 'from the dead process' });
    await settle();
    await vi.advanceTimersByTimeAsync(HOUR);
    expect(before.announce).not.toHaveBeenCalled();
    expect(after.delivered).toHaveLength(1);
    expect(after.delivered[0]).toMatchObject({ runId, status: 'error' });
    expect(after.delivered[0]?.error).toMatch(/Interrupted/);
    // the session is free again
    expect((await after.spawner.spawn({ requester: OPS_MAIN, task: 'y', sessionKey: 'w' })).status).toBe('accepted');
  });

  it('re-reads the store before each attempt, skipping a run delivered meanwhile by the old process', async () => {
    const runs = createInMemoryRunStore();
    const before = harness({ runs });
    const runId = runIdOf(await before.spawner.spawn({ requester: OPS_MAIN, task: 'x' }));
    before.failNextAnnounces(1);
    before.launches[0]?.resolve({ status: 'ok' });
    await settle();
    before.spawner.dispose();
    const after = harness({ runs, idPrefix: 'b' });
    expect(await after.spawner.resumePending()).toEqual({ interrupted: 0, resumed: 1 });
    // the old process's last in-flight call landed after all
    runs.updateAnnouncement(runId, { state: 'delivered', attempts: 2, deliveredAt: Date.now() });
    await vi.advanceTimersByTimeAsync(HOUR);
    expect(after.announce).not.toHaveBeenCalled();
  });

  it('is idempotent: calling resumePending twice schedules nothing twice', async () => {
    const runs = createInMemoryRunStore();
    const before = harness({ runs });
    runIdOf(await before.spawner.spawn({ requester: OPS_MAIN, task: 'x' }));
    before.failAllAnnounces();
    before.launches[0]?.resolve({ status: 'ok' });
    await settle();
    before.spawner.dispose();
    const after = harness({ runs, idPrefix: 'b' });
    expect(await after.spawner.resumePending()).toEqual({ interrupted: 0, resumed: 1 });
    expect(await after.spawner.resumePending()).toEqual({ interrupted: 0, resumed: 0 });
    await vi.advanceTimersByTimeAsync(15_000);
    expect(after.announce).toHaveBeenCalledTimes(1);
  });

  it('gives a run found past its deadline one last attempt, then marks it failed', async () => {
    const runs = createInMemoryRunStore();
    const before = harness({ runs });
    const runId = runIdOf(await before.spawner.spawn({ requester: OPS_MAIN, task: 'x' }));
    before.failAllAnnounces();
    before.launches[0]?.resolve({ status: 'ok' });
    await settle();
    before.spawner.dispose();
    await vi.advanceTimersByTimeAsync(2 * HOUR);
    const after = harness({ runs, idPrefix: 'b' });
    after.failAllAnnounces();
    await after.spawner.resumePending();
    await vi.advanceTimersByTimeAsync(HOUR);
    expect(after.announce).toHaveBeenCalledTimes(1);
    expect((await runs.get(runId))?.announcement).toMatchObject({ state: 'failed', attempts: 2 });
  });
});
