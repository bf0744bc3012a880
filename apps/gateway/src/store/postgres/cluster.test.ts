import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import type { GatewayStore } from '../gateway-store.js';
import { createPostgresGatewayStore } from './postgres-store.js';
import { createTestSchemas } from './test-schemas.js';

// Two or three stores on one schema are two or three cluster nodes (each its own connection).
const url = inject('postgresUrl');
const schemas = createTestSchemas(url);
afterAll(() => schemas.dropAll());

const opened: GatewayStore[] = [];
afterEach(() => {
  for (const store of opened.splice(0)) store.close();
});
const node = (schema: string, nodeId: string): GatewayStore => {
  const store = createPostgresGatewayStore(url, { schema, nodeId });
  opened.push(store);
  return store;
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const shell = (id: string, sessionKey: string) => ({
  id,
  pid: 4242,
  scopeKey: sessionKey,
  sessionKey,
  command: `sleep ${id}`,
  cwd: '/',
  startedAt: 1,
  status: 'running',
  record: null,
  gatewayPid: 1,
});
const run = (id: string, sessionKey: string, status: 'queued' | 'running' | 'ok') => ({
  id,
  sessionKey,
  agentId: 'main',
  kind: 'user' as const,
  status,
  message: 'hi',
  reply: null,
  error: null,
  idempotencyKey: null,
  createdAt: 1,
  startedAt: status === 'queued' ? null : 2,
  endedAt: null,
});

describe('the PostgreSQL cluster table', () => {
  it('stamps the rows a node writes with its id, and a node restores only its own queued events', () => {
    const schema = schemas.fresh();
    const a = node(schema, 'node-a');
    const b = node(schema, 'node-b');
    a.processes.start(shell('p1', 'agent:main:one'));
    b.runs.insert(run('r1', 'agent:main:one', 'running'));
    a.systemEvents.append('agent:main:one', 'e1', { id: 'e1' }, 1);
    b.systemEvents.append('agent:main:one', 'e2', { id: 'e2' }, 2);
    expect(b.processes.get('p1')?.ownerNode).toBe('node-a');
    expect(a.systemEvents.all().map((row) => row.body)).toEqual([{ id: 'e1' }]);
    expect(b.systemEvents.all().map((row) => row.body)).toEqual([{ id: 'e2' }]);
    // A restart finalizes only its own runs.
    expect(a.runs.listByStatus(['running'])).toEqual([]);
    expect(b.runs.listByStatus(['running']).map((row) => row.id)).toEqual(['r1']);
  });

  it('refuses a second live node with the same id, and one node of a cluster beside a single gateway', () => {
    const schema = schemas.fresh();
    node(schema, 'node-a').cluster!.join('http://127.0.0.1:1', 10_000);
    expect(() => node(schema, 'node-a').cluster!.join('http://127.0.0.1:2', 10_000)).toThrow(/node id "node-a" is live already/);
    expect(() => createPostgresGatewayStore(url, { schema, exclusive: true })).toThrow(/all gateways on it|cluster mode/);
  });

  it('declares a node whose lease ran out dead exactly once, however many survivors look', async () => {
    const schema = schemas.fresh();
    const dying = node(schema, 'node-a');
    dying.cluster!.join('http://127.0.0.1:1', 2_000);
    const survivors = [node(schema, 'node-b'), node(schema, 'node-c')];
    for (const survivor of survivors) survivor.cluster!.join('http://127.0.0.1:2', 60_000);
    expect(survivors.flatMap((survivor) => survivor.cluster!.claimExpired())).toEqual([]);
    await sleep(2_100);
    const claims = survivors.flatMap((survivor) => survivor.cluster!.claimExpired());
    expect(claims).toEqual(['node-a']);
    // The dead node's connection was ended (it is fenced: its next statement fails).
    expect(() => dying.cluster!.renew(2_000)).toThrow();
    const [seen] = survivors[0]!.cluster!.nodes().filter((entry) => entry.id === 'node-a');
    expect(seen).toMatchObject({ state: 'dead', reapedBy: expect.stringMatching(/^node-[bc]$/) });
  });

  it('hands a dead node’s runs, shells and events to one survivor, each once', () => {
    const schema = schemas.fresh();
    const dead = node(schema, 'node-a');
    dead.processes.start(shell('p1', 'agent:main:one'));
    dead.processes.start({ ...shell('p2', 'agent:main:two'), status: 'starting' });
    dead.processes.start(shell('p3', 'agent:main:two'));
    dead.processes.exit('p3', { status: 'exited', exitCode: 0, signal: null, endedAt: 5 });
    dead.runs.insert(run('r1', 'agent:main:one', 'running'));
    dead.runs.insert(run('r2', 'agent:main:one', 'queued'));
    dead.runs.insert(run('r3', 'agent:main:one', 'ok'));
    dead.systemEvents.append('agent:main:one', 'e1', { id: 'e1' }, 1);
    dead.systemEvents.append('agent:main:two', 'e2', { id: 'e2' }, 2);
    const survivor = node(schema, 'node-b').cluster!;
    const other = node(schema, 'node-c').cluster!;

    expect(survivor.interruptRuns('node-a', 'interrupted: node-a stopped', 9).sort()).toEqual(['r1', 'r2']);
    expect(other.interruptRuns('node-a', 'again', 10)).toEqual([]);
    expect(
      survivor
        .loseShells('node-a', 9)
        .map((lost) => lost.id)
        .sort(),
    ).toEqual(['p1', 'p2']);
    expect(other.loseShells('node-a', 10)).toEqual([]);
    expect(survivor.adoptEvents('node-a')).toEqual([{ id: 'e1' }, { id: 'e2' }]);
    expect(other.adoptEvents('node-a')).toEqual([]);
    // Now they are the survivor's: its restore sees them, the other's does not.
    expect(opened[1]!.systemEvents.all()).toHaveLength(2);
    expect(opened[2]!.systemEvents.all()).toEqual([]);
    expect(opened[1]!.runs.get('r1')).toMatchObject({ status: 'error', error: 'interrupted: node-a stopped', endedAt: 9 });
    expect(opened[1]!.processes.get('p1')).toMatchObject({ status: 'lost', endedAt: 9 });
    expect(opened[1]!.processes.get('p3')?.status).toBe('exited');
  });

  it('lets one node at a time hold a session’s run lock, and frees it when the holder’s connection ends', () => {
    const schema = schemas.fresh();
    const a = node(schema, 'node-a').cluster!;
    const b = node(schema, 'node-b').cluster!;
    expect(a.tryLockSession('agent:main:one')).toBe(true);
    expect(b.tryLockSession('agent:main:one')).toBe(false);
    expect(b.tryLockSession('agent:main:two')).toBe(true);
    a.unlockSession('agent:main:one');
    expect(b.tryLockSession('agent:main:one')).toBe(true);
    opened[1]!.close();
    expect(a.tryLockSession('agent:main:one')).toBe(true);
    expect(a.tryLockSession('agent:main:two')).toBe(true);
  });

  it('gives each cron slot to exactly one claimer', () => {
    const schema = schemas.fresh();
    const claimers = [node(schema, 'node-a'), node(schema, 'node-b'), node(schema, 'node-c')].map((store) => store.cluster!);
    for (let slot = 0; slot < 20; slot++) {
      const winners = claimers.filter((claimer) => claimer.claimCronSlot('job-1', slot * 1000, 1));
      expect(winners).toHaveLength(1);
    }
    expect(claimers[0]!.claimCronSlot('job-2', 0, 1)).toBe(true);
  });
});
