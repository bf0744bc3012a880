import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { GatewayError } from '../../errors.js';
import type { GatewayStore, SessionUpsert } from '../gateway-store.js';
import { describeGatewayStore } from '../store-behaviour.js';
import { POSTGRES_MIGRATION_LOCK, POSTGRES_MIGRATIONS } from './migrations.js';
import { createPostgresGatewayStore } from './postgres-store.js';
import { createTestSchemas } from './test-schemas.js';

const url = inject('postgresUrl');
const schemas = createTestSchemas(url);
afterAll(() => schemas.dropAll());

const session = (key: string, now = 1): SessionUpsert => ({
  key,
  agentId: 'main',
  sessionId: `sid-${key}`,
  kind: 'direct',
  label: null,
  spawnedBy: null,
  spawnDepth: 0,
  channel: null,
  peerKind: null,
  peerId: null,
  now,
});

describeGatewayStore('PostgreSQL', () => {
  const schema = schemas.fresh();
  const subject = {
    store: createPostgresGatewayStore(url, { schema }),
    reopen() {
      subject.store.close();
      subject.store = createPostgresGatewayStore(url, { schema });
      return subject.store;
    },
  };
  return subject;
});

/** Writes to every table, for the rollback tests. */
function writeEverything(store: GatewayStore, tag: string): void {
  store.sessions.upsert(session(`agent:main:${tag}`));
  store.transcripts.append({
    sessionKey: `agent:main:${tag}`,
    sessionId: 's',
    runId: null,
    role: 'user',
    text: 'hi',
    message: { tag },
    createdAt: 1,
  });
  store.systemEvents.append(`agent:main:${tag}`, `event-${tag}`, { tag }, 1);
  store.runs.insert({
    id: `run-${tag}`,
    sessionKey: `agent:main:${tag}`,
    agentId: 'main',
    kind: 'user',
    status: 'queued',
    message: 'hi',
    reply: null,
    error: null,
    idempotencyKey: tag,
    createdAt: 1,
    startedAt: null,
    endedAt: null,
  });
  store.processes.start({
    id: `process-${tag}`,
    pid: 1,
    scopeKey: `agent:main:${tag}`,
    sessionKey: `agent:main:${tag}`,
    command: 'true',
    cwd: '/',
    startedAt: 1,
    status: 'running',
    record: null,
    gatewayPid: 1,
  });
  store.processes.appendOutput(`process-${tag}`, 'output');
  store.announcements.put({
    runId: `run-${tag}`,
    requesterSessionKey: 'x',
    payload: {},
    state: 'pending',
    attempts: 0,
    createdAt: 1,
    deliveredAt: null,
  });
  store.cron.put(`job-${tag}`, `agent:main:${tag}`, { tag }, 1);
  store.cron.appendRun(`job-${tag}`, { tag }, 1);
  store.audit.append({
    at: 1,
    credentialId: 'operator',
    sourceAddress: '::1',
    action: 'cron.run',
    target: tag,
    result: 'ok',
    detail: null,
  });
}

/** Rows in every table of `schema`, read through a connection of its own. */
function rowsPerTable(schema: string): Record<string, number> {
  const client = schemas.connect(schema);
  const tables = [
    'sessions',
    'transcript',
    'system_events',
    'runs',
    'processes',
    'process_output',
    'announcements',
    'cron_jobs',
    'cron_runs',
    'audit_log',
  ];
  const counts = client.query<Record<string, number>>(
    `SELECT ${tables.map((table) => `(SELECT COUNT(*) FROM ${table}) AS ${table}`).join(', ')}`,
  ).rows[0]!;
  client.close();
  return counts;
}

