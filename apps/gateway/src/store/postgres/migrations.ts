import type { SyncPostgresClient } from './sync-client.js';

/**
 * Ordered PostgreSQL schema migrations; index + 1 is the version recorded in `schema_migrations`.
 * Migration 1 is the SQLite schema's final state (after its 5 migrations) in PostgreSQL terms:
 * BIGINT epoch-ms columns, identity sequences where SQLite has AUTOINCREMENT (and, named `seq`,
 * where SQLite's lists break ties by rowid), `COLLATE "C"` on ordered keys (SQLite compares text
 * bytewise), JSON kept as TEXT (its text round-trips unchanged, NUL escaped), and free text that may hold
 * a NUL, which PostgreSQL TEXT refuses and SQLite keeps, as UTF-8 BYTEA: process output and
 * commands, transcript text, run messages, replies and errors. Two additions hold the store's invariants
 * across gateways: `processes.output_version` (the compare-and-swap of output appends) and a
 * partial unique index of running sub-agent runs per child session.
 */
export const POSTGRES_MIGRATIONS: ReadonlyArray<string> = [
  `
  CREATE TABLE sessions (
    key TEXT COLLATE "C" PRIMARY KEY,
    agent_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    label TEXT,
    spawned_by TEXT,
    spawn_depth INTEGER NOT NULL DEFAULT 0,
    channel TEXT,
    peer_kind TEXT,
    peer_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    last_run_id TEXT
  );
  CREATE INDEX sessions_by_updated_key ON sessions(updated_at, key);
  CREATE INDEX sessions_by_agent_updated_key ON sessions(agent_id, updated_at, key);
  CREATE INDEX sessions_by_agent_session_id ON sessions(agent_id, session_id);
  CREATE TABLE transcript (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_key TEXT NOT NULL,
    session_id TEXT NOT NULL,
    run_id TEXT,
    role TEXT NOT NULL,
    text BYTEA NOT NULL,
    message TEXT,
    created_at BIGINT NOT NULL
  );
  CREATE INDEX transcript_by_session ON transcript(session_key, seq);
  CREATE TABLE system_events (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    session_key TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
  );
  CREATE INDEX system_events_by_session ON system_events(session_key, seq);
  CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    seq BIGINT GENERATED ALWAYS AS IDENTITY,
    session_key TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    message BYTEA NOT NULL,
    reply BYTEA,
    error BYTEA,
    idempotency_key TEXT,
    created_at BIGINT NOT NULL,
    started_at BIGINT,
    ended_at BIGINT
  );
  CREATE INDEX runs_by_session ON runs(session_key, created_at);
  CREATE UNIQUE INDEX runs_by_session_idempotency ON runs(session_key, idempotency_key) WHERE idempotency_key IS NOT NULL;
  CREATE TABLE processes (
    id TEXT PRIMARY KEY,
    seq BIGINT GENERATED ALWAYS AS IDENTITY,
    pid INTEGER,
    scope_key TEXT NOT NULL,
    session_key TEXT,
    command BYTEA NOT NULL,
    cwd BYTEA NOT NULL,
    started_at BIGINT NOT NULL,
    ended_at BIGINT,
    status TEXT NOT NULL,
    exit_code INTEGER,
    signal TEXT,
    output BYTEA NOT NULL DEFAULT ''::bytea,
    truncated SMALLINT NOT NULL DEFAULT 0,
    record TEXT,
    gateway_pid INTEGER,
    output_chars BIGINT NOT NULL DEFAULT 0,
    output_version BIGINT NOT NULL DEFAULT 0
  );
  CREATE INDEX processes_by_status ON processes(status, started_at);
  CREATE INDEX processes_by_session_started ON processes(session_key, started_at);
  CREATE INDEX processes_by_scope_started ON processes(scope_key, started_at);
  CREATE TABLE process_output (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    process_id TEXT NOT NULL REFERENCES processes(id) ON DELETE CASCADE,
    chars INTEGER NOT NULL,
    text BYTEA NOT NULL
  );
  CREATE INDEX process_output_by_process ON process_output(process_id, seq);
  CREATE TABLE subagent_runs (
    run_id TEXT PRIMARY KEY,
    seq BIGINT GENERATED ALWAYS AS IDENTITY,
    child_session_key TEXT NOT NULL,
    requester_session_key TEXT NOT NULL,
    status TEXT NOT NULL,
    record TEXT NOT NULL,
    updated_at BIGINT NOT NULL
  );
  CREATE INDEX subagent_runs_by_child ON subagent_runs(child_session_key, updated_at);
  CREATE INDEX subagent_runs_by_requester ON subagent_runs(requester_session_key, status);
  CREATE UNIQUE INDEX subagent_runs_one_running_per_child ON subagent_runs(child_session_key) WHERE status = 'running';
  CREATE TABLE announcements (
    run_id TEXT PRIMARY KEY,
    requester_session_key TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    delivered_at BIGINT
  );
  CREATE TABLE cron_jobs (
    id TEXT COLLATE "C" PRIMARY KEY,
    owner_session_key TEXT,
    record TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    created_by TEXT
  );
  CREATE TABLE cron_runs (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id TEXT NOT NULL,
    record TEXT NOT NULL,
    created_at BIGINT NOT NULL
  );
  CREATE INDEX cron_runs_by_job ON cron_runs(job_id, seq);
  CREATE TABLE kv (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  CREATE TABLE credentials (
    id TEXT COLLATE "C" PRIMARY KEY,
    name TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    scope TEXT NOT NULL,
    capabilities TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT,
    last_used_at BIGINT
  );
  CREATE INDEX credentials_by_created ON credentials(created_at);
  CREATE TABLE audit_log (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at BIGINT NOT NULL,
    credential_id TEXT NOT NULL,
    source_address TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT,
    result TEXT NOT NULL,
    detail TEXT
  );
  CREATE INDEX audit_log_by_at ON audit_log(at);
  `,
  // 2: several gateways on one schema (cluster mode). Each node names itself in the connection
  // setting `pincer.node_id`; the rows it writes carry it by default (NULL for a single gateway).
  `
  CREATE TABLE nodes (
    id TEXT COLLATE "C" PRIMARY KEY,
    url TEXT NOT NULL,
    state TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    lease_until BIGINT NOT NULL,
    reaped_by TEXT,
    backend_pid INTEGER
  );
  ALTER TABLE processes ADD COLUMN owner_node TEXT DEFAULT NULLIF(current_setting('pincer.node_id', true), '');
  ALTER TABLE runs ADD COLUMN node_id TEXT DEFAULT NULLIF(current_setting('pincer.node_id', true), '');
  ALTER TABLE system_events ADD COLUMN node_id TEXT DEFAULT NULLIF(current_setting('pincer.node_id', true), '');
  ALTER TABLE subagent_runs ADD COLUMN node_id TEXT DEFAULT NULLIF(current_setting('pincer.node_id', true), '');
  CREATE INDEX processes_by_owner_status ON processes(owner_node, status);
  CREATE INDEX runs_by_node_status ON runs(node_id, status);
  CREATE INDEX system_events_by_node ON system_events(node_id, seq);
  CREATE TABLE cron_slots (
    job_id TEXT NOT NULL,
    slot BIGINT NOT NULL,
    node_id TEXT NOT NULL,
    claimed_at BIGINT NOT NULL,
    PRIMARY KEY (job_id, slot)
  );
  `,
];

