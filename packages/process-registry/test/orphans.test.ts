import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { identityOf, listMarkedPids, survivors, waitFor } from '../src/testing.js';
import { makeRegistry } from './helpers.js';

const spawned: ChildProcess[] = [];

/** Starts a detached tree outside any registry, as a crashed previous run would have left it. */
function leftBehind(command: string, env: Record<string, string>): ChildProcess {
  const child = spawn('/bin/bash', ['-c', command], { detached: true, stdio: 'ignore', env: { ...process.env, ...env } });
  child.unref();
  spawned.push(child);
  return child;
}

const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();

afterEach(() => {
  for (const child of spawned.splice(0)) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

describe('reapOrphans', () => {
  it('kills the process groups a previous run left behind, escapees included', async () => {
    const marker = { PINCER_PROCESS_ID: 'old-orphan', PINCER_SCOPE: 'agent:a:main' };
    const child = leftBehind('sleep 300 & setsid sleep 300 & wait', marker);
    expect(await waitFor(() => listMarkedPids('old-orphan').length >= 3)).toBe(true);
    const before = listMarkedPids('old-orphan')
      .map(identityOf)
      .filter((x) => x !== undefined);
    const registry = makeRegistry();
    const [outcome] = await registry.reapOrphans([
      { id: 'old-orphan', pid: child.pid!, procStartTime: identityOf(child.pid!)!.startTime, bootId, scopeKey: 'agent:a:main' },
    ]);
    expect(outcome).toMatchObject({ id: 'old-orphan', pid: child.pid, outcome: 'killed' });
    expect(survivors(before)).toEqual([]);
  });

  it('never signals a reused pid', async () => {
    // An unrelated process now holds the pid the record names (different start time, no marker).
    const stranger = leftBehind('sleep 300', {});
    await waitFor(() => identityOf(stranger.pid!) !== undefined);
    const identity = identityOf(stranger.pid!)!;
    const registry = makeRegistry();
    const [outcome] = await registry.reapOrphans([
      { id: 'gone-long-ago', pid: stranger.pid!, procStartTime: identity.startTime - 1, bootId, scopeKey: 's' },
    ]);
    expect(outcome).toMatchObject({ outcome: 'pid-reused' });
    expect(survivors([identity])).toEqual([identity]);
  });

  it('reports records whose processes are gone or from another boot', async () => {
    const registry = makeRegistry();
    const done = leftBehind('true', {});
    await new Promise<void>((resolve) => done.once('exit', () => resolve()));
    const outcomes = await registry.reapOrphans([
      { id: 'finished', pid: done.pid!, procStartTime: 1, bootId, scopeKey: 's' },
      { id: 'old-boot', pid: 12345, procStartTime: 1, bootId: 'another-boot', scopeKey: 's' },
    ]);
    expect(outcomes.map((o) => o.outcome)).toEqual(['not-running', 'other-boot']);
  });
});
