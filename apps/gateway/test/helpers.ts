import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { startGateway, type RunningGateway, type StartGatewayOptions } from '../src/index.js';
import { openSyncPostgresClient } from '../src/store/postgres/sync-client.js';

export interface TestGateway {
  gw: RunningGateway;
  dir: string;
  api<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    token?: string | null,
  ): Promise<{ status: number; body: T }>;
  /** Queue a turn and wait for it. */
  turn(body: Record<string, unknown>): Promise<{ runId: string; sessionKey: string; status: string; reply?: string; error?: string }>;
  transcript(sessionKey: string): Promise<Array<{ role: string; text: string }>>;
  /** Poll until `check` returns a truthy value (bounded). */
  until<T>(check: () => Promise<T | undefined | false | null>, what: string, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

/** A fast test config: no per-agent wake spacing. */
export const FAST = { wake: { eventCooldownMs: 0, coalesceMs: 0, busyRetryMs: 100 } };

/**
 * The store the test gateways use: the embedded SQLite file, or — with `PINCER_TEST_STORE=postgres`
 * (CI's PostgreSQL leg) — a fresh schema of the run's PostgreSQL, so the same end-to-end files
 * prove the same behaviour on both stores. Returns the config block and a cleanup.
 */
function testStore(): { config: Record<string, unknown>; drop(): void } {
  if (process.env.PINCER_TEST_STORE !== 'postgres') return { config: {}, drop: () => {} };
  const url = inject('postgresUrl');
  const schema = `pincer_test_${randomBytes(6).toString('hex')}`;
  return {
    config: { store: { kind: 'postgres', url, schema } },
    drop() {
      const client = openSyncPostgresClient(url);
      try {
        client.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        client.close();
      }
    },
  };
}

/** The PostgreSQL leg must really run on PostgreSQL: a gateway that fell back to SQLite fails the test. */
function assertTestStore(gw: RunningGateway, isPostgresExpected: boolean): void {
  if (isPostgresExpected && gw.runtime.config.store?.kind !== 'postgres') {
    throw new Error('PINCER_TEST_STORE=postgres, but this gateway is not on PostgreSQL');
  }
}

export async function startTestGateway(config?: Record<string, unknown>, opts: Partial<StartGatewayOptions> = {}): Promise<TestGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'pincer-gw-'));
  const store = testStore();
  const isStoreInjected = Object.keys(store.config).length > 0 && opts.configPath === undefined;
  if (isStoreInjected) config = { ...store.config, ...config };
  let configPath: string | undefined;
  if (config) {
    configPath = join(dir, 'pincer.config.json');
    writeFileSync(configPath, JSON.stringify(config));
  }
  const gw = await startGateway({
    port: 0,
    stateDir: dir,
    ...(configPath ? { configPath } : {}),
    token: 'test-token',
    logLevel: 'error',
    ...opts,
  });
  assertTestStore(gw, isStoreInjected);
  return wrap(gw, dir, store.drop);
}

/**
 * A gateway whose agent `ops` runs the scripted `rules` (written beside the config) with an
 * hourly heartbeat and `owners: ['*']`, next to a default `main` agent.
 */
export async function startScriptedOpsGateway(rules: unknown, prefix = 'pincer-gw-scripted-'): Promise<TestGateway> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const rulesPath = join(dir, 'rules.json');
  writeFileSync(rulesPath, JSON.stringify(rules));
  const configPath = join(dir, 'pincer.config.json');
  const store = testStore();
  writeFileSync(
    configPath,
    JSON.stringify({
      ...store.config,
      ...FAST,
      agents: [{ id: 'main' }, { id: 'ops', model: `scripted:${rulesPath}`, heartbeat: { every: '1h' }, owners: ['*'] }],
    }),
  );
  const gw = await startGateway({ port: 0, stateDir: dir, configPath, token: 'test-token', logLevel: 'error' });
  assertTestStore(gw, Object.keys(store.config).length > 0);
  return wrap(gw, dir, store.drop);
}

export function wrap(gw: RunningGateway, dir: string, dropStore: () => void = () => {}): TestGateway {
  const api: TestGateway['api'] = async (method, path, body, token) => {
    const headers: Record<string, string> = {};
    if (token !== null) headers.authorization = `Bearer ${token ?? gw.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${gw.url}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // non-JSON (metrics)
    }
    return { status: res.status, body: parsed as never };
  };
  const t: TestGateway = {
    gw,
    dir,
    api,
    async turn(body) {
      const r = await api<{ runId: string; sessionKey: string }>('POST', '/v1/agent', body);
      if (r.status !== 202) throw new Error(`agent: ${r.status} ${JSON.stringify(r.body)}`);
      const w = await api<{ status: string; reply?: string; error?: string }>('GET', `/v1/runs/${r.body.runId}?waitMs=20000`);
      return { ...r.body, ...w.body };
    },
    async transcript(sessionKey) {
      const r = await api<{ entries: Array<{ role: string; text: string }> }>(
        'GET',
        `/v1/sessions/${encodeURIComponent(sessionKey)}/transcript`,
      );
      return r.status === 200 ? r.body.entries : [];
    },
    async until(check, what, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (let i = 0; Date.now() < deadline; i++) {
        const v = await check();
        if (v) return v;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`timed out waiting for ${what}`);
    },
    async close() {
      await gw.close();
      rmSync(dir, { recursive: true, force: true });
      dropStore();
    },
  };
  return t;
}
