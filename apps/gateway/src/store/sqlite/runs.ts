import type { Database, Statement } from 'better-sqlite3';
import type { RunKind, RunPatch, RunRecord, RunStatus, RunTable } from '../gateway-store.js';
import { nullableNumber, nullableString, type Row } from './rows.js';

function toRun(row: Row): RunRecord {
  return {
    id: String(row.id),
    sessionKey: String(row.session_key),
    agentId: String(row.agent_id),
    kind: String(row.kind) as RunKind,
    status: String(row.status) as RunStatus,
    message: String(row.message),
    reply: nullableString(row.reply),
    error: nullableString(row.error),
    idempotencyKey: nullableString(row.idempotency_key),
    createdAt: Number(row.created_at),
    startedAt: nullableNumber(row.started_at),
    endedAt: nullableNumber(row.ended_at),
  };
}

const PATCH_COLUMNS = { status: 'status', reply: 'reply', error: 'error', startedAt: 'started_at', endedAt: 'ended_at' } as const;
type PatchField = keyof typeof PATCH_COLUMNS;

/** The `runs` table. */
export function createSqliteRunTable(db: Database): RunTable {
  const insertStatement = db.prepare(
    `INSERT INTO runs (id, session_key, agent_id, kind, status, message, reply, error, idempotency_key, created_at, started_at, ended_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const getStatement = db.prepare('SELECT * FROM runs WHERE id = ?');
  const byIdempotencyKey = db.prepare('SELECT * FROM runs WHERE idempotency_key = ? AND session_key = ?');
  // One prepared UPDATE per distinct set of patched columns (a handful in practice), built on first use.
  const updates = new Map<string, Statement>();
  const byStatus = new Map<string, Statement>();
  return {
    insert: (run) =>
      void insertStatement.run(
        run.id,
        run.sessionKey,
        run.agentId,
        run.kind,
        run.status,
        run.message,
        run.reply,
        run.error,
        run.idempotencyKey,
        run.createdAt,
        run.startedAt,
        run.endedAt,
      ),
    update(id, patch: RunPatch) {
      const fields = (Object.keys(PATCH_COLUMNS) as PatchField[]).filter((field) => patch[field] !== undefined);
      if (fields.length === 0) return;
      const signature = fields.join(',');
      let statement = updates.get(signature);
      if (!statement) {
        statement = db.prepare(`UPDATE runs SET ${fields.map((field) => `${PATCH_COLUMNS[field]} = ?`).join(', ')} WHERE id = ?`);
        updates.set(signature, statement);
      }
      statement.run(...fields.map((field) => patch[field]), id);
    },
    get(id) {
      const row = getStatement.get(id) as Row | undefined;
      return row ? toRun(row) : undefined;
    },
    getByIdempotencyKey(idempotencyKey, sessionKey) {
      const row = byIdempotencyKey.get(idempotencyKey, sessionKey) as Row | undefined;
      return row ? toRun(row) : undefined;
    },
    listByStatus(statuses) {
      if (statuses.length === 0) return [];
      let statement = byStatus.get(String(statuses.length));
      if (!statement) {
        statement = db.prepare(`SELECT * FROM runs WHERE status IN (${statuses.map(() => '?').join(',')}) ORDER BY created_at`);
        byStatus.set(String(statuses.length), statement);
      }
      return (statement.all(...statuses) as Row[]).map(toRun);
    },
  };
}