describe('the PostgreSQL schema', () => {
  it('records each migration once, and a reopen migrates nothing and keeps the data', () => {
    const schema = schemas.fresh();
    const first = createPostgresGatewayStore(url, { schema });
    first.sessions.upsert(session('agent:main:kept'));
    first.close();
    const reopened = createPostgresGatewayStore(url, { schema });
    try {
      expect(reopened.sessions.get('agent:main:kept')?.sessionId).toBe('sid-agent:main:kept');
    } finally {
      reopened.close();
    }
    const client = schemas.connect(schema);
    const versions = client.query<{ version: number; applied_at: number }>(
      'SELECT version, applied_at FROM schema_migrations ORDER BY version',
    );
    expect(versions.rows.map((row) => row.version)).toEqual(POSTGRES_MIGRATIONS.map((_, index) => index + 1));
    expect(versions.rows.every((row) => typeof row.applied_at === 'number' && row.applied_at > 0)).toBe(true);
    client.close();
  });

  it('serves two stores open on one schema: each sees what the other wrote', () => {
    const schema = schemas.fresh();
    const left = createPostgresGatewayStore(url, { schema });
    const right = createPostgresGatewayStore(url, { schema });
    try {
      left.sessions.upsert(session('agent:main:left'));
      right.sessions.upsert(session('agent:main:right', 2));
      expect(left.sessions.list().map((row) => row.key)).toEqual(['agent:main:right', 'agent:main:left']);
      const base = {
        pid: null,
        scopeKey: 'agent:main:x',
        sessionKey: null,
        command: 'yes',
        cwd: '/',
        status: 'running',
        record: null,
        gatewayPid: null,
      };
      left.processes.start({ ...base, id: 'shared', startedAt: 1 });
      // Alternating appends through two connections: each reads the other's latest state.
      for (let index = 0; index < 6; index++) (index % 2 === 0 ? left : right).processes.appendOutput('shared', `${index};`);
      expect(right.processes.get('shared')!.output).toBe('0;1;2;3;4;5;');
      // One running sub-agent run per child, whichever store creates it.
      const record = {
        runId: 'r1',
        childSessionKey: 'agent:main:subagent:x',
        requesterSessionKey: 'agent:main:main',
        status: 'running',
        createdAt: 1,
        announcement: { state: 'pending' },
      } as unknown as Parameters<GatewayStore['subagentRuns']['create']>[0];
      expect(left.subagentRuns.create(record)).toBeUndefined();
      expect(() => right.subagentRuns.create({ ...record, runId: 'r2' })).toThrow(/already has a running run/);
      expect(() => right.subagentRuns.create(record)).toThrow(/already exists/);
      const finish = { status: 'ok', endedAt: 2, announcement: { state: 'pending' } } as never;
      expect([right.subagentRuns.markFinished('r1', finish), left.subagentRuns.markFinished('r1', finish)]).toEqual([true, false]);
    } finally {
      left.close();
      right.close();
    }
  });

  it('migrates once when several gateways open a fresh schema at the same moment (the migration lock)', async () => {
    const schema = schemas.fresh();
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    const children: Array<Promise<{ code: number | null; stderr: string }>> = [];
    try {
      // Hold the lock the opens take, so that all of them are waiting on it when it is released.
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [POSTGRES_MIGRATION_LOCK, schema]);
      const storeModule = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), 'postgres-store.ts')).href;
      // CommonJS eval (the connection worker is CommonJS eval too, and inherits the flags).
      const source = `(async () => {
        const { createPostgresGatewayStore } = await import(process.env.STORE_MODULE);
        const store = createPostgresGatewayStore(process.env.STORE_URL, { schema: process.env.STORE_SCHEMA });
        store.sessions.upsert({ key: process.env.SESSION_KEY, agentId: 'main', sessionId: 's', kind: 'direct', label: null,
          spawnedBy: null, spawnDepth: 0, channel: null, peerKind: null, peerId: null, now: 1 });
        store.close();
      })().catch((error) => { console.error(error); process.exit(1); });`;
      for (let index = 0; index < 3; index++) {
        const child = spawn(process.execPath, ['--import', 'tsx', '-e', source], {
          cwd: dirname(fileURLToPath(import.meta.url)),
          env: {
            PATH: process.env.PATH,
            STORE_MODULE: storeModule,
            STORE_URL: url,
            STORE_SCHEMA: schema,
            SESSION_KEY: `agent:main:node-${index}`,
          },
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let stderr = '';
        child.stderr.on('data', (data: Buffer) => {
          stderr += data.toString();
        });
        children.push(new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr }))));
      }
      const waitingDeadline = Date.now() + 20_000;
      let waiting = 0;
      while (waiting < 3 && Date.now() < waitingDeadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        const result = await holder.query<{ waiting: string }>(
          "SELECT COUNT(*) AS waiting FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND classid = $1",
          [POSTGRES_MIGRATION_LOCK],
        );
        waiting = Number(result.rows[0]?.waiting ?? 0);
      }
      if (waiting < 3) await holder.query('COMMIT');
      expect({ waiting, exited: waiting < 3 ? await Promise.all(children) : [] }).toEqual({ waiting: 3, exited: [] });
      await holder.query('COMMIT');
      const exits = await Promise.all(children);
      expect(exits).toEqual([0, 1, 2].map(() => ({ code: 0, stderr: '' })));
      const client = schemas.connect(schema);
      expect(client.query('SELECT version FROM schema_migrations ORDER BY version').rows).toEqual(
        POSTGRES_MIGRATIONS.map((_, index) => ({ version: index + 1 })),
      );
      expect(client.query('SELECT key FROM sessions ORDER BY key').rows.map((row) => row.key)).toEqual([
        'agent:main:node-0',
        'agent:main:node-1',
        'agent:main:node-2',
      ]);
      client.close();
    } finally {
      await holder.end();
      await Promise.all(children);
    }
  });

  it('refuses a schema name that is not a plain identifier, before connecting', () => {
    let refusal: unknown;
    try {
      createPostgresGatewayStore(url, { schema: 'public; DROP TABLE sessions' });
    } catch (error) {
      refusal = error;
    }
    expect(GatewayError.isInstance(refusal)).toBe(true);
    expect(refusal).toMatchObject({ code: 'invalid_config' });
  });

  it('answers a server that is not there with a typed unavailable error', () => {
    expect(() => createPostgresGatewayStore('postgres://nobody:secret@127.0.0.1:1/none', { timeoutMs: 2_000 })).toThrow(
      expect.objectContaining({ code: 'unavailable', message: expect.not.stringContaining('secret') }),
    );
  });
});

