import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, vi } from 'vitest';
import { ProcessRegistryError } from '../src/index.js';
import { runKillCeremony } from '../src/kill-tree.js';
import { listProcessGroupPids } from '../src/testing.js';
import { makeRegistry, nextExit, rejectionOf } from './helpers.js';

// A ceremony that cannot confirm the tree is gone (e.g. a process stuck in D state) rejects with
// KILL_FAILED. Real processes cannot be made unkillable here, so the first ceremony is made to fail.
vi.mock('../src/kill-tree.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../src/kill-tree.js')>();
  return { ...actual, runKillCeremony: vi.fn(actual.runKillCeremony) };
});

const failOnce = (): void => {
  vi.mocked(runKillCeremony).mockRejectedValueOnce(new ProcessRegistryError('KILL_FAILED', 'Processes survived SIGKILL.'));
};

describe('a kill ceremony that fails', () => {
  it('leaves a killed session running, visible and killable again', async () => {
    const registry = makeRegistry();
    const run = await registry.exec({ command: 'sleep 30', scopeKey: 's', background: true });
    failOnce();
    expect(await rejectionOf(registry.kill({ scopeKey: 's', id: run.id }))).toMatchObject({ code: 'KILL_FAILED' });
    expect(registry.list({ scopeKey: 's' }).map((p) => [p.id, p.status])).toEqual([[run.id, 'running']]);
    expect(await registry.kill({ scopeKey: 's', id: run.id })).toMatchObject({ status: 'killed' });
    expect(listProcessGroupPids(run.pid!)).toEqual([]);
  });

  it('does not hide a session whose remove() could not kill it', async () => {
    const registry = makeRegistry();
    const run = await registry.exec({ command: 'sleep 30', scopeKey: 's', background: true });
    failOnce();
    expect(await rejectionOf(registry.remove({ scopeKey: 's', id: run.id }))).toMatchObject({ code: 'KILL_FAILED' });
    // Still alive, so still visible to its scope and to operators, and still counted.
    expect(registry.list({ scopeKey: 's' }).map((p) => [p.id, p.status])).toEqual([[run.id, 'running']]);
    expect(registry.snapshot().running.map((p) => p.id)).toEqual([run.id]);
    expect(await registry.killById(run.id)).toMatchObject({ status: 'killed' });
    expect(listProcessGroupPids(run.pid!)).toEqual([]);
  });

  it('retries a timeout kill that failed instead of letting the process run unbounded', async () => {
    const registry = makeRegistry({ killConfirmTimeoutMs: 100 });
    const exit = nextExit(registry);
    vi.mocked(runKillCeremony).mockClear();
    failOnce();
    const run = await registry.exec({ command: 'sleep 30', scopeKey: 's', background: true, timeoutMs: 150 });
    // Bounded wait (not a timing assertion): without a retry no exit event ever comes.
    const outcome = await Promise.race([exit, sleep(10_000).then(() => 'no exit event')]);
    expect(outcome).toMatchObject({ id: run.id, status: 'timeout' });
    expect(vi.mocked(runKillCeremony)).toHaveBeenCalledTimes(2);
    expect(listProcessGroupPids(run.pid!)).toEqual([]);
  });
});
