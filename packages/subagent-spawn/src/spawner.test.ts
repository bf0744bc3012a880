import { describe, expect, it, vi } from 'vitest';
import { AGENTS, expectAccepted, OPS_MAIN, settle, useFakeClockHarnesses } from '../test/harness.js';
import { SubagentSpawnError } from './errors.js';
import { CHILD_LEAF_DENIED_TOOLS } from './policy.js';
import type { SpawnRequest } from './spawn-types.js';
import { createSubagentSpawner } from './spawner.js';
import { createInMemoryRunStore } from './memory-run-store.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const harness = useFakeClockHarnesses();

const accepted = expectAccepted;

describe('spawn: child session key (seed 002)', () => {
  it('maps a short key to a deterministic agent:<target>:subagent:<key>', async () => {
    const h = harness({ policy: { allowAgents: ['research'] } });
    const result = await h.spawner.spawn({ requester: OPS_MAIN, task: 'dig', agentId: 'research', sessionKey: 'worker-1' });
    expect(result).toEqual({ status: 'accepted', childSessionKey: 'agent:research:subagent:worker-1', runId: 'id-1' });
    expect(h.launches[0]?.request.childSessionKey).toBe('agent:research:subagent:worker-1');
    expect(h.launches[0]?.request.agentId).toBe('research');
  });

  it('falls back to a fresh id per spawn when no key is given', async () => {
    const h = harness();
    const a = accepted(await h.spawner.spawn({ requester: OPS_MAIN, task: 'one' }));
    const b = accepted(await h.spawner.spawn({ requester: OPS_MAIN, task: 'two' }));
    expect(a.childSessionKey).toBe('agent:ops:subagent:id-1');
    expect(b.childSessionKey).toBe('agent:ops:subagent:id-3');
    expect(a.runId).not.toBe(b.runId);
  });

  it('uses crypto UUIDs by default', async () => {
    const spawner = createSubagentSpawner({
      policy: { agents: AGENTS },
      runs: createInMemoryRunStore(),
      launch: () => new Promise(() => {}),
      announce: async () => {},
    });
    try {
      const result = accepted(await spawner.spawn({ requester: OPS_MAIN, task: 'x' }));
      expect(result.childSessionKey).toMatch(/^agent:ops:subagent:/);
      expect(result.childSessionKey.slice('agent:ops:subagent:'.length)).toMatch(UUID);
      expect(result.runId).toMatch(UUID);
    } finally {
      spawner.dispose();
    }
  });

  it('passes a fully-qualified key of the target agent through', async () => {
    const h = harness({ policy: { allowAgents: ['research'] } });
    const result = accepted(
      await h.spawner.spawn({
        requester: OPS_MAIN,
        task: 'dig',
        agentId: 'research',
        sessionKey: 'agent:research:subagent:worker',
      }),
    );
    expect(result.childSessionKey).toBe('agent:research:subagent:worker');
  });

  it('refuses a fully-qualified key of another agent as forbidden CROSS_AGENT_SESSION_KEY, writing nothing', async () => {
    const h = harness({ policy: { allowAgents: ['research'] } });
    const result = await h.spawner.spawn({
      requester: OPS_MAIN,
      task: 'dig',
      agentId: 'research',
      sessionKey: 'agent:ops:subagent:worker',
    });
    expect(result).toMatchObject({ status: 'forbidden', code: 'CROSS_AGENT_SESSION_KEY' });
    expect(h.runs.size).toBe(0);
    expect(h.launch).not.toHaveBeenCalled();
  });

  it('accepts mixed-case fully-qualified child keys (the review finding) and canonicalizes them', async () => {
    const h = harness({ policy: { allowAgents: ['research'] } });
    const result = accepted(
      await h.spawner.spawn({
        requester: { agentId: 'OPS', sessionKey: 'agent:ops:main' },
        task: 'dig',
        agentId: 'Research',
        sessionKey: 'AGENT:Research:SubAgent:Worker',
      }),
    );
    expect(result.childSessionKey).toBe('agent:research:subagent:worker');
    expect(h.launches[0]?.request.requesterSessionKey).toBe('agent:ops:main');
  });

  // Behaviour change (issue 14 item 1): the requester is an identity, compared as a string; an
  // alias of a session (`AGENT:Ops:Main`, `agent:Ops!:main`) used to be folded into it.
  it('refuses a non-canonical requester key instead of treating it as the session it resembles', async () => {
    const h = harness({ policy: { allowAgents: ['research'] } });
    for (const alias of ['AGENT:Ops:Main', 'agent:ops:MAIN', 'agent:Ops!:main', ' agent:ops:main']) {
      const result = await h.spawner.spawn({ requester: { agentId: 'ops', sessionKey: alias }, task: 'dig' });
      expect(result, alias).toMatchObject({ status: 'error', code: 'NON_CANONICAL_SESSION_KEY' });
    }
    expect(h.launches).toHaveLength(0);
  });

  it('treats differently-cased spellings of one key as the same session', async () => {
    const h = harness();
    accepted(await h.spawner.spawn({ requester: OPS_MAIN, task: 'a', sessionKey: 'Worker' }));
    const again = await h.spawner.spawn({ requester: OPS_MAIN, task: 'b', sessionKey: 'agent:OPS:subagent:WORKER' });
    expect(again).toMatchObject({ status: 'forbidden', code: 'SESSION_BUSY' });
  });
});

