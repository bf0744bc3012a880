import type { RunKind, RunPatch, RunRecord, RunStatus, RunTable } from '../gateway-store.js';
import { nullableNumber, nullableString, type Row } from '../sqlite/rows.js';
import { PostgresQueryError, type SyncPostgresClient } from './sync-client.js';
import { byteaText, nullableByteaText, nullableTextBytes, textBytes, THIS_NODE, UNIQUE_VIOLATION } from './rows.js';

function toRun(row: Row): RunRecord {
  return {
    id: String(row.id),
    sessionKey: String(row.session_key),
    agentId: String(row.agent_id),
    kind: String(row.kind) as RunKind,
    status: String(row.status) as RunStatus,
    message: byteaText(row.message),
    reply: nullableByteaText(row.reply),
    error: nullableByteaText(row.error),
    idempotencyKey: nullableString(row.idempotency_key),
    createdAt: Number(row.created_at),
    startedAt: nullableNumber(row.started_at),
    endedAt: nullableNumber(row.ended_at),
  };
}

const PATCH_COLUMNS = { status: 'status', reply: 'reply', error: 'error', startedAt: 'started_at', endedAt: 'ended_at' } as const;
type PatchField = keyof typeof PATCH_COLUMNS;

/** The `runs` table. */
export function createPostgresRunTable(client: SyncPostgresClient): RunTable {
  const one = (sql: string, params: unknown[]): RunRecord | undefined => {
    const row = client.query<Row>(sql, params).rows[0];
    return row ? toRun(row) : undefined;
  };
  return {
    insert(run) {
      // A taken id or idempotency key is refused without failing the statement (an open
      // transaction stays usable, as SQLite's does after a constraint error).
      const inserted = client.query(
        `INSERT INTO runs (id, session_key, agent_id, kind, status, message, reply, error, idempotency_key, created_at, started_at, ended_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT DO NOTHING`,
        [
          run.id,
          run.sessionKey,
          run.agentId,
          run.kind,
          run.status,
          textBytes(run.message),
          nullableTextBytes(run.reply),
          nullableTextBytes(run.error),
          run.idempotencyKey,
          run.createdAt,
          run.startedAt,
          run.endedAt,
        ],
      ).rowCount;
      if (inserted === 0) throw new PostgresQueryError(`run ${run.id} (or its idempotency key) is already stored`, UNIQUE_VIOLATION);
    },
    update(id, patch: RunPatch) {
      const fields = (Object.keys(PATCH_COLUMNS) as PatchField[]).filter((field) => patch[field] !== undefined);
      if (fields.length === 0) return;
      client.query(
        `UPDATE runs SET ${fields.map((field, index) => `${PATCH_COLUMNS[field]} = $${index + 1}`).join(', ')} WHERE id = $${fields.length + 1}`,
        [...fields.map((field) => (field === 'reply' || field === 'error' ? nullableTextBytes(patch[field]) : patch[field])), id],
      );
    },
    get: (id) => one('SELECT * FROM runs WHERE id = $1', [id]),
    getByIdempotencyKey: (idempotencyKey, sessionKey) =>
      one('SELECT * FROM runs WHERE idempotency_key = $1 AND session_key = $2', [idempotencyKey, sessionKey]),
    listByStatus(statuses) {
      if (statuses.length === 0) return [];
      return client
        .query<Row>(
          `SELECT * FROM runs WHERE status = ANY($1::text[]) AND node_id IS NOT DISTINCT FROM ${THIS_NODE} ORDER BY created_at, seq`,
          [[...statuses]],
        )
        .rows.map(toRun);
    },
  };
}
