import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway, type RunningGateway, type StartGatewayOptions } from '../src/index.js';

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

export async function startTestGateway(config?: Record<string, unknown>, opts: Partial<StartGatewayOptions> = {}): Promise<TestGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'pincer-gw-'));
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
  return wrap(gw, dir);
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
  writeFileSync(
    configPath,
    JSON.stringify({
      ...FAST,
      agents: [{ id: 'main' }, { id: 'ops', model: `scripted:${rulesPath}`, heartbeat: { every: '1h' }, owners: ['*'] }],
    }),
  );
  const gw = await startGateway({ port: 0, stateDir: dir, configPath, token: 'test-token', logLevel: 'error' });
  return wrap(gw, dir);
}

export function wrap(gw: RunningGateway, dir: string): TestGateway {
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
    },
  };
  return t;
}