describe('spawn: isolation across agents and sessions', () => {
  const refusals: Array<[string, Partial<SpawnRequest>, string]> = [
    ['another agent’s sub-agent key', { sessionKey: 'agent:research:subagent:w' }, 'CROSS_AGENT_SESSION_KEY'],
    ['another agent’s key, mixed case', { sessionKey: 'Agent:Research:SubAgent:W' }, 'CROSS_AGENT_SESSION_KEY'],
    ['another agent’s main session', { sessionKey: 'agent:main:main' }, 'CROSS_AGENT_SESSION_KEY'],
    ['its own agent’s main session', { sessionKey: 'agent:ops:main' }, 'INVALID_SESSION_KEY'],
    ['a DM session of its own agent', { sessionKey: 'agent:ops:telegram:direct:alice' }, 'INVALID_SESSION_KEY'],
    ['a malformed agent key', { sessionKey: 'agent:ops' }, 'INVALID_SESSION_KEY'],
    ['a short key with a namespace', { sessionKey: 'cron:job-1' }, 'INVALID_SESSION_KEY'],
    ['a short key smuggling a subagent segment', { sessionKey: 'x:subagent:y' }, 'INVALID_SESSION_KEY'],
    ['a bare subagent key of another agent', { sessionKey: 'agent:research:agent:ops:subagent:w' }, 'CROSS_AGENT_SESSION_KEY'],
  ];

  it.each(refusals)('a requester cannot spawn into %s', async (_name, extra, code) => {
    const h = harness({ policy: { allowAgents: ['*'] } });
    const result = await h.spawner.spawn({ requester: OPS_MAIN, task: 'x', ...extra });
    expect(result).toMatchObject({ status: 'forbidden', code });
    expect(h.runs.size).toBe(0);
    expect(h.launch).not.toHaveBeenCalled();
  });

  it('refuses a requester whose session key belongs to another agent', async () => {
    const h = harness();
    const result = await h.spawner.spawn({ requester: { agentId: 'ops', sessionKey: 'agent:research:main' }, task: 'x' });
    expect(result).toMatchObject({ status: 'forbidden', code: 'REQUESTER_MISMATCH' });
    expect(h.runs.size).toBe(0);
  });

  it('refuses spawning into the requester’s own session', async () => {
    const h = harness();
    const requester = { agentId: 'ops', sessionKey: 'agent:ops:subagent:self' };
    const result = await h.spawner.spawn({ requester, task: 'x', sessionKey: 'self' });
    expect(result).toMatchObject({ status: 'forbidden', code: 'SESSION_BUSY' });
    expect(h.runs.size).toBe(0);
  });

  it('refuses continuing a child session spawned by another requester session (default reuse policy)', async () => {
    const h = harness();
    const alice = { agentId: 'ops', sessionKey: 'agent:ops:telegram:direct:alice' };
    const bob = { agentId: 'ops', sessionKey: 'agent:ops:telegram:direct:bob' };
    accepted(await h.spawner.spawn({ requester: alice, task: 'a', sessionKey: 'notes' }));
    h.launches[0]?.resolve({ status: 'ok', result: 'done' });
    await settle();
    const result = await h.spawner.spawn({ requester: bob, task: 'b', sessionKey: 'notes' });
    expect(result).toMatchObject({ status: 'forbidden', code: 'FOREIGN_SESSION_KEY' });
    expect(h.runs.size).toBe(1);
  });

  it('lets any session of the agent continue a child session with childSessionReuse "agent"', async () => {
    const h = harness({ policy: { childSessionReuse: 'agent' } });
    const alice = { agentId: 'ops', sessionKey: 'agent:ops:telegram:direct:alice' };
    const bob = { agentId: 'ops', sessionKey: 'agent:ops:telegram:direct:bob' };
    accepted(await h.spawner.spawn({ requester: alice, task: 'a', sessionKey: 'notes' }));
    h.launches[0]?.resolve({ status: 'ok', result: 'done' });
    await settle();
    accepted(await h.spawner.spawn({ requester: bob, task: 'b', sessionKey: 'notes' }));
    expect(h.launches[1]?.request.isResumedSession).toBe(true);
  });

  it('answers another requester’s run exactly like a missing run', async () => {
    const h = harness();
    const { runId } = accepted(await h.spawner.spawn({ requester: OPS_MAIN, task: 'x' }));
    const other = { requesterSessionKey: 'agent:ops:telegram:direct:mallory' };
    expect(await h.spawner.getRun(runId, other)).toBeUndefined();
    expect(await h.spawner.getRun('no-such-run', other)).toBeUndefined();
    expect(await h.spawner.listRuns(other)).toEqual([]);
    // A non-canonical spelling of the requester reads like another requester (behaviour change).
    expect(await h.spawner.getRun(runId, { requesterSessionKey: 'AGENT:OPS:MAIN' })).toBeUndefined();
    expect(await h.spawner.listRuns({ requesterSessionKey: 'agent:Ops!:main' })).toEqual([]);
    expect((await h.spawner.getRun(runId, { requesterSessionKey: 'agent:ops:main' }))?.runId).toBe(runId);
    expect(await h.spawner.listRuns({ requesterSessionKey: 'agent:ops:main' })).toHaveLength(1);
  });
});

