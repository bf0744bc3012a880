import { describe, expect, it } from 'vitest';
import { SubagentSpawnError } from './errors.js';
import { createInMemoryRunStore } from './memory-run-store.js';
import type { SubagentRunRecord } from './run-store.js';

function record(overrides: Partial<SubagentRunRecord> = {}): SubagentRunRecord {
  return {
    runId: 'r1',
    childSessionKey: 'agent:ops:subagent:w',
    requesterSessionKey: 'agent:ops:main',
    requesterAgentId: 'ops',
    targetAgentId: 'ops',
    task: 't',
    cleanup: 'keep',
    depth: 1,
    runTimeoutSeconds: 0,
    isResumedSession: false,
    createdAt: 0,
    status: 'running',
    announcement: { state: 'none', attempts: 0 },
    ...overrides,
  };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return SubagentSpawnError.isInstance(error) ? error.code : 'not ours';
  }
  return undefined;
}

describe('createInMemoryRunStore', () => {
  it('refuses a second running run in one session and a duplicate run id', () => {
    const store = createInMemoryRunStore();
    store.create(record());
    expect(codeOf(() => store.create(record({ runId: 'r2' })))).toBe('SESSION_BUSY');
    expect(codeOf(() => store.create(record({ childSessionKey: 'agent:ops:subagent:x' })))).toBe('RUN_EXISTS');
    expect(codeOf(() => store.create({ ...record({ runId: 'r3' }), depth: 0 }))).toBe('INVALID_INPUT');
    expect(store.size).toBe(1);
  });

  it('ends a run once (first end wins) and writes the announcement with it', () => {
    const store = createInMemoryRunStore();
    store.create(record());
    const announcement = { state: 'pending' as const, attempts: 0, nextAttemptAt: 5, deadlineAt: 10 };
    expect(store.markFinished('r1', { status: 'ok', result: 'a', endedAt: 5, announcement })).toBe(true);
    expect(store.markFinished('r1', { status: 'error', error: 'b', endedAt: 6, announcement })).toBe(false);
    expect(store.get('r1')).toMatchObject({ status: 'ok', result: 'a', endedAt: 5, announcement: { state: 'pending' } });
    expect(store.listPendingAnnouncements().map((r) => r.runId)).toEqual(['r1']);
    expect(store.countActive()).toBe(0);
    store.create(record({ runId: 'r2' })); // the session is free again
    expect(store.findLatestByChildSessionKey('agent:ops:subagent:w')?.runId).toBe('r2');
    expect(codeOf(() => store.markFinished('nope', { status: 'ok', endedAt: 1, announcement }))).toBe('RUN_NOT_FOUND');
  });

  it('returns copies that cannot change the store', () => {
    const store = createInMemoryRunStore();
    store.create(record());
    const copy = store.get('r1');
    if (!copy) throw new Error('missing');
    copy.status = 'ok';
    copy.announcement.state = 'delivered';
    expect(store.get('r1')).toMatchObject({ status: 'running', announcement: { state: 'none' } });
  });

  it('counts and lists by requester', () => {
    const store = createInMemoryRunStore();
    store.create(record());
    store.create(record({ runId: 'r2', childSessionKey: 'agent:ops:subagent:x', requesterSessionKey: 'agent:ops:other' }));
    expect(store.countActiveByRequester('agent:ops:main')).toBe(1);
    expect(store.countActive()).toBe(2);
    expect(store.list({ requesterSessionKey: 'agent:ops:other' }).map((r) => r.runId)).toEqual(['r2']);
    expect(store.listRunning()).toHaveLength(2);
  });
});
