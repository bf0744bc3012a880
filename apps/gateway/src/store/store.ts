import type { Database as Db } from 'better-sqlite3';
import { openDatabase } from './db.js';

/** Session row. */
export interface SessionRecord {
  key: string;
  agentId: string;
  sessionId: string;
  kind: string;
  label: string | null;
  spawnedBy: string | null;
  spawnDepth: number;
  channel: string | null;
  peerKind: string | null;
  peerId: string | null;
  createdAt: number;
  updatedAt: number;
  lastRunId: string | null;
}

/** One transcript entry. `message` is the AI SDK ModelMessage JSON when there is one. */
export interface TranscriptEntry {
  seq: number;
  sessionKey: string;
  sessionId: string;
  runId: string | null;
  role: 'user' | 'assistant' | 'tool' | 'system';
  text: string;
  message: unknown;
  createdAt: number;
}

/** Agent run status. */
export type RunStatus = 'queued' | 'running' | 'ok' | 'error' | 'timeout';
/** Why a run happened. */
export type RunKind = 'user' | 'heartbeat' | 'subagent' | 'cron' | 'inbound';

/** Run row. */
export interface RunRecord {
  id: string;
  sessionKey: string;
  agentId: string;
  kind: RunKind;
  status: RunStatus;
  message: string;
  reply: string | null;
  error: string | null;
  idempotencyKey: string | null;
  createdAt: number;
  startedAt: number | null;
  endedAt: number | null;
}

/** Journal row of a process. */
export interface ProcessRecord {
  id: string;
  pid: number | null;
  scopeKey: string;
  sessionKey: string | null;
  command: string;
  cwd: string;
  startedAt: number;
  endedAt: number | null;
  status: string;
  exitCode: number | null;
  signal: string | null;
  output: string;
  truncated: boolean;
  record: unknown;
  gatewayPid: number | null;
}

/** Pending/delivered sub-agent announcement. */
export interface AnnouncementRecord {
  runId: string;
  requesterSessionKey: string;
  payload: unknown;
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  createdAt: number;
  deliveredAt: number | null;
}

/** Finished processes kept in the journal (newest first); older rows are pruned at startup. */
export const JOURNAL_MAX_FINISHED = 1000;

/** Max retained output per journaled process (chars). */
export const JOURNAL_MAX_OUTPUT_CHARS = 200_000;

type Row = Record<string, unknown>;
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const json = (v: unknown): unknown => (typeof v === 'string' ? JSON.parse(v) : null);

function toSession(r: Row): SessionRecord {
  return {
    key: String(r.key),
    agentId: String(r.agent_id),
    sessionId: String(r.session_id),
    kind: String(r.kind),
    label: str(r.label),
    spawnedBy: str(r.spawned_by),
    spawnDepth: Number(r.spawn_depth ?? 0),
    channel: str(r.channel),
    peerKind: str(r.peer_kind),
    peerId: str(r.peer_id),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    lastRunId: str(r.last_run_id),
  };
}

function toRun(r: Row): RunRecord {
  return {
    id: String(r.id),
    sessionKey: String(r.session_key),
    agentId: String(r.agent_id),
    kind: String(r.kind) as RunKind,
    status: String(r.status) as RunStatus,
    message: String(r.message),
    reply: str(r.reply),
    error: str(r.error),
    idempotencyKey: str(r.idempotency_key),
    createdAt: Number(r.created_at),
    startedAt: num(r.started_at),
    endedAt: num(r.ended_at),
  };
}

/** Chars of retained output `listProcesses` returns per process (the snapshot tail size). */
export const PROCESS_LIST_TAIL_CHARS = 2_000;
const PROCESS_SUMMARY_COLUMNS = `id, pid, scope_key, session_key, command, cwd, started_at, ended_at, status, exit_code, signal,
  substr(output, -${PROCESS_LIST_TAIL_CHARS}) AS output, truncated, record, gateway_pid`;

