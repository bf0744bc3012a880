import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createBwrapSandbox, listProcessTree } from '../src/index.js';
import { listMarkedPids, listProcessGroupPids, waitFor } from '../src/testing.js';
import { makeRegistry, pollUntil } from './helpers.js';
import { describeWithBwrap, makeSandboxDirs } from './sandbox-helpers.js';

const TREE = fileURLToPath(new URL('./fixtures/tree.sh', import.meta.url));

describe('listProcessTree', () => {
  it('lists what a kill would end (group, descendants, setsid escapees) without signalling, and nothing once killed', async () => {
    const registry = makeRegistry();
    const run = await registry.exec({ command: `bash ${TREE}`, scopeKey: 's', background: true });
    if (run.status !== 'running' || run.pid === undefined) throw new Error('expected running');
    await pollUntil(registry, 's', run.id, (output) => output.includes('ready'));
    expect(await waitFor(() => listMarkedPids(run.id).length >= 10, 5_000)).toBe(true);
    const target = { id: run.id, pid: run.pid };
    const tree = listProcessTree(target);
    // Read-only: every process is still there on a second read.
    expect(listProcessTree(target)).toEqual(tree);
    expect(tree).toContain(run.pid);
    for (const pid of [...listMarkedPids(run.id), ...listProcessGroupPids(run.pid)]) expect(tree).toContain(pid);
    const escaped = tree.filter((pid) => !listProcessGroupPids(run.pid!).includes(pid));
    expect(escaped.length).toBeGreaterThanOrEqual(3);
    expect(registry.list({ scopeKey: 's' })[0]).toMatchObject({ status: 'running' });

    await registry.kill({ scopeKey: 's', id: run.id });
    expect(listProcessTree(target)).toEqual([]);
  });

  it('counts nothing for another shell id or scope at the same pid (a reused pid never counts)', async () => {
    const registry = makeRegistry();
    const run = await registry.exec({ command: 'sleep 300 & sleep 300 & wait', scopeKey: 's', background: true });
    expect(await waitFor(() => listMarkedPids(run.id).length >= 3, 5_000)).toBe(true);
    expect(listProcessTree({ id: run.id, pid: run.pid }).length).toBe(3);
    expect(listProcessTree({ id: 'other-id', pid: run.pid })).toEqual([]);
    expect(listProcessTree({ id: 'never-started', pid: undefined })).toEqual([]);
  });
});

describeWithBwrap('listProcessTree of a sandboxed shell', () => {
  it('lists the launcher and its pid namespace (init, shell, children), and nothing once killed', async () => {
    const dirs = makeSandboxDirs();
    const registry = makeRegistry({ sandbox: createBwrapSandbox({ mode: 'required', workspaceRoot: dirs.workspaceRoot }) });
    const run = await registry.exec({
      command: 'for n in 1 2 3; do sleep 300 & done; setsid sleep 300 & echo ready; wait',
      scopeKey: 's',
      background: true,
    });
    if (run.status !== 'running' || run.pid === undefined) throw new Error('expected running');
    expect(run.sandbox.isSandboxed).toBe(true);
    await pollUntil(registry, 's', run.id, (output) => output.includes('ready'));
    const target = { id: run.id, pid: run.pid };
    // bwrap's launcher, the namespace's init, the shell and four sleeps.
    expect(await waitFor(() => listProcessTree(target).length >= 7, 5_000)).toBe(true);
    expect(listProcessTree(target)).toContain(run.pid);
    await registry.kill({ scopeKey: 's', id: run.id });
    expect(listProcessTree(target)).toEqual([]);
  });
});
