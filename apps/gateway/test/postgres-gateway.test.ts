import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { startGateway } from '../src/index.js';
import { openSyncPostgresClient } from '../src/store/postgres/sync-client.js';
import { FAST, type TestGateway, wrap } from './helpers.js';

const url = inject('postgresUrl');
const schemas: string[] = [];
const gateways: TestGateway[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const gateway of gateways.splice(0)) await gateway.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
afterAll(() => {
  const client = openSyncPostgresClient(url);
  try {
    for (const schema of schemas) client.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    client.close();
  }
});

function freshSchema(): string {
  const schema = `pincer_gw_${randomBytes(6).toString('hex')}`;
  schemas.push(schema);
  return schema;
}

/** A config dir whose gateway keeps its state in `store`. */
function configDir(store: Record<string, unknown>): { dir: string; configPath: string } {
  const dir = mkdtempSync(join(tmpdir(), 'pincer-gw-pg-'));
  dirs.push(dir);
  const configPath = join(dir, 'pincer.config.json');
  writeFileSync(configPath, JSON.stringify({ ...FAST, store, agents: [{ id: 'main' }, { id: 'ops' }], defaultAgent: 'main' }));
  return { dir, configPath };
}

async function start(dir: string, configPath: string): Promise<TestGateway> {
  const gw = await startGateway({ port: 0, stateDir: dir, configPath, token: 'test-token', logLevel: 'error' });
  const gateway = wrap(gw, dir);
  // Restarts reuse the dir and the schema: closing stops the gateway only (afterEach/afterAll clean up).
  gateway.close = async () => {
    const index = gateways.indexOf(gateway);
    if (index >= 0) gateways.splice(index, 1);
    await gw.close();
  };
  gateways.push(gateway);
  return gateway;
}

async function closedPort(): Promise<number> {
  return await new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 1));
    });
  });
}

describe('the gateway on PostgreSQL (store.kind "postgres")', () => {
  it('keeps sessions and transcripts in PostgreSQL across a restart, and reports its store', async () => {
    const schema = freshSchema();
    const { dir, configPath } = configDir({ kind: 'postgres', url, schema });
    const first = await start(dir, configPath);
    const status = await first.api<{ store: { kind: string; schema?: string } }>('GET', '/v1/status');
    expect(status.body.store).toEqual({ kind: 'postgres', schema });
    const turn = await first.turn({ message: 'remember the tide tables', sessionKey: 'agent:main:main' });
    expect(turn.status).toBe('ok');
    await first.close();

    const second = await start(dir, configPath);
    const entries = await second.transcript('agent:main:main');
    expect(entries.map((entry) => entry.text)).toContain('remember the tide tables');
    // The rows are in PostgreSQL, not in a SQLite file beside the config.
    const client = openSyncPostgresClient(url, { schema });
    try {
      const rows = client.query<{ count: number }>('SELECT count(*)::int8 AS count FROM sessions WHERE key = $1', ['agent:main:main']);
      expect(rows.rows[0]?.count).toBe(1);
    } finally {
      client.close();
    }
  });

  it("answers another session's transcript and a case variant of a key as the one session, never a second", async () => {
    const { dir, configPath } = configDir({ kind: 'postgres', url, schema: freshSchema() });
    const gateway = await start(dir, configPath);
    await gateway.turn({ message: 'ops secret', sessionKey: 'agent:ops:incident-7' });
    const variant = await gateway.turn({ message: 'second line', sessionKey: 'agent:OPS:Incident-7' });
    expect(variant.sessionKey).toBe('agent:ops:incident-7');
    const sessions = await gateway.api<{ sessions: Array<{ key: string }> }>('GET', '/v1/sessions');
    expect(sessions.body.sessions.filter((session) => session.key.toLowerCase() === 'agent:ops:incident-7')).toHaveLength(1);
    const other = await gateway.api('GET', `/v1/sessions/${encodeURIComponent('agent:main:incident-7')}/transcript`);
    const unknown = await gateway.api('GET', `/v1/sessions/${encodeURIComponent('agent:main:never-was')}/transcript`);
    expect(other.status).toBe(404);
    // The same answer as a key that never existed (each message names the key asked for).
    expect(JSON.stringify(other).replace('incident-7', 'never-was')).toBe(JSON.stringify(unknown));
  });

  it('refuses a second gateway on the same schema while the first runs (one gateway per database schema)', async () => {
    const schema = freshSchema();
    const first = configDir({ kind: 'postgres', url, schema });
    await start(first.dir, first.configPath);
    const second = configDir({ kind: 'postgres', url, schema });
    await expect(start(second.dir, second.configPath)).rejects.toThrow(/another gateway .*schema/i);
  });

  it("never hands the store's URL variable to a shell, even when exec.passEnv asks for it", async () => {
    process.env.TEST_PINCER_DATABASE_URL = url;
    try {
      const dir = mkdtempSync(join(tmpdir(), 'pincer-gw-pg-'));
      dirs.push(dir);
      const configPath = join(dir, 'pincer.config.json');
      writeFileSync(
        configPath,
        JSON.stringify({
          ...FAST,
          store: { kind: 'postgres', urlEnv: 'TEST_PINCER_DATABASE_URL', schema: freshSchema() },
          exec: { passEnv: ['TEST_PINCER_DATABASE_URL'] },
        }),
      );
      const gateway = await start(dir, configPath);
      const status = await gateway.api<{ store: { kind: string } }>('GET', '/v1/status');
      expect(status.body.store.kind).toBe('postgres');
      const result = await gateway.gw.runtime.processes.registry.exec({
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell expansion, not a template
        command: 'echo "url=${TEST_PINCER_DATABASE_URL:-unset}"',
        scopeKey: 'agent:main:main',
        sessionKey: 'agent:main:main',
      });
      expect(result.status).toBe('completed');
      expect(result.status === 'completed' ? result.output.trim() : '').toBe('url=unset');
    } finally {
      delete process.env.TEST_PINCER_DATABASE_URL;
    }
  });

  it('names the missing variable when store.kind is "postgres" without a URL', async () => {
    const { dir, configPath } = configDir({ kind: 'postgres', urlEnv: 'PINCER_TEST_UNSET_POSTGRES_URL' });
    await expect(start(dir, configPath)).rejects.toThrow(/PINCER_TEST_UNSET_POSTGRES_URL/);
  });

  it('fails to start against an unreachable server with a message that hides the password', async () => {
    const port = await closedPort();
    const { dir, configPath } = configDir({
      kind: 'postgres',
      url: `postgres://pincer:hunter2-secret@127.0.0.1:${port}/pincer`,
      statementTimeoutMs: 2_000,
    });
    const failure = await start(dir, configPath).then(
      () => new Error('started'),
      (error: unknown) => error as Error,
    );
    expect(failure.message).toMatch(/PostgreSQL at postgres:\/\/pincer:\*\*\*@127\.0\.0\.1/);
    expect(failure.message).not.toContain('hunter2-secret');
  });
});
