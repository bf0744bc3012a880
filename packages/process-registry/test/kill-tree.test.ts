import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { identityOf, listMarkedPids, listProcessGroupPids, survivors, waitFor } from '../src/testing.js';
import type { ProcIdentity } from '../src/testing.js';
import { makeRegistry, nextExit, pollUntil } from './helpers.js';

const TREE = fileURLToPath(new URL('./fixtures/tree.sh', import.meta.url));

function treeIdentities(pgid: number, id: string): ProcIdentity[] {
  const pids = new Set([...listProcessGroupPids(pgid), ...listMarkedPids(id)]);
  return [...pids].map(identityOf).filter((x): x is ProcIdentity => x !== undefined);
}

describe('kill ceremony', () => {
  it('kills a whole tree (TERM-ignorer, & job, setsid escapees) and leaves no surviving pid', async () => {
    const registry = makeRegistry();
    const run = await registry.exec({ command: `bash ${TREE}`, scopeKey: 's', background: true });
    if (run.status !== 'running' || run.pid === undefined) throw new Error('expected running');
    await pollUntil(registry, 's', run.id, (o) => o.includes('ready'));
    // shell + script + 2 subshells + sleeps: wait until every planned process exists.
    expect(await waitFor(() => listMarkedPids(run.id).length >= 10, 5_000)).toBe(true);
    const before = treeIdentities(run.pid, run.id);
    const escaped = before.filter((p) => !listProcessGroupPids(run.pid!).includes(p.pid));
    expect(escaped.length).toBeGreaterThanOrEqual(3);

    const result = await registry.kill({ scopeKey: 's', id: run.id });
    expect(result.status).toBe('killed');
    // The kill is reported done only when /proc confirms the tree is gone.
    expect(survivors(before)).toEqual([]);
    expect(listMarkedPids(run.id)).toEqual([]);
    expect(listProcessGroupPids(run.pid)).toEqual([]);
    const [snap] = registry.list({ scopeKey: 's' });
    expect(snap).toMatchObject({ id: run.id, status: 'killed' });
  });

  it('uses the same ceremony for killById and reports an already-exited session quietly', async () => {
    const registry = makeRegistry();
    const run = await registry.exec({ command: `bash ${TREE}`, scopeKey: 's', background: true });
    await pollUntil(registry, 's', run.id, (o) => o.includes('ready'));
    expect(await waitFor(() => listMarkedPids(run.id).length >= 10, 5_000)).toBe(true);
    const before = treeIdentities(run.pid!, run.id);
    expect(await registry.killById(run.id)).toEqual({ status: 'killed', signal: expect.any(String) });
    expect(survivors(before)).toEqual([]);
    expect(await registry.killById(run.id)).toEqual({ status: 'already-exited' });
    expect(await registry.kill({ scopeKey: 's', id: run.id })).toEqual({ status: 'already-exited' });
    expect(await registry.killById('no-such-id')).toEqual({ status: 'not-found' });
  });

  it('sends SIGTERM first and escalates to SIGKILL only after the grace period', async () => {
    const registry = makeRegistry();
    const polite = await registry.exec({ command: 'sleep 30', scopeKey: 's', background: true });
    expect(await registry.kill({ scopeKey: 's', id: polite.id })).toEqual({ status: 'killed', signal: 'SIGTERM' });
    const stubborn = await registry.exec({ command: "trap '' TERM; sleep 30 & wait", scopeKey: 's', background: true });
    await waitFor(() => listProcessGroupPids(stubborn.pid!).length >= 2);
    expect(await registry.kill({ scopeKey: 's', id: stubborn.id })).toEqual({ status: 'killed', signal: 'SIGKILL' });
    expect(listProcessGroupPids(stubborn.pid!)).toEqual([]);
  });

  it('joins concurrent kills of the same session', async () => {
    const registry = makeRegistry();
    const run = await registry.exec({ command: 'sleep 30', scopeKey: 's', background: true });
    const [a, b] = await Promise.all([registry.kill({ scopeKey: 's', id: run.id }), registry.killById(run.id)]);
    expect(a).toEqual(b);
  });

  it('records timeout after the deadline, running the ceremony', async () => {
    const registry = makeRegistry();
    const exit = nextExit(registry);
    const run = await registry.exec({ command: 'echo started; sleep 30', scopeKey: 's', background: true, timeoutMs: 300 });
    const event = await exit;
    expect(event).toMatchObject({ id: run.id, status: 'timeout', signal: 'SIGTERM', shouldNotify: true });
    expect(listProcessGroupPids(run.pid!)).toEqual([]);
    expect(registry.list({ scopeKey: 's' })[0]).toMatchObject({ status: 'timeout' });

    const foreground = await registry.exec({ command: 'sleep 30', scopeKey: 's', timeoutMs: 200 });
    expect(foreground).toMatchObject({ status: 'timeout', signal: 'SIGTERM' });
  });

  it('reaps processes left in the group after the shell exits', async () => {
    const registry = makeRegistry();
    const result = await registry.exec({ command: 'sleep 300 & echo bye', scopeKey: 's' });
    expect(result).toMatchObject({ status: 'completed', exitCode: 0, output: 'bye\n' });
    expect(listMarkedPids(result.id)).toEqual([]);
  });

  it('dispose() kills everything, clears timers and leaves nothing', async () => {
    const registry = makeRegistry();
    const runs = await Promise.all([
      registry.exec({ command: `bash ${TREE}`, scopeKey: 'a', background: true }),
      registry.exec({ command: "trap '' TERM; sleep 30", scopeKey: 'b', background: true }),
      registry.exec({ command: 'cat', scopeKey: 'c', background: true, stdin: 'pty' }),
    ]);
    const foreground = registry.exec({ command: 'sleep 30', scopeKey: 'd', yieldMs: 60_000 });
    await waitFor(() => listMarkedPids(runs[0].id).length >= 10, 5_000);
    await waitFor(() => registry.snapshot().running.length === 4, 5_000);
    const ids = registry.snapshot().running.map((s) => s.id);
    const before = ids
      .flatMap((id) => listMarkedPids(id))
      .map(identityOf)
      .filter((x): x is ProcIdentity => !!x);
    await registry.dispose();
    expect(await foreground).toMatchObject({ status: 'killed' });
    expect(survivors(before)).toEqual([]);
    for (const id of ids) expect(listMarkedPids(id)).toEqual([]);
    expect(registry.snapshot().running).toEqual([]);
    await expect(registry.exec({ command: 'true', scopeKey: 'a' })).rejects.toMatchObject({ code: 'DISPOSED' });
  });
});