describe('spawn: allowlist', () => {
  it('allows only the requester’s own agent by default', async () => {
    const h = harness();
    accepted(await h.spawner.spawn({ requester: OPS_MAIN, task: 'x' }));
    accepted(await h.spawner.spawn({ requester: OPS_MAIN, task: 'x', agentId: 'ops' }));
    accepted(await h.spawner.spawn({ requester: OPS_MAIN, task: 'x', agentId: ' OPS ' }));
    const other = await h.spawner.spawn({ requester: OPS_MAIN, task: 'x', agentId: 'research' });
    expect(other).toMatchObject({ status: 'forbidden', code: 'AGENT_NOT_ALLOWED' });
    expect(h.runs.size).toBe(3);
  });

  it('allows any configured agent with "*", and refuses an unconfigured one as UNKNOWN_AGENT', async () => {
    const h = harness({ policy: { allowAgents: ['*'] } });
    accepted(await h.spawner.spawn({ requester: OPS_MAIN, task: 'x', agentId: 'research' }));
    accepted(await h.spawner.spawn({ requester: OPS_MAIN, task: 'x', agentId: 'main' }));
    const ghost = await h.spawner.spawn({ requester: OPS_MAIN, task: 'x', agentId: 'ghost' });
    expect(ghost).toMatchObject({ status: 'forbidden', code: 'UNKNOWN_AGENT' });
    expect(h.runs.size).toBe(2);
  });

  it('compares listed ids normalized and intersects them with the configured agents', async () => {
    const h = harness({ policy: { allowAgents: ['Research', 'ghost'] } });
    accepted(await h.spawner.spawn({ requester: OPS_MAIN, task: 'x', agentId: 'RESEARCH' }));
    expect(await h.spawner.spawn({ requester: OPS_MAIN, task: 'x', agentId: 'ghost' })).toMatchObject({
      status: 'forbidden',
      code: 'UNKNOWN_AGENT',
    });
    expect(await h.spawner.spawn({ requester: OPS_MAIN, task: 'x', agentId: 'main' })).toMatchObject({
      status: 'forbidden',
      code: 'AGENT_NOT_ALLOWED',
    });
  });

  it('does not reveal whether a non-allowed agent exists', async () => {
    const h = harness();
    const existing = await h.spawner.spawn({ requester: OPS_MAIN, task: 'x', agentId: 'research' });
    const missing = await h.spawner.spawn({ requester: OPS_MAIN, task: 'x', agentId: 'nobody' });
    expect(existing).toMatchObject({ status: 'forbidden', code: 'AGENT_NOT_ALLOWED' });
    expect(missing).toMatchObject({ status: 'forbidden', code: 'AGENT_NOT_ALLOWED' });
  });

  it('refuses ids that would only match after rewriting (no silent re-homing)', async () => {
    const h = harness({ policy: { allowAgents: ['*'] } });
    for (const agentId of ['ops team', '日本', '../ops', 'ops:main']) {
      expect(await h.spawner.spawn({ requester: OPS_MAIN, task: 'x', agentId })).toMatchObject({
        status: 'forbidden',
        code: 'UNKNOWN_AGENT',
      });
    }
    expect(h.runs.size).toBe(0);
  });

  it('lets a per-agent list replace the default list', async () => {
    const h = harness({ policy: { allowAgents: ['*'], perAgent: { Ops: { allowAgents: ['main'] } } } });
    accepted(await h.spawner.spawn({ requester: OPS_MAIN, task: 'x', agentId: 'main' }));
    expect(await h.spawner.spawn({ requester: OPS_MAIN, task: 'x', agentId: 'research' })).toMatchObject({
      status: 'forbidden',
      code: 'AGENT_NOT_ALLOWED',
    });
    accepted(await h.spawner.spawn({ requester: { agentId: 'main', sessionKey: 'agent:main:main' }, task: 'x', agentId: 'research' }));
  });

  it('refuses a requester agent that is not configured', async () => {
    const h = harness();
    const result = await h.spawner.spawn({ requester: { agentId: 'ghost', sessionKey: 'agent:ghost:main' }, task: 'x' });
    expect(result).toMatchObject({ status: 'forbidden', code: 'UNKNOWN_AGENT' });
  });
});

