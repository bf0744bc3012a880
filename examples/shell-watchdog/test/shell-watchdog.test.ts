import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { createPluginHost, type PluginHost } from '@pincer/plugin-sdk/host';
import { createProcessRegistry, type ProcessRegistry } from '@pincer/process-registry';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { shellWatchdog, type WatchdogSweep } from '../src/index.js';
import { processTree, survivors } from './fixtures/proc.js';

// Integration: the plugin runs in a real plugin host, over a real process registry with real
// shells, behind a loopback HTTP server that mounts plugin routes the way the gateway does.
const TOKEN = 'test-token';
const LIMIT_MS = 60_000;
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Harness {
  registry: ProcessRegistry;
  host: PluginHost;
  baseUrl: string;
  /** Moves the shared clock (registry start times and the plugin's `api.clock`) forward. */
  advance(ms: number): void;
}

async function startHarness(config: { maxRuntimeMs: number; checkIntervalMs: number }): Promise<Harness> {
  let now = Date.now();
  const registry = createProcessRegistry({
    cwd: tmpdir(),
    killGraceMs: 300,
    clock: {
      now: () => now,
      setTimeout: (callback, ms) => setTimeout(callback, ms).unref(),
      clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
    },
  });
  cleanups.push(() => registry.dispose());
  const host = createPluginHost({ registry, clock: () => now });
  cleanups.push(() => host.dispose());
  await host.load(shellWatchdog, { config });
  await host.start();

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const match = host.matchRoute(req.method ?? 'GET', url.pathname);
      if (!match) return send(404, { error: { code: 'not_found', message: 'Not found.' } });
      if (match.route.auth === 'gateway' && req.headers.authorization !== `Bearer ${TOKEN}`) {
        return send(401, { error: { code: 'unauthorized', message: 'Missing or wrong token.' } });
      }
      const query: Record<string, string> = Object.fromEntries(url.searchParams);
      const response = await match.handle({ headers: req.headers, query });
      res.writeHead(response.status, { 'content-type': 'application/json', ...response.headers });
      res.end(JSON.stringify(response.body));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  return {
    registry,
    host,
    baseUrl: `http://127.0.0.1:${port}`,
    advance: (ms) => {
      now += ms;
    },
  };
}

async function startShell(registry: ProcessRegistry, command: string, scopeKey: string) {
  const result = await registry.exec({ command, scopeKey, background: true });
  if (result.status !== 'running' || result.pid === undefined) throw new Error(`expected a running shell, got ${result.status}`);
  return { id: result.id, pid: result.pid };
}

async function call(harness: Harness, method: string, path: string, token: string | null = TOKEN) {
  const response = await fetch(`${harness.baseUrl}${path}`, {
    method,
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

type ListedShell = { id: string; runtimeMs: number; isOverLimit: boolean; scopeKey: string; status: string };

describe('shell-watchdog plugin (real registry, real shells, loopback HTTP)', () => {
  it('lists running shells with their runtime behind gateway auth, filtered by scope on request', async () => {
    const harness = await startHarness({ maxRuntimeMs: LIMIT_MS, checkIntervalMs: 3_600_000 });
    const ops = await startShell(harness.registry, 'sleep 30', 'agent:ops:main');
    harness.advance(5_000);
    const dev = await startShell(harness.registry, 'sleep 30', 'agent:dev:main');

    expect((await call(harness, 'GET', '/plugins/shell-watchdog/shells', null)).status).toBe(401);
    expect((await call(harness, 'GET', '/plugins/shell-watchdog/shells', 'wrong')).status).toBe(401);
    expect((await call(harness, 'GET', '/plugins/shell-watchdog/nope')).status).toBe(404);

    const all = await call(harness, 'GET', '/plugins/shell-watchdog/shells');
    expect(all.status).toBe(200);
    expect(all.body.maxRuntimeMs).toBe(LIMIT_MS);
    const running = all.body.running as ListedShell[];
    expect(running.find((s) => s.id === ops.id)).toMatchObject({
      scopeKey: 'agent:ops:main',
      runtimeMs: 5_000,
      isOverLimit: false,
      status: 'running',
    });
    expect(running.find((s) => s.id === dev.id)).toMatchObject({ scopeKey: 'agent:dev:main', runtimeMs: 0 });

    const scoped = await call(harness, 'GET', '/plugins/shell-watchdog/shells?scopeKey=agent%3Adev%3Amain');
    expect((scoped.body.running as ListedShell[]).map((s) => s.id)).toEqual([dev.id]);
  });

  it('a sweep kills exactly the shells over the limit — whole tree gone — and leaves the rest running', async () => {
    const harness = await startHarness({ maxRuntimeMs: LIMIT_MS, checkIntervalMs: 3_600_000 });
    const old = await startShell(harness.registry, 'sleep 30 & sleep 30; wait', 'agent:ops:main');
    harness.advance(50_000);
    const young = await startShell(harness.registry, 'sleep 30', 'agent:ops:main');
    await vi.waitFor(() => expect(processTree(old.pid).length).toBeGreaterThanOrEqual(3), { timeout: 10_000 });
    const oldTree = processTree(old.pid);
    const youngTree = processTree(young.pid);
    harness.advance(15_000); // old: 65 s (over), young: 15 s

    const sweep = await call(harness, 'POST', '/plugins/shell-watchdog/sweep');

    expect(sweep.status).toBe(200);
    const report = sweep.body as unknown as WatchdogSweep;
    expect(report.killed).toEqual([
      {
        id: old.id,
        command: 'sleep 30 & sleep 30; wait',
        scopeKey: 'agent:ops:main',
        runtimeMs: 65_000,
        status: 'killed',
        signal: expect.any(String),
      },
    ]);
    expect(survivors(oldTree)).toEqual([]);
    expect(survivors(youngTree)).toHaveLength(youngTree.length);

    const listed = await call(harness, 'GET', '/plugins/shell-watchdog/shells');
    expect((listed.body.running as ListedShell[]).map((s) => s.id)).toEqual([young.id]);
    expect((listed.body.finished as ListedShell[]).find((s) => s.id === old.id)).toMatchObject({ status: 'killed' });

    // Nothing else is over the limit: a second sweep is a no-op.
    expect(((await call(harness, 'POST', '/plugins/shell-watchdog/sweep')).body as unknown as WatchdogSweep).killed).toEqual([]);
  });

  it('the watchdog service kills a runaway shell on its own once it passes the limit', async () => {
    const harness = await startHarness({ maxRuntimeMs: LIMIT_MS, checkIntervalMs: 20 });
    const runaway = await startShell(harness.registry, "trap '' TERM; sleep 30 & wait", 'agent:ops:main');
    // The child exists only after the trap is in place: from here the tree ignores SIGTERM.
    await vi.waitFor(() => expect(processTree(runaway.pid).length).toBeGreaterThanOrEqual(2), { timeout: 10_000 });
    const tree = processTree(runaway.pid);
    expect(harness.registry.snapshot().running.map((s) => s.id)).toContain(runaway.id);

    harness.advance(LIMIT_MS + 1);

    await vi.waitFor(
      () => expect(harness.registry.snapshot().finished.find((s) => s.id === runaway.id)).toMatchObject({ status: 'killed' }),
      { timeout: 15_000, interval: 20 },
    );
    expect(survivors(tree)).toEqual([]);
  });
});
