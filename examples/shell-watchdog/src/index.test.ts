import type { PluginHostRegistry, PluginHostRegistryRecord } from '@pincer/plugin-sdk/host';
import { createPluginHost } from '@pincer/plugin-sdk/host';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { shellWatchdog } from './index.js';

// Unit level: the watchdog's timer and lifecycle against an in-memory registry and fake timers.
function memoryRegistry(records: PluginHostRegistryRecord[]) {
  const killed: string[] = [];
  const registry: PluginHostRegistry = {
    snapshot: () => ({ running: records.filter((r) => !killed.includes(r.id)), finished: [] }),
    killById: async (id) => {
      killed.push(id);
      return { status: 'killed', signal: 'SIGTERM' };
    },
  };
  return { registry, killed };
}

const record = (id: string, startedAt: number): PluginHostRegistryRecord => ({
  id,
  pid: 100,
  scopeKey: 'agent:ops:main',
  sessionKey: 'agent:ops:main',
  command: 'sleep 999',
  cwd: '/',
  startedAt,
  endedAt: undefined,
  status: 'running',
  exitCode: null,
  signal: null,
  tail: '',
  truncated: false,
  sandbox: { isSandboxed: false, backend: undefined, reason: 'no sandbox configured' },
});

afterEach(() => {
  vi.useRealTimers();
});

describe('shellWatchdog service', () => {
  it('checks every checkIntervalMs, kills only overdue shells, and stops checking once disposed', async () => {
    vi.useFakeTimers({ now: 0 });
    const { registry, killed } = memoryRegistry([record('old', 0), record('new', 50_000)]);
    const host = createPluginHost({ registry, clock: () => Date.now() });
    await host.load(shellWatchdog, { config: { maxRuntimeMs: 60_000, checkIntervalMs: 5_000 } });
    await host.start();

    await vi.advanceTimersByTimeAsync(60_000);
    expect(killed).toEqual([]);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(killed).toEqual(['old']);

    await host.dispose();
    await vi.advanceTimersByTimeAsync(600_000);
    expect(killed).toEqual(['old']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('applies defaults (30 min limit, 10 s interval) and rejects unknown or out-of-range config', async () => {
    const { registry } = memoryRegistry([]);
    const host = createPluginHost({ registry });
    await expect(host.load(shellWatchdog, { config: { maxRuntimeMs: 10 } })).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      field: 'config.maxRuntimeMs',
    });
    await expect(host.load(shellWatchdog, { config: { maxRuntime: 60_000 } })).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
    await host.load(shellWatchdog);
    const response = await host.matchRoute('GET', '/plugins/shell-watchdog/shells')?.handle();
    expect(response?.body).toMatchObject({ maxRuntimeMs: 1_800_000, running: [], finished: [] });
    await host.dispose();
  });
});