describe('spawn: depth limit', () => {
  it('counts depth from the requester key’s subagent segments', async () => {
    const h = harness();
    const deep = { agentId: 'ops', sessionKey: 'agent:ops:subagent:a:subagent:b' };
    expect(await h.spawner.spawn({ requester: deep, task: 'x' })).toMatchObject({ status: 'forbidden', code: 'DEPTH_LIMIT' });
    const one = { agentId: 'ops', sessionKey: 'agent:ops:subagent:a' };
    accepted(await h.spawner.spawn({ requester: one, task: 'x' }));
    expect(h.launches[0]?.request.depth).toBe(2);
    expect(h.launches[0]?.request.toolPolicy.isLeaf).toBe(true);
    expect(h.launches[0]?.request.toolPolicy.deny).toEqual(expect.arrayContaining([...CHILD_LEAF_DENIED_TOOLS]));
    expect(h.runs.size).toBe(1);
  });

  it('uses the recorded depth, so flat child keys cannot reset the count', async () => {
    const h = harness();
    const child = accepted(await h.spawner.spawn({ requester: OPS_MAIN, task: 'level 1' }));
    expect(h.launches[0]?.request.depth).toBe(1);
    expect(h.launches[0]?.request.toolPolicy.isLeaf).toBe(false);
    const grandchild = accepted(
      await h.spawner.spawn({ requester: { agentId: 'ops', sessionKey: child.childSessionKey }, task: 'level 2' }),
    );
    expect(grandchild.childSessionKey).toBe('agent:ops:subagent:id-3'); // flat key, one segment
    expect(h.launches[1]?.request.depth).toBe(2);
    const refused = await h.spawner.spawn({
      requester: { agentId: 'ops', sessionKey: grandchild.childSessionKey },
      task: 'level 3',
    });
    expect(refused).toMatchObject({ status: 'forbidden', code: 'DEPTH_LIMIT' });
    expect(h.runs.size).toBe(2);
  });

  it('honours a custom maxSpawnDepth', async () => {
    const h = harness({ policy: { maxSpawnDepth: 1 } });
    const child = accepted(await h.spawner.spawn({ requester: OPS_MAIN, task: 'x' }));
    expect(h.launches[0]?.request.toolPolicy.isLeaf).toBe(true);
    expect(await h.spawner.spawn({ requester: { agentId: 'ops', sessionKey: child.childSessionKey }, task: 'y' })).toMatchObject({
      status: 'forbidden',
      code: 'DEPTH_LIMIT',
    });
  });
});

