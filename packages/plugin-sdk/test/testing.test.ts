import { definePlugin } from '@pincer/plugin-sdk';
import { createTestHost } from '@pincer/plugin-sdk/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';

// Uses the testing subpath exactly as a plugin author would: through the package's exports map.
const disposals: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const dispose of disposals.splice(0).reverse()) await dispose();
});

const reaper = definePlugin({
  id: 'reaper',
  configSchema: z.object({ scopeKey: z.string() }),
  register(api) {
    api.registerHttpRoute({
      method: 'POST',
      path: '/reap',
      handler: async () => {
        const mine = api.bashSessions.loadBashSessions().running.filter((shell) => shell.scopeKey === api.config.scopeKey);
        const results = await Promise.all(mine.map((shell) => api.bashSessions.killBashSession(shell.id)));
        return { status: 200, body: { killed: results.filter((result) => result.status === 'killed').length } };
      },
    });
  },
});

describe('@pincer/plugin-sdk/testing', () => {
  it('runs a plugin route against in-memory shells; kills stay inside the configured scope', async () => {
    const test = createTestHost();
    disposals.push(test.dispose);
    test.registry.add({ id: 'a1', scopeKey: 'agent:a:main' });
    test.registry.add({ id: 'b1', scopeKey: 'agent:b:main' });
    await test.host.load(reaper, { config: { scopeKey: 'agent:a:main' } });
    const match = test.host.matchRoute('POST', '/plugins/reaper/reap');
    expect(match?.route.auth).toBe('gateway');
    const response = await match?.handle({});
    expect(response).toMatchObject({ status: 200, body: { killed: 1 } });
    expect(test.registry.killCalls).toEqual(['a1']);
    const shells = test.registry.snapshot();
    expect(shells.running.map((shell) => shell.id)).toEqual(['b1']);
    expect(shells.finished).toEqual([expect.objectContaining({ id: 'a1', status: 'killed', signal: 'SIGTERM' })]);
  });

  it('answers not-found for unknown ids and already-exited for finished ones, and feeds process_exit hooks', async () => {
    const test = createTestHost({ clock: () => 5_000 });
    disposals.push(test.dispose);
    const exits: string[] = [];
    let api: Parameters<Parameters<typeof definePlugin>[0]['register']>[0] | undefined;
    await test.host.load(
      definePlugin({
        id: 'observer',
        register(pluginApi) {
          api = pluginApi as typeof api;
          pluginApi.on('process_exit', (event) => void exits.push(`${event.id}:${event.status}`));
        },
      }),
    );
    test.registry.add({ id: 'x' });
    test.registry.finish('x');
    await expect(api?.bashSessions.killBashSession('x')).resolves.toEqual({ status: 'already-exited' });
    await expect(api?.bashSessions.killBashSession('nope')).resolves.toEqual({ status: 'not-found' });
    await expect.poll(() => exits).toEqual(['x:exited']);
    expect(api?.bashSessions.loadBashSessions().finished[0]).toMatchObject({ id: 'x', startedAt: 5_000, endedAt: 5_000, exitCode: 0 });
  });
});