describe('PostgreSQL transactions', () => {
  it('leave nothing behind in any table when their function throws', () => {
    const schema = schemas.fresh();
    const store = createPostgresGatewayStore(url, { schema });
    try {
      expect(() =>
        store.transaction(() => {
          writeEverything(store, 'doomed');
          throw new Error('boom');
        }),
      ).toThrow('boom');
      expect(Object.values(rowsPerTable(schema))).toEqual(Array.from({ length: 10 }, () => 0));
      store.transaction(() => writeEverything(store, 'kept'));
      expect(Object.values(rowsPerTable(schema))).toEqual(Array.from({ length: 10 }, () => 1));
    } finally {
      store.close();
    }
  });

  it('nest as savepoints: a nested throw undoes only its own writes, the outer transaction commits the rest', () => {
    const schema = schemas.fresh();
    const store = createPostgresGatewayStore(url, { schema });
    try {
      store.transaction(() => {
        store.sessions.upsert(session('agent:main:outer'));
        expect(() =>
          store.transaction(() => {
            store.sessions.upsert(session('agent:main:inner'));
            throw new Error('inner');
          }),
        ).toThrow('inner');
        store.transaction(() => store.sessions.upsert(session('agent:main:second')));
      });
      expect(store.sessions.list().map((row) => row.key)).toEqual(['agent:main:second', 'agent:main:outer']);
    } finally {
      store.close();
    }
  });

  it('refuse a taken process id or idempotency key without aborting the transaction around it', () => {
    const schema = schemas.fresh();
    const store = createPostgresGatewayStore(url, { schema });
    try {
      store.transaction(() => {
        writeEverything(store, 'first');
        expect(() => writeEverything(store, 'first')).toThrow(/already/);
        store.sessions.upsert(session('agent:main:after'));
      });
      expect(store.sessions.get('agent:main:after')).toBeDefined();
      expect(store.processes.get('process-first')!.output).toBe('output');
    } finally {
      store.close();
    }
  });

  it('commit nothing when a statement inside failed and the function went on', () => {
    const schema = schemas.fresh();
    const store = createPostgresGatewayStore(url, { schema });
    try {
      expect(() =>
        store.transaction(() => {
          store.sessions.upsert(session('agent:main:doomed'));
          // A NUL in a text column is refused by PostgreSQL; the caller swallows the error.
          expect(() => store.sessions.upsert(session('agent:main:\u0000'))).toThrow();
        }),
      ).toThrow(expect.objectContaining({ code: 'conflict' }));
      expect(store.sessions.count()).toBe(0);
    } finally {
      store.close();
    }
  });
});