describe('spawn: caps', () => {
  it('caps active children per requester session at 5 by default, writing nothing on refusal', async () => {
    const h = harness();
    for (let i = 0; i < 5; i += 1) accepted(await h.spawner.spawn({ requester: OPS_MAIN, task: `t${i}` }));
    const sixth = await h.spawner.spawn({ requester: OPS_MAIN, task: 't5' });
    expect(sixth).toMatchObject({ status: 'forbidden', code: 'CHILD_LIMIT' });
    expect(h.runs.size).toBe(5);
    expect(h.launch).toHaveBeenCalledTimes(5);
    // another session of the same agent has its own budget
    accepted(await h.spawner.spawn({ requester: { agentId: 'ops', sessionKey: 'agent:ops:other' }, task: 'x' }));
    // a finished child frees a slot
    h.launches[0]?.resolve({ status: 'ok', result: 'r' });
    await settle();
    accepted(await h.spawner.spawn({ requester: OPS_MAIN, task: 't6' }));
  });

  it('caps concurrent runs across all requesters', async () => {
    const h = harness({ policy: { maxConcurrentRuns: 2 } });
    accepted(await h.spawner.spawn({ requester: OPS_MAIN, task: 'a' }));
    accepted(await h.spawner.spawn({ requester: { agentId: 'main', sessionKey: 'agent:main:main' }, task: 'b' }));
    const third = await h.spawner.spawn({ requester: { agentId: 'ops', sessionKey: 'agent:ops:x' }, task: 'c' });
    expect(third).toMatchObject({ status: 'forbidden', code: 'CONCURRENCY_LIMIT' });
    expect(h.runs.size).toBe(2);
  });

  it('serializes concurrent admissions so a cap is never exceeded', async () => {
    const h = harness({ policy: { maxChildrenPerSession: 3 } });
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => h.spawner.spawn({ requester: OPS_MAIN, task: `t${i}` })));
    expect(results.filter((r) => r.status === 'accepted')).toHaveLength(3);
    expect(results.filter((r) => r.status === 'forbidden')).toHaveLength(7);
    expect(h.runs.size).toBe(3);
  });
});

