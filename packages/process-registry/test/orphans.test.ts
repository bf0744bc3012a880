import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
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
    const marker = { PINCER_PROCESS_ID: 'old-orphan' };
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

/** Live pids whose command line names `marker` (independent of the registry's own env marker). */
function pidsWithArgument(marker: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      if (/\) [ZX] /.test(stat)) continue;
      if (readFileSync(`/proc/${name}/cmdline`, 'latin1').split('\0').includes(marker)) pids.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

describe('reapOrphans of a shell journaled only before its spawn', () => {
  it('finds it by its marker after the owner crashed before the pid was written, and kills the whole tree', async () => {
    const marker = `crash-before-pid-${process.pid}-${Date.now()}`;
    const owner = spawn(process.execPath, [new URL('./fixtures/crash-owner.mjs', import.meta.url).pathname, marker], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    owner.stdout!.setEncoding('utf8');
    owner.stdout!.on('data', (text: string) => {
      output += text;
    });
    const ownerExit = new Promise<string | null>((resolve) => owner.once('exit', (_code, signal) => resolve(signal)));
    try {
      expect(await ownerExit).toBe('SIGKILL');
      const row = JSON.parse(output.trim()) as { id: string; scopeKey: string; bootId?: string; pid: number | null };
      // The journal knew the shell before it existed, without a pid; the shell outlived its owner.
      expect(row.pid).toBeNull();
      expect(await waitFor(() => pidsWithArgument(marker).length >= 3, 5_000)).toBe(true);
      const before = pidsWithArgument(marker)
        .map(identityOf)
        .filter((x) => x !== undefined);
      // Three bash processes and their sleeps, one of them outside the group with no parent left.
      expect(await waitFor(() => listMarkedPids(row.id).length >= 6, 5_000)).toBe(true);

      const registry = makeRegistry();
      const [outcome] = await registry.reapOrphans([{ id: row.id, scopeKey: row.scopeKey, ...(row.bootId ? { bootId: row.bootId } : {}) }]);
      expect(outcome).toMatchObject({ id: row.id, pid: undefined, outcome: 'killed', signal: 'SIGKILL' });
      expect(survivors(before)).toEqual([]);
      expect(pidsWithArgument(marker)).toEqual([]);
      expect(listMarkedPids(row.id)).toEqual([]);
      // A second reap of the same record finds nothing (one outcome per shell, then quiet).
      expect((await registry.reapOrphans([{ id: row.id, scopeKey: row.scopeKey }]))[0]).toMatchObject({ outcome: 'not-running' });
    } finally {
      owner.kill('SIGKILL');
      for (const pid of pidsWithArgument(marker)) process.kill(pid, 'SIGKILL');
    }
  });

  it('refuses a record with a pid but no start time', async () => {
    const registry = makeRegistry();
    await expect(registry.reapOrphans([{ id: 'half', pid: 1234, scopeKey: 's' }])).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});
