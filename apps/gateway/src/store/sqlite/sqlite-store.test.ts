import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../../errors.js';
import { JOURNAL_MAX_OUTPUT_CHARS, PROCESS_LIST_TAIL_CHARS } from '../gateway-store.js';
import { describeGatewayStore } from '../store-behaviour.js';
import { MIGRATIONS } from './migrations.js';
import { createSqliteGatewayStore } from './sqlite-store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const freshFile = () => {
  const dir = mkdtempSync(join(tmpdir(), 'pincer-store-'));
  dirs.push(dir);
  return join(dir, 'pincer.db');
};

describeGatewayStore('SQLite', () => {
  const file = freshFile();
  const subject = {
    store: createSqliteGatewayStore(file),
    reopen() {
      subject.store.close();
      subject.store = createSqliteGatewayStore(file);
      return subject.store;
    },
  };
  return subject;
});

describe('the SQLite file', () => {
  it('migrates to the latest version in WAL mode', () => {
    const file = freshFile();
    createSqliteGatewayStore(file).close();
    const db = new BetterSqlite3(file);
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      db.close();
    }
  });

  it('lists sessions in their order through an index, not a sort of every row', () => {
    const file = freshFile();
    createSqliteGatewayStore(file).close();
    const db = new BetterSqlite3(file);
    try {
      const plan = db.prepare('EXPLAIN QUERY PLAN SELECT * FROM sessions ORDER BY updated_at DESC LIMIT 50').all() as Array<{
        detail: string;
      }>;
      expect(plan.map((step) => step.detail).join(' ')).not.toMatch(/TEMP B-TREE/);
    } finally {
      db.close();
    }
  });

  it('reads session pages (with their tie-break) and session-scoped process lists through indexes', () => {
    const file = freshFile();
    createSqliteGatewayStore(file).close();
    const db = new BetterSqlite3(file);
    const planOf = (sql: string) =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as Array<{ detail: string }>).map((step) => step.detail).join(' | ');
    try {
      for (const sql of [
        'SELECT * FROM sessions ORDER BY updated_at DESC, key DESC LIMIT 50',
        "SELECT * FROM sessions WHERE agent_id = 'main' ORDER BY updated_at DESC, key DESC LIMIT 50",
        "SELECT * FROM sessions WHERE (updated_at < 5 OR (updated_at = 5 AND key < 'k')) ORDER BY updated_at DESC, key DESC LIMIT 50",
      ]) {
        expect(planOf(sql), sql).not.toMatch(/TEMP B-TREE|SCAN sessions$/);
      }
      const scoped = planOf(
        "SELECT id FROM processes WHERE (session_key = 'k' OR scope_key = 'k') AND +status = 'running' ORDER BY started_at",
      );
      expect(scoped).toMatch(/processes_by_session_started/);
      expect(scoped).toMatch(/processes_by_scope_started/);
      expect(scoped).not.toMatch(/SCAN processes/);
    } finally {
      db.close();
    }
  });

  it('appends output without rewriting what is retained: one row per batch, the process row keeps only the list tail', () => {
    const file = freshFile();
    const store = createSqliteGatewayStore(file);
    const base = { pid: null, command: 'yes', cwd: '/', status: 'running', record: null, gatewayPid: null, startedAt: 1 };
    store.processes.start({ ...base, id: 'p1', scopeKey: 'agent:main:a', sessionKey: 'agent:main:a' });
    const batch = 'y\n'.repeat(5_000);
    for (let index = 0; index < 30; index++) store.processes.appendOutput('p1', batch);
    store.close();
    const db = new BetterSqlite3(file);
    try {
      const row = db.prepare('SELECT length(output) AS tail, output_chars AS retained FROM processes WHERE id = ?').get('p1');
      expect(row).toEqual({ tail: PROCESS_LIST_TAIL_CHARS, retained: JOURNAL_MAX_OUTPUT_CHARS });
      const chunks = db.prepare('SELECT length(text) AS chars FROM process_output WHERE process_id = ? ORDER BY seq').pluck().all('p1');
      // 300 000 chars written in 10 000-char batches: the 10 oldest are gone, the other 20 untouched.
      expect(chunks).toEqual(Array.from({ length: 20 }, () => batch.length));
    } finally {
      db.close();
    }
  });

  it('moves the output of a journal from before the chunk table into chunks, capped and marked truncated', () => {
    const file = freshFile();
    const db = new BetterSqlite3(file);
    db.exec(MIGRATIONS.slice(0, 4).join('\n'));
    db.pragma('user_version = 4');
    const insert = db.prepare(
      `INSERT INTO processes (id, scope_key, session_key, command, cwd, started_at, status, output, truncated)
       VALUES (?, 'agent:main:a', 'agent:main:a', 'seq', '/', ?, 'completed', ?, ?)`,
    );
    const long = Array.from({ length: 40_000 }, (_, index) => `line ${index}`).join('\n');
    insert.run('long', 1, long, 0);
    insert.run('short', 2, 'hello\n', 0);
    insert.run('silent', 3, '', 0);
    insert.run('cut', 4, 'tail of something bigger', 1);
    db.close();

    const store = createSqliteGatewayStore(file);
    try {
      expect(store.processes.get('long')).toMatchObject({ output: long.slice(-JOURNAL_MAX_OUTPUT_CHARS), truncated: true });
      expect(store.processes.get('short')).toMatchObject({ output: 'hello\n', truncated: false });
      expect(store.processes.get('silent')).toMatchObject({ output: '', truncated: false });
      expect(store.processes.get('cut')).toMatchObject({ output: 'tail of something bigger', truncated: true });
      expect(store.processes.list().map((row) => [row.id, row.output])).toEqual([
        ['long', long.slice(-PROCESS_LIST_TAIL_CHARS)],
        ['short', 'hello\n'],
        ['silent', ''],
        ['cut', 'tail of something bigger'],
      ]);
      store.processes.appendOutput('short', 'world\n');
      expect(store.processes.get('short')!.output).toBe('hello\nworld\n');
    } finally {
      store.close();
    }
  });

  it('refuses, with a typed error and no crash, a database whose -shm cannot be written (a directory in its place)', () => {
    const file = freshFile();
    const store = createSqliteGatewayStore(file);
    store.sessions.upsert({
      key: 'agent:main:kept',
      agentId: 'main',
      sessionId: 's',
      kind: 'direct',
      label: null,
      spawnedBy: null,
      spawnDepth: 0,
      channel: null,
      peerKind: null,
      peerId: null,
      now: 1,
    });
    store.close();
    expect(existsSync(`${file}-shm`)).toBe(false);
    const before = readFileSync(file);
    // Even root cannot create a file where a directory stands: SQLite can only read this index.
    mkdirSync(`${file}-shm`);
    let refusal: unknown;
    try {
      createSqliteGatewayStore(file).close();
    } catch (error) {
      refusal = error;
    }
    expect(GatewayError.isInstance(refusal)).toBe(true);
    expect(refusal).toMatchObject({ code: 'unavailable', message: expect.stringContaining(`${file} cannot be written`) });
    expect(readFileSync(file).equals(before)).toBe(true);
    // A fresh database in the same state is refused the same way (it cannot even be created).
    const fresh = freshFile();
    mkdirSync(`${fresh}-shm`);
    expect(() => createSqliteGatewayStore(fresh)).toThrow(/cannot be written/);
    // Once the -shm can be written again, the data is all there.
    rmSync(`${file}-shm`, { recursive: true });
    const reopened = createSqliteGatewayStore(file);
    try {
      expect(reopened.sessions.get('agent:main:kept')?.sessionId).toBe('s');
    } finally {
      reopened.close();
    }
  });
});