/** An in-memory store that records every write call (create / markFinished / updateAnnouncement). */
function recordingStore(): { store: ReturnType<typeof createInMemoryRunStore>; writes: string[] } {
  const inner = createInMemoryRunStore();
  const writes: string[] = [];
  const WRITES = new Set(['create', 'markFinished', 'updateAnnouncement']);
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof prop === 'string' && WRITES.has(prop) && typeof value === 'function') {
        return (...args: unknown[]) => {
          writes.push(prop);
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return value;
    },
  });
  return { store, writes };
}

describe('spawn: nothing persisted on refusal', () => {
  it('no refusal calls a store write, launches anything, or changes an existing run', async () => {
    const { store, writes } = recordingStore();
    const h = harness({ runs: store, policy: { maxChildrenPerSession: 2, maxConcurrentRuns: 3 } });
    const alice = { agentId: 'ops', sessionKey: 'agent:ops:telegram:direct:alice' };
    const bob = { agentId: 'ops', sessionKey: 'agent:ops:telegram:direct:bob' };
    accepted(await h.spawner.spawn({ requester: alice, task: 'a', sessionKey: 'notes' }));
    h.launches[0]?.resolve({ status: 'ok', result: 'done' });
    await settle();
    accepted(await h.spawner.spawn({ requester: OPS_MAIN, task: 'w', sessionKey: 'worker' }));
    accepted(await h.spawner.spawn({ requester: OPS_MAIN, task: 'v' }));
    accepted(await h.spawner.spawn({ requester: bob, task: 'b' })); // 3 running: the concurrency cap
    expect(writes).toContain('create');
    const writesBefore = [...writes];
    const launchesBefore = h.launch.mock.calls.length;
    const runsBefore = await h.spawner.listRuns();

    const refusals: Array<[Omit<SpawnRequest, 'task'>, string]> = [
      [{ requester: OPS_MAIN, agentId: 'research' }, 'AGENT_NOT_ALLOWED'],
      [{ requester: { agentId: 'ops', sessionKey: 'agent:research:main' } }, 'REQUESTER_MISMATCH'],
      [{ requester: OPS_MAIN, sessionKey: 'agent:research:subagent:w' }, 'CROSS_AGENT_SESSION_KEY'],
      [{ requester: OPS_MAIN, sessionKey: 'agent:ops:main' }, 'INVALID_SESSION_KEY'],
      [{ requester: { agentId: 'ops', sessionKey: 'agent:ops:subagent:a:subagent:b' } }, 'DEPTH_LIMIT'],
      [{ requester: bob, sessionKey: 'worker' }, 'SESSION_BUSY'],
      [{ requester: bob, sessionKey: 'notes' }, 'FOREIGN_SESSION_KEY'],
      [{ requester: OPS_MAIN }, 'CHILD_LIMIT'],
      [{ requester: { agentId: 'ops', sessionKey: 'agent:ops:fresh' } }, 'CONCURRENCY_LIMIT'],
    ];
    for (const [request, code] of refusals) {
      expect(await h.spawner.spawn({ ...request, task: 'refused' }), code).toMatchObject({ status: 'forbidden', code });
    }
    expect(writes).toEqual(writesBefore);
    expect(h.launch).toHaveBeenCalledTimes(launchesBefore);
    expect(await h.spawner.listRuns()).toEqual(runsBefore);
  });
});

