import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import { GatewayError } from '../../errors.js';
import { JOURNAL_MAX_OUTPUT_CHARS, PROCESS_LIST_TAIL_CHARS } from '../gateway-store.js';

/** Ordered schema migrations; index + 1 is the `user_version` after applying it. */
export const MIGRATIONS: ReadonlyArray<string> = [
  // 1: core tables
  `
  CREATE TABLE sessions (
    key TEXT PRIMARY KEY,
    agent_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    label TEXT,
    spawned_by TEXT,
    spawn_depth INTEGER NOT NULL DEFAULT 0,
    channel TEXT,
    peer_kind TEXT,
    peer_id TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    last_run_id TEXT
  );
  CREATE TABLE transcript (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    session_key TEXT NOT NULL,
    session_id TEXT NOT NULL,
    run_id TEXT,
    role TEXT NOT NULL,
    text TEXT NOT NULL,
    message TEXT,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX transcript_by_session ON transcript(session_key, seq);
  CREATE TABLE system_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    session_key TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX system_events_by_session ON system_events(session_key, seq);
  CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    session_key TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    message TEXT NOT NULL,
    reply TEXT,
    error TEXT,
    idempotency_key TEXT,
    created_at INTEGER NOT NULL,
    started_at INTEGER,
    ended_at INTEGER
  );
  CREATE INDEX runs_by_session ON runs(session_key, created_at);
  CREATE UNIQUE INDEX runs_by_idempotency ON runs(idempotency_key) WHERE idempotency_key IS NOT NULL;
  CREATE TABLE processes (
    id TEXT PRIMARY KEY,
    pid INTEGER,
    scope_key TEXT NOT NULL,
    session_key TEXT,
    command TEXT NOT NULL,
    cwd TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    ended_at INTEGER,
    status TEXT NOT NULL,
    exit_code INTEGER,
    signal TEXT,
    output TEXT NOT NULL DEFAULT '',
    truncated INTEGER NOT NULL DEFAULT 0,
    record TEXT,
    gateway_pid INTEGER
  );
  CREATE TABLE subagent_runs (
    run_id TEXT PRIMARY KEY,
    child_session_key TEXT NOT NULL,
    requester_session_key TEXT NOT NULL,
    status TEXT NOT NULL,
    record TEXT NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE TABLE announcements (
    run_id TEXT PRIMARY KEY,
    requester_session_key TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    delivered_at INTEGER
  );
  CREATE TABLE cron_jobs (
    id TEXT PRIMARY KEY,
    owner_session_key TEXT,
    record TEXT NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE TABLE cron_runs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id TEXT NOT NULL,
    record TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX cron_runs_by_job ON cron_runs(job_id, seq);
  CREATE TABLE kv (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  `,
  // 2: idempotency keys are scoped per session (another session's key never collides or leaks)
  `
  DROP INDEX runs_by_idempotency;
  CREATE UNIQUE INDEX runs_by_session_idempotency ON runs(session_key, idempotency_key) WHERE idempotency_key IS NOT NULL;
  `,
  // 3: indexes for the list orders and the session-scoped lookups (sessions list, turn targets by
  // session id, session-scoped process lists, sub-agent lookups by child and requester)
  `
  CREATE INDEX sessions_by_updated ON sessions(updated_at);
  CREATE INDEX sessions_by_agent_updated ON sessions(agent_id, updated_at);
  CREATE INDEX sessions_by_agent_session_id ON sessions(agent_id, session_id);
  CREATE INDEX processes_by_session ON processes(session_key);
  CREATE INDEX processes_by_scope ON processes(scope_key);
  CREATE INDEX processes_by_status ON processes(status, started_at);
  CREATE INDEX subagent_runs_by_child ON subagent_runs(child_session_key, updated_at);
  CREATE INDEX subagent_runs_by_requester ON subagent_runs(requester_session_key, status);
  `,
  // 4: scoped tokens (hashed, never the secret), the audit log, and the credential that created a cron job
  `
  CREATE TABLE credentials (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    scope TEXT NOT NULL,
    capabilities TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER,
    last_used_at INTEGER
  );
  CREATE INDEX credentials_by_created ON credentials(created_at);
  CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    credential_id TEXT NOT NULL,
    source_address TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT,
    result TEXT NOT NULL,
    detail TEXT
  );
  CREATE INDEX audit_log_by_at ON audit_log(at);
  ALTER TABLE cron_jobs ADD COLUMN created_by TEXT;
  `,
  // 5: append-only process output. Each journaled batch is a row of process_output; processes.output
  // keeps only the list tail and output_chars the retained count. Existing output moves over as one
  // chunk per process (capped: its oldest chars go, and the row is marked truncated). List orders
  // get indexes that cover their tie-breaks and the session-scoped process lists their order.
  `
  CREATE TABLE process_output (
    seq INTEGER PRIMARY KEY,
    process_id TEXT NOT NULL REFERENCES processes(id) ON DELETE CASCADE,
    chars INTEGER NOT NULL,
    text TEXT NOT NULL
  );
  CREATE INDEX process_output_by_process ON process_output(process_id, seq);
  ALTER TABLE processes ADD COLUMN output_chars INTEGER NOT NULL DEFAULT 0;
  INSERT INTO process_output (process_id, chars, text)
    SELECT id, min(length(output), ${JOURNAL_MAX_OUTPUT_CHARS}), substr(output, -${JOURNAL_MAX_OUTPUT_CHARS})
    FROM processes WHERE output != '' ORDER BY started_at, id;
  UPDATE processes SET
    truncated = CASE WHEN length(output) > ${JOURNAL_MAX_OUTPUT_CHARS} THEN 1 ELSE truncated END,
    output_chars = min(length(output), ${JOURNAL_MAX_OUTPUT_CHARS}),
    output = substr(output, -${PROCESS_LIST_TAIL_CHARS})
    WHERE output != '';
  DROP INDEX sessions_by_updated;
  DROP INDEX sessions_by_agent_updated;
  DROP INDEX processes_by_session;
  DROP INDEX processes_by_scope;
  CREATE INDEX sessions_by_updated_key ON sessions(updated_at, key);
  CREATE INDEX sessions_by_agent_updated_key ON sessions(agent_id, updated_at, key);
  CREATE INDEX processes_by_session_started ON processes(session_key, started_at);
  CREATE INDEX processes_by_scope_started ON processes(scope_key, started_at);
  `,
];

/**
 * Open (or create) the database in WAL mode and apply pending migrations in one transaction each.
 * The database must be writable, its WAL index (`-shm`) included: when SQLite cannot write the
 * `-shm` it falls back to a read-only index, so a write is tried here (and rolled back) and a
 * database that refuses it is a typed `unavailable` error at open, not a gateway that starts and
 * then fails every write.
 */
export function openDatabase(file: string): Database {
  const db = new BetterSqlite3(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db);
    db.exec('BEGIN IMMEDIATE; ROLLBACK');
  } catch (error) {
    db.close();
    const code = String((error as { code?: unknown }).code ?? '');
    if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN')) {
      throw new GatewayError(
        'unavailable',
        `${file} cannot be written (${code}): the state dir, the database and its -wal and -shm must be writable regular files of the gateway's user`,
        { field: file, cause: error },
      );
    }
    throw error;
  }
  return db;
}

/** Apply migrations newer than the database's `user_version`. Returns the resulting version. */
export function migrate(db: Database): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let version = current; version < MIGRATIONS.length; version++) {
    const sql = MIGRATIONS[version]!;
    db.transaction(() => {
      db.exec(sql);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
  return db.pragma('user_version', { simple: true }) as number;
}
