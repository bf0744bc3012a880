import type { TranscriptEntry, TranscriptTable } from '../gateway-store.js';
import { jsonColumn, nullableString, type Row } from '../sqlite/rows.js';
import { byteaText, textBytes } from './rows.js';
import type { SyncPostgresClient } from './sync-client.js';

const DEFAULT_PAGE = 200;
const MAX_PAGE = 2000;

const toEntry = (row: Row): TranscriptEntry => ({
  seq: Number(row.seq),
  sessionKey: String(row.session_key),
  sessionId: String(row.session_id),
  runId: nullableString(row.run_id),
  role: String(row.role) as TranscriptEntry['role'],
  text: byteaText(row.text),
  message: jsonColumn(row.message),
  createdAt: Number(row.created_at),
});

/** The `transcript` table. */
export function createPostgresTranscriptTable(client: SyncPostgresClient): TranscriptTable {
  return {
    append: (entry) =>
      Number(
        client.query<{ seq: number }>(
          `INSERT INTO transcript (session_key, session_id, run_id, role, text, message, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING seq`,
          [
            entry.sessionKey,
            entry.sessionId,
            entry.runId,
            entry.role,
            textBytes(entry.text),
            entry.message === undefined || entry.message === null ? null : JSON.stringify(entry.message),
            entry.createdAt,
          ],
        ).rows[0]?.seq,
      ),
    list(sessionKey, options) {
      const limit = Math.min(Math.max(options?.limit ?? DEFAULT_PAGE, 1), MAX_PAGE);
      const afterSeq = options?.afterSeq ?? 0;
      const rows = options?.sessionId
        ? client.query<Row>(
            `SELECT * FROM (SELECT * FROM transcript WHERE session_key = $1 AND session_id = $2 AND seq > $3 ORDER BY seq DESC LIMIT $4) AS page
             ORDER BY seq`,
            [sessionKey, options.sessionId, afterSeq, limit],
          ).rows
        : client.query<Row>(
            'SELECT * FROM (SELECT * FROM transcript WHERE session_key = $1 AND seq > $2 ORDER BY seq DESC LIMIT $3) AS page ORDER BY seq',
            [sessionKey, afterSeq, limit],
          ).rows;
      return rows.map(toEntry);
    },
  };
}