function toProcess(r: Row): ProcessRecord {
  return {
    id: String(r.id),
    pid: num(r.pid),
    scopeKey: String(r.scope_key),
    sessionKey: str(r.session_key),
    command: String(r.command),
    cwd: String(r.cwd),
    startedAt: Number(r.started_at),
    endedAt: num(r.ended_at),
    status: String(r.status),
    exitCode: num(r.exit_code),
    signal: str(r.signal),
    output: String(r.output ?? ''),
    truncated: Number(r.truncated) === 1,
    record: json(r.record),
    gatewayPid: num(r.gateway_pid),
  };
}

/**
 * The gateway's SQLite store. Every method is synchronous (better-sqlite3) and each
 * mutation is its own transaction, so a SIGKILL never leaves a half-written row.
 */
export interface GatewayStore {
  readonly db: Db;
  // sessions
  getSession(key: string): SessionRecord | undefined;
  listSessions(filter?: { agentId?: string; limit?: number }): SessionRecord[];
  /** The session of `agentId` whose current session id is `sessionId` (most recently updated), if any. */
  findSessionBySessionId(agentId: string, sessionId: string): SessionRecord | undefined;
  upsertSession(s: Omit<SessionRecord, 'createdAt' | 'updatedAt' | 'lastRunId'> & { now: number }): SessionRecord;
  touchSession(key: string, now: number, lastRunId?: string): void;
  resetSession(key: string, newSessionId: string, now: number): void;
  deleteSession(key: string): void;
  // transcript
  appendTranscript(e: Omit<TranscriptEntry, 'seq'>): number;
  transcript(key: string, opts?: { sessionId?: string; afterSeq?: number; limit?: number }): TranscriptEntry[];
  // system events (durable queue backing)
  eventsAll(): Array<{ sessionKey: string; body: unknown }>;
  eventsAppend(sessionKey: string, id: string, body: unknown, now: number): void;
  eventsRemove(sessionKey: string, ids: ReadonlyArray<string>): void;
  eventsReplace(sessionKey: string, bodies: ReadonlyArray<{ id: string; body: unknown }>, now: number): void;
  eventsCount(sessionKey?: string): number;
  // runs
  insertRun(r: RunRecord): void;
  updateRun(id: string, patch: Partial<Pick<RunRecord, 'status' | 'reply' | 'error' | 'startedAt' | 'endedAt'>>): void;
  getRun(id: string): RunRecord | undefined;
  /** The run created with `key` in `sessionKey` (idempotency keys are scoped per session). */
  getRunByIdempotencyKey(key: string, sessionKey: string): RunRecord | undefined;
  listRunsByStatus(statuses: ReadonlyArray<RunStatus>): RunRecord[];
  // processes
  journalStart(p: Omit<ProcessRecord, 'output' | 'truncated' | 'endedAt' | 'exitCode' | 'signal'>): void;
  journalOutput(id: string, chunk: string): void;
  journalExit(id: string, patch: { status: string; exitCode: number | null; signal: string | null; endedAt: number; tail?: string; truncated?: boolean }): void;
  getProcess(id: string): ProcessRecord | undefined;
  /**
   * Journaled processes, oldest first. `output` holds only the last `PROCESS_LIST_TAIL_CHARS`
   * (2 000) chars of each: listing must not read every row's retained output (up to 200 000
   * chars each). Use `getProcess` for one process's full output.
   */
  listProcesses(filter?: { status?: 'running' | 'finished' }): ProcessRecord[];
  /** Forget all but the newest `keep` finished processes. Returns rows removed. */
  pruneProcesses(keep: number): number;
  // sub-agent runs (opaque records owned by subagent-spawn)
  subagentPut(runId: string, childSessionKey: string, requesterSessionKey: string, status: string, record: unknown, now: number): void;
  subagentGet(runId: string): unknown;
  subagentAll(): unknown[];
  // announcements
  announcementPut(a: AnnouncementRecord): boolean;
  announcementMark(runId: string, state: AnnouncementRecord['state'], now: number): void;
  announcementGet(runId: string): AnnouncementRecord | undefined;
  announcementsPending(): AnnouncementRecord[];
  // cron
  cronPut(id: string, ownerSessionKey: string | null, record: unknown, now: number): void;
  cronGet(id: string): { id: string; ownerSessionKey: string | null; record: unknown } | undefined;
  cronAll(): Array<{ id: string; ownerSessionKey: string | null; record: unknown }>;
  cronDelete(id: string): void;
  cronRunAppend(jobId: string, record: unknown, now: number): void;
  cronRuns(jobId: string, limit?: number): unknown[];
  // kv
  kvGet(key: string): string | undefined;
  kvSet(key: string, value: string): void;
  close(): void;
}