/**
 * The advisory-lock class every migration transaction takes (with the schema's hash as the second
 * key): gateways opening the same schema at once migrate one after another, never twice.
 */
export const POSTGRES_MIGRATION_LOCK = 0x50494e43; // "PINC"

/**
 * Apply the migrations newer than the schema's recorded version, one transaction each; every
 * transaction first takes the migration lock, then reads the version again (another gateway may
 * have migrated meanwhile). Returns the resulting version.
 */
export function migratePostgres(client: SyncPostgresClient, migrations: ReadonlyArray<string> = POSTGRES_MIGRATIONS): number {
  // One pass per migration, plus the pass that finds nothing left to do.
  for (let pass = 0; pass <= migrations.length; pass++) {
    client.query('BEGIN');
    try {
      client.query("SELECT pg_advisory_xact_lock($1, hashtext(COALESCE(current_schema(), '')))", [POSTGRES_MIGRATION_LOCK]);
      client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
      const current = Number(
        client.query<{ version: number }>('SELECT COALESCE(MAX(version), 0) AS version FROM schema_migrations').rows[0]?.version ?? 0,
      );
      if (current >= migrations.length) {
        client.query('COMMIT');
        return current;
      }
      client.exec(migrations[current]!);
      client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [current + 1, Date.now()]);
      client.query('COMMIT');
    } catch (error) {
      try {
        client.query('ROLLBACK');
      } catch {
        // the connection is gone; the server rolls back
      }
      throw error;
    }
  }
  return migrations.length;
}