describe('spawn: busy keys and history reuse', () => {
  it('refuses a key whose session is running right now (SESSION_BUSY)', async () => {
    const h = harness();
    accepted(await h.spawner.spawn({ requester: OPS_MAIN, task: 'a', sessionKey: 'worker' }));
    const busy = await h.spawner.spawn({ requester: OPS_MAIN, task: 'b', sessionKey: 'worker' });
    expect(busy).toMatchObject({ status: 'forbidden', code: 'SESSION_BUSY' });
    expect(h.runs.size).toBe(1);
  });

  it('admits only one of two concurrent spawns into the same key', async () => {
    const h = harness();
    const [a, b] = await Promise.all([
      h.spawner.spawn({ requester: OPS_MAIN, task: 'a', sessionKey: 'worker' }),
      h.spawner.spawn({ requester: OPS_MAIN, task: 'b', sessionKey: 'WORKER' }),
    ]);
    expect([a?.status, b?.status].sort()).toEqual(['accepted', 'forbidden']);
    expect(h.runs.size).toBe(1);
  });

  it('continues an existing session’s history once its run has ended', async () => {
    const h = harness();
    const first = accepted(await h.spawner.spawn({ requester: OPS_MAIN, task: 'a', sessionKey: 'worker' }));
    expect(h.launches[0]?.request.isResumedSession).toBe(false);
    h.launches[0]?.resolve({ status: 'ok', result: 'first' });
    await settle();
    const second = accepted(await h.spawner.spawn({ requester: OPS_MAIN, task: 'b', sessionKey: 'worker' }));
    expect(second.childSessionKey).toBe(first.childSessionKey);
    expect(second.runId).not.toBe(first.runId);
    expect(h.launches[1]?.request.isResumedSession).toBe(true);
    expect((await h.spawner.listRuns()).map((r) => r.childSessionKey)).toEqual(['agent:ops:subagent:worker', 'agent:ops:subagent:worker']);
  });

  it('starts fresh after a delivered run whose cleanup was "delete"', async () => {
    const h = harness();
    accepted(await h.spawner.spawn({ requester: OPS_MAIN, task: 'a', sessionKey: 'tmp', cleanup: 'delete' }));
    h.launches[0]?.resolve({ status: 'ok', result: 'x' });
    await settle();
    expect(h.delivered[0]?.cleanup).toBe('delete');
    accepted(await h.spawner.spawn({ requester: OPS_MAIN, task: 'b', sessionKey: 'tmp' }));
    expect(h.launches[1]?.request.isResumedSession).toBe(false);
  });
});

describe('spawn: never throws', () => {
  const bad: Array<[string, unknown]> = [
    ['a blank task', { requester: OPS_MAIN, task: '   ' }],
    ['a missing requester', { task: 'x' }],
    ['a negative timeout', { requester: OPS_MAIN, task: 'x', runTimeoutSeconds: -1 }],
    ['a fractional timeout', { requester: OPS_MAIN, task: 'x', runTimeoutSeconds: 1.5 }],
    ['an unknown cleanup', { requester: OPS_MAIN, task: 'x', cleanup: 'shred' }],
    ['a non-object', 42],
    ['a non-agent requester key', { requester: { agentId: 'ops', sessionKey: 'main' }, task: 'x' }],
  ];

  it.each(bad)('answers %s with status error INVALID_INPUT and writes nothing', async (_name, input) => {
    const h = harness();
    const result = await h.spawner.spawn(input as SpawnRequest);
    expect(result).toMatchObject({ status: 'error', code: 'INVALID_INPUT' });
    expect(h.runs.size).toBe(0);
  });

  it('answers a synchronously failing launch with status error and frees the slot', async () => {
    const runs = createInMemoryRunStore();
    const announce = vi.fn(async () => {});
    const spawner = createSubagentSpawner({
      policy: { agents: AGENTS, maxChildrenPerSession: 1 },
      runs,
      launch: () => {
        throw new Error('no model configured');
      },
      announce,
      newId: () => 'r1',
    });
    try {
      const result = await spawner.spawn({ requester: OPS_MAIN, task: 'x', sessionKey: 'w' });
      expect(result).toEqual({
        status: 'error',
        code: 'LAUNCH_FAILED',
        error: 'Could not start the sub-agent run: no model configured',
      });
      const [run] = await spawner.listRuns();
      expect(run).toMatchObject({ status: 'error', error: 'no model configured', announcement: { state: 'none' } });
      expect(await runs.countActive()).toBe(0);
      await vi.advanceTimersByTimeAsync(3_600_000);
      expect(announce).not.toHaveBeenCalled();
    } finally {
      spawner.dispose();
    }
  });

  it('answers a failing store with status error', async () => {
    const runs = createInMemoryRunStore();
    runs.countActive = () => {
      throw new Error('database is locked');
    };
    const spawner = createSubagentSpawner({
      policy: { agents: AGENTS },
      runs,
      launch: () => new Promise(() => {}),
      announce: async () => {},
    });
    try {
      expect(await spawner.spawn({ requester: OPS_MAIN, task: 'x' })).toMatchObject({
        status: 'error',
        code: 'STORE_FAILED',
      });
    } finally {
      spawner.dispose();
    }
  });

  it('answers after dispose with status error DISPOSED', async () => {
    const h = harness();
    h.spawner.dispose();
    expect(await h.spawner.spawn({ requester: OPS_MAIN, task: 'x' })).toMatchObject({ status: 'error', code: 'DISPOSED' });
  });
});