describe('PostgreSQL free text', () => {
  it('keeps a NUL (refused by PostgreSQL text, kept by SQLite) in transcript text, run messages, replies and errors, and commands', () => {
    const store = createPostgresGatewayStore(url, { schema: schemas.fresh() });
    try {
      const text = 'before\u0000after 😀';
      store.transcripts.append({ sessionKey: 'k', sessionId: 's', runId: null, role: 'tool', text, message: { text }, createdAt: 1 });
      expect(store.transcripts.list('k')[0]).toMatchObject({ text, message: { text } });
      store.runs.insert({
        id: 'r',
        sessionKey: 'k',
        agentId: 'main',
        kind: 'user',
        status: 'queued',
        message: text,
        reply: null,
        error: null,
        idempotencyKey: null,
        createdAt: 1,
        startedAt: null,
        endedAt: null,
      });
      store.runs.update('r', { status: 'error', reply: `${text}!`, error: `${text}?` });
      expect(store.runs.get('r')).toMatchObject({ message: text, reply: `${text}!`, error: `${text}?` });
      store.runs.update('r', { startedAt: 2 });
      expect(store.runs.listByStatus(['error'])[0]).toMatchObject({ reply: `${text}!`, startedAt: 2 });
      const command = 'printf "a\u0000b"';
      store.processes.start({
        id: 'p',
        pid: null,
        scopeKey: 'k',
        sessionKey: 'k',
        command,
        cwd: '/tmp',
        startedAt: 1,
        status: 'running',
        record: { command },
        gatewayPid: null,
      });
      expect(store.processes.get('p')).toMatchObject({ command, cwd: '/tmp', record: { command } });
    } finally {
      store.close();
    }
  });
});

describe('PostgreSQL process output', () => {
  it('keeps output bytes PostgreSQL text would refuse (NUL) and astral chars, in the list tail too', () => {
    const schema = schemas.fresh();
    const store = createPostgresGatewayStore(url, { schema });
    try {
      store.processes.start({
        id: 'p',
        pid: 1,
        scopeKey: 'k',
        sessionKey: 'k',
        command: 'x',
        cwd: '/',
        startedAt: 1,
        status: 'running',
        record: null,
        gatewayPid: 1,
      });
      store.processes.appendOutput('p', 'a\u0000b😀');
      store.processes.appendOutput('p', '\u0000end');
      expect(store.processes.get('p')!.output).toBe('a\u0000b😀\u0000end');
      expect(store.processes.list()[0]!.output).toBe('a\u0000b😀\u0000end');
      store.processes.start({
        id: 'q',
        pid: 1,
        scopeKey: 'k',
        sessionKey: 'k',
        command: 'x',
        cwd: '/',
        startedAt: 2,
        status: 'running',
        record: null,
        gatewayPid: 1,
      });
      store.processes.exit('q', { status: 'failed', exitCode: 1, signal: null, endedAt: 3, tail: 'bye\u0000' });
      expect(store.processes.get('q')).toMatchObject({ output: 'bye\u0000', status: 'failed', endedAt: 3 });
    } finally {
      store.close();
    }
  });
});
