import { tmpdir } from 'node:os';
import { createProcessRegistry, type ProcessRegistry } from '@pincer/process-registry';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { killBashSession, loadBashSessions } from '../src/bash-sessions.js';
import { bindPluginHost, createPluginHost, type PluginHost } from '../src/host.js';
import { definePlugin, type PluginApi } from '../src/plugin.js';
import { processTree, survivors } from './fixtures/proc.js';

// Integration: a real @pincer/process-registry with real shells. Every test disposes what it made.
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const SCOPE = 'agent:ops:main';

function startRegistry(): ProcessRegistry {
  const registry = createProcessRegistry({ cwd: tmpdir(), killGraceMs: 300, defaultTimeoutMs: 120_000 });
  cleanups.push(() => registry.dispose());
  return registry;
}

function bound(): ProcessRegistry {
  const registry = startRegistry();
  cleanups.push(bindPluginHost({ registry }));
  return registry;
}

async function startShell(registry: ProcessRegistry, command: string, scopeKey = SCOPE) {
  const result = await registry.exec({ command, scopeKey, sessionKey: scopeKey, background: true });
  if (result.status !== 'running' || result.pid === undefined) throw new Error(`expected a running shell, got ${result.status}`);
  return { id: result.id, pid: result.pid };
}

async function hostApi(registry: ProcessRegistry): Promise<PluginApi> {
  const host: PluginHost = createPluginHost({ registry });
  cleanups.push(() => host.dispose());
  let captured: PluginApi | undefined;
  await host.load(
    definePlugin({
      id: 'probe',
      register: (api) => {
        captured = api;
      },
    }),
  );
  if (!captured) throw new Error('register did not run');
  return captured;
}

describe('loadBashSessions against a real registry', () => {
  it('returns deep-frozen DTO copies: mutation throws and the registry is unchanged', async () => {
    const registry = bound();
    const shell = await startShell(registry, 'echo ready; sleep 30');
    await vi.waitFor(() => expect(loadBashSessions().running.find((s) => s.id === shell.id)?.tail).toContain('ready'), { timeout: 10_000 });
    const sessions = loadBashSessions();
    const session = sessions.running.find((s) => s.id === shell.id);
    expect(session).toMatchObject({
      id: shell.id,
      pid: shell.pid,
      scopeKey: SCOPE,
      sessionKey: SCOPE,
      command: 'echo ready; sleep 30',
      cwd: tmpdir(),
      status: 'running',
      endedAt: undefined,
      exitCode: null,
      signal: null,
      truncated: false,
      sandbox: { isSandboxed: false, backend: undefined, reason: expect.any(String) },
    });
    expect(() => {
      (session as { status: string }).status = 'completed';
    }).toThrow(TypeError);
    expect(() => {
      (session as { tail: string }).tail = '';
    }).toThrow(TypeError);
    expect(() => (sessions.running as unknown[]).splice(0)).toThrow(TypeError);
    expect(() => {
      (sessions as { finished: unknown }).finished = [];
    }).toThrow(TypeError);
    expect(registry.snapshot().running.find((s) => s.id === shell.id)).toMatchObject({ status: 'running' });
    expect(registry.list({ scopeKey: SCOPE }).map((s) => s.id)).toContain(shell.id);
    expect(loadBashSessions().running.find((s) => s.id === shell.id)?.tail).toContain('ready');
  });

  it('reflects live state: a shell started after a snapshot is absent from it and present in the next', async () => {
    const registry = bound();
    const before = loadBashSessions();
    const shell = await startShell(registry, 'sleep 30');
    expect(before.running.map((s) => s.id)).not.toContain(shell.id);
    expect(loadBashSessions().running.map((s) => s.id)).toContain(shell.id);
  });

  it('moves a shell that exits on its own to finished, with its exit code and output tail', async () => {
    const registry = bound();
    const shell = await startShell(registry, 'sleep 0.2; echo bye; exit 3');
    const during = loadBashSessions();
    expect(during.running.map((s) => s.id)).toContain(shell.id);
    await vi.waitFor(() => expect(loadBashSessions().finished.map((s) => s.id)).toContain(shell.id), { timeout: 10_000 });
    const done = loadBashSessions().finished.find((s) => s.id === shell.id);
    expect(done).toMatchObject({ status: 'completed', exitCode: 3, signal: null });
    expect(done?.tail).toContain('bye');
    expect(typeof done?.endedAt).toBe('number');
    expect(loadBashSessions().running.map((s) => s.id)).not.toContain(shell.id);
    // The earlier snapshot is a copy: it still says running.
    expect(during.running.find((s) => s.id === shell.id)?.status).toBe('running');
  });
});