describe('createSubagentSpawner', () => {
  it('throws INVALID_OPTIONS for a bad policy, naming the field', () => {
    const make = (policy: unknown) => () =>
      createSubagentSpawner({
        policy: policy as never,
        runs: createInMemoryRunStore(),
        launch: async () => ({ status: 'ok' }),
        announce: async () => {},
      });
    for (const policy of [{}, { agents: [] }, { agents: ['ops'], maxSpawnDepth: 0 }, { agents: ['ops'], bogus: 1 }]) {
      let caught: unknown;
      try {
        make(policy)();
      } catch (error) {
        caught = error;
      }
      expect(SubagentSpawnError.isInstance(caught)).toBe(true);
      expect((caught as SubagentSpawnError).code).toBe('INVALID_OPTIONS');
      expect((caught as SubagentSpawnError).field).toMatch(/^policy\./);
    }
  });

  it('applies the documented defaults', () => {
    const h = harness();
    expect(h.spawner.policy).toMatchObject({
      maxSpawnDepth: 2,
      maxChildrenPerSession: 5,
      maxConcurrentRuns: 8,
      defaultRunTimeoutSeconds: 0,
      childSessionReuse: 'requester',
      announceTimeoutMs: 120_000,
    });
    expect(h.spawner.toolPolicyFor(2).isLeaf).toBe(true);
  });
});

describe('spawn: canonical session keys (issue 14 item 1)', () => {
  it('an alias of the victim’s session cannot continue the victim’s sub-agent session', async () => {
    const h = harness({ policy: { childSessionReuse: 'requester' } });
    const victim = { agentId: 'main', sessionKey: 'agent:main:victim' };
    const first = accepted(await h.spawner.spawn({ requester: victim, task: 'private', sessionKey: 'notes' }));
    h.launches[0]?.resolve({ status: 'ok', result: 'done' });
    await settle();
    for (const sessionKey of ['agent:main:VICTIM', 'agent:Main!:victim', 'AGENT:MAIN:Victim']) {
      const result = await h.spawner.spawn({ requester: { agentId: 'main', sessionKey }, task: 'steal', sessionKey: 'notes' });
      expect(result, sessionKey).toMatchObject({ status: 'error', code: 'NON_CANONICAL_SESSION_KEY' });
      expect(await h.spawner.listRuns({ requesterSessionKey: sessionKey })).toEqual([]);
    }
    // Another canonical session of the same agent is a different requester: refused as foreign.
    const other = await h.spawner.spawn({
      requester: { agentId: 'main', sessionKey: 'agent:main:other' },
      task: 'steal',
      sessionKey: 'notes',
    });
    expect(other).toMatchObject({ status: 'forbidden', code: 'FOREIGN_SESSION_KEY' });
    expect((await h.spawner.listRuns({ requesterSessionKey: 'agent:main:victim' })).map((run) => run.childSessionKey)).toEqual([
      first.childSessionKey,
    ]);
  });
});