/** Open the store at `file` (migrating it) and return the typed accessors. */
export function createGatewayStore(file: string): GatewayStore {
  const db = openDatabase(file);
  const stmt = <T extends unknown[]>(sql: string) => {
    const s = db.prepare(sql);
    return {
      run: (...a: T) => s.run(...a),
      get: (...a: T) => s.get(...a) as Row | undefined,
      all: (...a: T) => s.all(...a) as Row[],
    };
  };
  const q = {
    getSession: stmt<[string]>('SELECT * FROM sessions WHERE key = ?'),
    upsertSession: stmt<unknown[]>(
      `INSERT INTO sessions (key, agent_id, session_id, kind, label, spawned_by, spawn_depth, channel, peer_kind, peer_id, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(key) DO UPDATE SET updated_at = excluded.updated_at,
         label = COALESCE(excluded.label, sessions.label),
         channel = COALESCE(excluded.channel, sessions.channel),
         peer_kind = COALESCE(excluded.peer_kind, sessions.peer_kind),
         peer_id = COALESCE(excluded.peer_id, sessions.peer_id)`,
    ),
    touch: stmt<[number, string | null, string]>(
      'UPDATE sessions SET updated_at = ?, last_run_id = COALESCE(?, last_run_id) WHERE key = ?',
    ),
    reset: stmt<[string, number, string]>('UPDATE sessions SET session_id = ?, updated_at = ? WHERE key = ?'),
    delSession: stmt<[string]>('DELETE FROM sessions WHERE key = ?'),
    delTranscript: stmt<[string]>('DELETE FROM transcript WHERE session_key = ?'),
    delEvents: stmt<[string]>('DELETE FROM system_events WHERE session_key = ?'),
    appendT: stmt<unknown[]>(
      'INSERT INTO transcript (session_key, session_id, run_id, role, text, message, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    evAll: stmt<[]>('SELECT session_key, body FROM system_events ORDER BY seq'),
    evAppend: stmt<[string, string, string, number]>(
      'INSERT OR REPLACE INTO system_events (id, session_key, body, created_at) VALUES (?, ?, ?, ?)',
    ),
    evRemove: stmt<[string, string]>('DELETE FROM system_events WHERE session_key = ? AND id = ?'),
    evCountAll: stmt<[]>('SELECT COUNT(*) AS n FROM system_events'),
    evCount: stmt<[string]>('SELECT COUNT(*) AS n FROM system_events WHERE session_key = ?'),
    insRun: stmt<unknown[]>(
      `INSERT INTO runs (id, session_key, agent_id, kind, status, message, reply, error, idempotency_key, created_at, started_at, ended_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    getRun: stmt<[string]>('SELECT * FROM runs WHERE id = ?'),
    getRunIdem: stmt<[string, string]>('SELECT * FROM runs WHERE idempotency_key = ? AND session_key = ?'),
    jStart: stmt<unknown[]>(
      `INSERT OR REPLACE INTO processes (id, pid, scope_key, session_key, command, cwd, started_at, status, record, gateway_pid)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    jOut: stmt<[{ chunk: string; max: number; id: string }]>(
      `UPDATE processes SET truncated = CASE WHEN length(output) + length(@chunk) > @max THEN 1 ELSE truncated END, output = substr(output || @chunk, -@max) WHERE id = @id`,
    ),
    jExit: stmt<unknown[]>(
      'UPDATE processes SET status = ?, exit_code = ?, signal = ?, ended_at = ?, truncated = MAX(truncated, ?) WHERE id = ?',
    ),
    getProc: stmt<[string]>('SELECT * FROM processes WHERE id = ?'),
    saPut: stmt<unknown[]>(
      `INSERT INTO subagent_runs (run_id, child_session_key, requester_session_key, status, record, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(run_id) DO UPDATE SET status = excluded.status, record = excluded.record, updated_at = excluded.updated_at`,
    ),
    saGet: stmt<[string]>('SELECT record FROM subagent_runs WHERE run_id = ?'),
    saAll: stmt<[]>('SELECT record FROM subagent_runs ORDER BY updated_at'),
    anPut: stmt<unknown[]>(
      `INSERT OR IGNORE INTO announcements (run_id, requester_session_key, payload, state, attempts, created_at, delivered_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    anMark: stmt<[string, number | null, string]>(
      'UPDATE announcements SET state = ?, attempts = attempts + 1, delivered_at = ? WHERE run_id = ?',
    ),
    anGet: stmt<[string]>('SELECT * FROM announcements WHERE run_id = ?'),
    anPending: stmt<[]>("SELECT * FROM announcements WHERE state = 'pending' ORDER BY created_at"),
    cronPut: stmt<unknown[]>(
      `INSERT INTO cron_jobs (id, owner_session_key, record, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET record = excluded.record, updated_at = excluded.updated_at, owner_session_key = COALESCE(excluded.owner_session_key, cron_jobs.owner_session_key)`,
    ),
    cronGet: stmt<[string]>('SELECT * FROM cron_jobs WHERE id = ?'),
    cronAll: stmt<[]>('SELECT * FROM cron_jobs ORDER BY id'),
    cronDel: stmt<[string]>('DELETE FROM cron_jobs WHERE id = ?'),
    cronRunAdd: stmt<[string, string, number]>('INSERT INTO cron_runs (job_id, record, created_at) VALUES (?, ?, ?)'),
    cronRuns: stmt<[string, number]>('SELECT record FROM cron_runs WHERE job_id = ? ORDER BY seq DESC LIMIT ?'),
    kvGet: stmt<[string]>('SELECT value FROM kv WHERE key = ?'),
    kvSet: stmt<[string, string]>('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
  };

  const toAnn = (r: Row): AnnouncementRecord => ({
    runId: String(r.run_id),
    requesterSessionKey: String(r.requester_session_key),
    payload: json(r.payload),
    state: String(r.state) as AnnouncementRecord['state'],
    attempts: Number(r.attempts),
    createdAt: Number(r.created_at),
    deliveredAt: num(r.delivered_at),
  });

  return {
    db,
    getSession: (key) => {
      const r = q.getSession.get(key);
      return r ? toSession(r) : undefined;
    },
    listSessions: (filter) => {
      const limit = Math.min(Math.max(filter?.limit ?? 200, 1), 1000);
      const rows = filter?.agentId
        ? (db.prepare('SELECT * FROM sessions WHERE agent_id = ? ORDER BY updated_at DESC LIMIT ?').all(filter.agentId, limit) as Row[])
        : (db.prepare('SELECT * FROM sessions ORDER BY updated_at DESC LIMIT ?').all(limit) as Row[]);
      return rows.map(toSession);
    },
    findSessionBySessionId: (agentId, sessionId) => {
      const r = db.prepare('SELECT * FROM sessions WHERE agent_id = ? AND session_id = ? ORDER BY updated_at DESC LIMIT 1').get(agentId, sessionId) as Row | undefined;
      return r ? toSession(r) : undefined;
    },
    upsertSession: (s) => {
      q.upsertSession.run(
        s.key,
        s.agentId,
        s.sessionId,
        s.kind,
        s.label,
        s.spawnedBy,
        s.spawnDepth,
        s.channel,
        s.peerKind,
        s.peerId,
        s.now,
        s.now,
      );
      return toSession(q.getSession.get(s.key)!);
    },
    touchSession: (key, now, lastRunId) => void q.touch.run(now, lastRunId ?? null, key),
    resetSession: (key, newSessionId, now) =>
      db.transaction(() => {
        q.reset.run(newSessionId, now, key);
        q.delEvents.run(key);
      })(),
    deleteSession: (key) =>
      db.transaction(() => {
        q.delSession.run(key);
        q.delTranscript.run(key);
        q.delEvents.run(key);
      })(),
    appendTranscript: (e) =>
      Number(
        q.appendT.run(
          e.sessionKey,
          e.sessionId,
          e.runId,
          e.role,
          e.text,
          e.message === undefined || e.message === null ? null : JSON.stringify(e.message),
          e.createdAt,
        ).lastInsertRowid,
      ),
    transcript: (key, opts) => {
      const limit = Math.min(Math.max(opts?.limit ?? 200, 1), 2000);
      const after = opts?.afterSeq ?? 0;
      const rows = opts?.sessionId
        ? (db
            .prepare(
              'SELECT * FROM (SELECT * FROM transcript WHERE session_key = ? AND session_id = ? AND seq > ? ORDER BY seq DESC LIMIT ?) ORDER BY seq',
            )
            .all(key, opts.sessionId, after, limit) as Row[])
        : (db
            .prepare('SELECT * FROM (SELECT * FROM transcript WHERE session_key = ? AND seq > ? ORDER BY seq DESC LIMIT ?) ORDER BY seq')
            .all(key, after, limit) as Row[]);
      return rows.map((r) => ({
        seq: Number(r.seq),
        sessionKey: String(r.session_key),
        sessionId: String(r.session_id),
        runId: str(r.run_id),
        role: String(r.role) as TranscriptEntry['role'],
        text: String(r.text),
        message: json(r.message),
        createdAt: Number(r.created_at),
      }));
    },
    eventsAll: () => q.evAll.all().map((r) => ({ sessionKey: String(r.session_key), body: json(r.body) })),
    eventsAppend: (sessionKey, id, body, now) => void q.evAppend.run(id, sessionKey, JSON.stringify(body), now),
    eventsRemove: (sessionKey, ids) =>
      db.transaction(() => {
        for (const id of ids) q.evRemove.run(sessionKey, id);
      })(),
    eventsReplace: (sessionKey, bodies, now) =>
      db.transaction(() => {
        q.delEvents.run(sessionKey);
        for (const b of bodies) q.evAppend.run(b.id, sessionKey, JSON.stringify(b.body), now);
      })(),
    eventsCount: (sessionKey) => Number((sessionKey ? q.evCount.get(sessionKey) : q.evCountAll.get())?.n ?? 0),
    insertRun: (r) =>
      void q.insRun.run(
        r.id,
        r.sessionKey,
        r.agentId,
        r.kind,
        r.status,
        r.message,
        r.reply,
        r.error,
        r.idempotencyKey,
        r.createdAt,
        r.startedAt,
        r.endedAt,
      ),
    updateRun: (id, patch) => {
      const cols: string[] = [];
      const vals: unknown[] = [];
      const map: Record<string, string> = {
        status: 'status',
        reply: 'reply',
        error: 'error',
        startedAt: 'started_at',
        endedAt: 'ended_at',
      };
      for (const [k, v] of Object.entries(patch)) {
        const col = map[k];
        if (col && v !== undefined) {
          cols.push(`${col} = ?`);
          vals.push(v);
        }
      }
      if (cols.length === 0) return;
      db.prepare(`UPDATE runs SET ${cols.join(', ')} WHERE id = ?`).run(...vals, id);
    },
    getRun: (id) => {
      const r = q.getRun.get(id);
      return r ? toRun(r) : undefined;
    },
    getRunByIdempotencyKey: (key, sessionKey) => {
      const r = q.getRunIdem.get(key, sessionKey);
      return r ? toRun(r) : undefined;
    },
    listRunsByStatus: (statuses) => {
      if (statuses.length === 0) return [];
      const rows = db
        .prepare(`SELECT * FROM runs WHERE status IN (${statuses.map(() => '?').join(',')}) ORDER BY created_at`)
        .all(...statuses) as Row[];
      return rows.map(toRun);
    },
    journalStart: (p) =>
      void q.jStart.run(
        p.id,
        p.pid,
        p.scopeKey,
        p.sessionKey,
        p.command,
        p.cwd,
        p.startedAt,
        p.status,
        p.record === undefined ? null : JSON.stringify(p.record),
        p.gatewayPid,
      ),
    journalOutput: (id, chunk) => void q.jOut.run({ chunk, max: JOURNAL_MAX_OUTPUT_CHARS, id }),
    journalExit: (id, patch) =>
      db.transaction(() => {
        q.jExit.run(patch.status, patch.exitCode, patch.signal, patch.endedAt, patch.truncated ? 1 : 0, id);
        if (patch.tail !== undefined) {
          const row = q.getProc.get(id);
          // Output batches may be lost if the registry did not journal them; keep at least the tail.
          if (row && String(row.output ?? '') === '' && patch.tail !== '') {
            db.prepare('UPDATE processes SET output = ? WHERE id = ?').run(patch.tail, id);
          }
        }
      })(),
    getProcess: (id) => {
      const r = q.getProc.get(id);
      return r ? toProcess(r) : undefined;
    },
    listProcesses: (filter) => {
      const where =
        filter?.status === 'running' ? "WHERE status = 'running'" : filter?.status === 'finished' ? "WHERE status != 'running'" : '';
      return (db.prepare(`SELECT ${PROCESS_SUMMARY_COLUMNS} FROM processes ${where} ORDER BY started_at`).all() as Row[]).map(toProcess);
    },
    pruneProcesses: (keep) =>
      db
        .prepare(
          `DELETE FROM processes WHERE status != 'running' AND id NOT IN (SELECT id FROM processes WHERE status != 'running' ORDER BY COALESCE(ended_at, started_at) DESC LIMIT ?)`,
        )
        .run(keep).changes,
    subagentPut: (runId, child, requester, status, record, now) =>
      void q.saPut.run(runId, child, requester, status, JSON.stringify(record), now),
    subagentGet: (runId) => {
      const r = q.saGet.get(runId);
      return r ? json(r.record) : undefined;
    },
    subagentAll: () => q.saAll.all().map((r) => json(r.record)),
    announcementPut: (a) =>
      q.anPut.run(
        a.runId,
        a.requesterSessionKey,
        JSON.stringify(a.payload),
        a.state,
        a.attempts,
        a.createdAt,
        a.deliveredAt,
      ).changes > 0,
    announcementMark: (runId, state, now) => void q.anMark.run(state, state === 'delivered' ? now : null, runId),
    announcementGet: (runId) => {
      const r = q.anGet.get(runId);
      return r ? toAnn(r) : undefined;
    },
    announcementsPending: () => q.anPending.all().map(toAnn),
    cronPut: (id, owner, record, now) => void q.cronPut.run(id, owner, JSON.stringify(record), now),
    cronGet: (id) => {
      const r = q.cronGet.get(id);
      return r ? { id: String(r.id), ownerSessionKey: str(r.owner_session_key), record: json(r.record) } : undefined;
    },
    cronAll: () =>
      q.cronAll.all().map((r) => ({ id: String(r.id), ownerSessionKey: str(r.owner_session_key), record: json(r.record) })),
    cronDelete: (id) => void q.cronDel.run(id),
    cronRunAppend: (jobId, record, now) => void q.cronRunAdd.run(jobId, JSON.stringify(record), now),
    cronRuns: (jobId, limit = 50) => q.cronRuns.all(jobId, limit).map((r) => json(r.record)),
    kvGet: (key) => {
      const r = q.kvGet.get(key);
      return r ? String(r.value) : undefined;
    },
    kvSet: (key, value) => void q.kvSet.run(key, value),
    close: () => {
      if (db.open) {
        try {
          db.pragma('wal_checkpoint(TRUNCATE)');
        } catch {
          // best effort
        }
        db.close();
      }
    },
  };
}