describe('killBashSession against a real registry', () => {
  it('kills the whole tree through the ceremony and leaves no surviving pid in /proc', async () => {
    const registry = bound();
    const shell = await startShell(registry, 'sleep 30 & sleep 30 & sleep 30; wait');
    await vi.waitFor(() => expect(processTree(shell.pid).length).toBeGreaterThanOrEqual(4), { timeout: 10_000 });
    const tree = processTree(shell.pid);
    expect(survivors(tree)).toHaveLength(tree.length);
    const exits: Array<{ id: string; status: string }> = [];
    cleanups.push(registry.on('exit', (event) => void exits.push({ id: event.id, status: event.status })));

    const result = await killBashSession(shell.id);

    expect(result).toMatchObject({ status: 'killed' });
    expect(typeof result.signal).toBe('string');
    expect(survivors(tree)).toEqual([]);
    const after = loadBashSessions();
    expect(after.running.map((s) => s.id)).not.toContain(shell.id);
    expect(after.finished.find((s) => s.id === shell.id)).toMatchObject({ status: 'killed' });
    // The registry did its own bookkeeping (no phantom "running" state): one exit event, as killed.
    await vi.waitFor(() => expect(exits).toEqual([{ id: shell.id, status: 'killed' }]), { timeout: 10_000 });
  });

  it('escalates like the process tool does: a tree that ignores SIGTERM is still gone when it resolves', async () => {
    const registry = bound();
    const shell = await startShell(registry, "trap '' TERM; sleep 30 & sleep 30; wait");
    await vi.waitFor(() => expect(processTree(shell.pid).length).toBeGreaterThanOrEqual(3), { timeout: 10_000 });
    const tree = processTree(shell.pid);

    const result = await killBashSession(shell.id);

    expect(result).toEqual({ status: 'killed', signal: 'SIGKILL' });
    expect(survivors(tree)).toEqual([]);
  });

  it('answers already-exited for a finished shell without signalling anything', async () => {
    const registry = bound();
    const shell = await startShell(registry, 'exit 0');
    await vi.waitFor(() => expect(loadBashSessions().finished.map((s) => s.id)).toContain(shell.id), { timeout: 10_000 });
    expect(await killBashSession(shell.id)).toEqual({ status: 'already-exited' });
  });

  it('answers not-found for an unknown id', async () => {
    bound();
    expect(await killBashSession('no-such-shell')).toEqual({ status: 'not-found' });
  });

  it("cannot reach another host's shell: the answer is exactly not-found and the shell survives", async () => {
    const mine = startRegistry();
    const theirs = startRegistry();
    const api = await hostApi(mine);
    const victim = await startShell(theirs, 'sleep 30', 'agent:other:main');
    const tree = processTree(victim.pid);

    const foreign = await api.bashSessions.killBashSession(victim.id);
    const unknown = await api.bashSessions.killBashSession('never-existed');

    expect(foreign).toEqual(unknown);
    expect(foreign).toEqual({ status: 'not-found' });
    expect(survivors(tree)).toHaveLength(tree.length);
    expect(api.bashSessions.loadBashSessions().running.map((s) => s.id)).not.toContain(victim.id);
    expect(theirs.snapshot().running.map((s) => s.id)).toContain(victim.id);
  });

  it('fails with NO_HOST once the gateway unbinds, even while shells are running', async () => {
    const registry = startRegistry();
    const unbind = bindPluginHost({ registry });
    const shell = await startShell(registry, 'sleep 30');
    unbind();
    expect(() => loadBashSessions()).toThrow(expect.objectContaining({ code: 'NO_HOST' }));
    await expect(killBashSession(shell.id)).rejects.toMatchObject({ code: 'NO_HOST' });
    expect(registry.snapshot().running.map((s) => s.id)).toContain(shell.id);
  });
});
