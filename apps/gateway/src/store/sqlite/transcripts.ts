import type { Database } from 'better-sqlite3';
import type { TranscriptEntry, TranscriptTable } from '../gateway-store.js';
import { jsonColumn, nullableString, type Row } from './rows.js';

const DEFAULT_PAGE = 200;
const MAX_PAGE = 2000;

/** The `transcript` table. */
export function createSqliteTranscriptTable(db: Database): TranscriptTable {
  const appendStatement = db.prepare(
    'INSERT INTO transcript (session_key, session_id, run_id, role, text, message, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const bySessionId = db.prepare(
    'SELECT * FROM (SELECT * FROM transcript WHERE session_key = ? AND session_id = ? AND seq > ? ORDER BY seq DESC LIMIT ?) ORDER BY seq',
  );
  const byKey = db.prepare(
    'SELECT * FROM (SELECT * FROM transcript WHERE session_key = ? AND seq > ? ORDER BY seq DESC LIMIT ?) ORDER BY seq',
  );
  const toEntry = (row: Row): TranscriptEntry => ({
    seq: Number(row.seq),
    sessionKey: String(row.session_key),
    sessionId: String(row.session_id),
    runId: nullableString(row.run_id),
    role: String(row.role) as TranscriptEntry['role'],
    text: String(row.text),
    message: jsonColumn(row.message),
    createdAt: Number(row.created_at),
  });
  return {
    append: (entry) =>
      Number(
        appendStatement.run(
          entry.sessionKey,
          entry.sessionId,
          entry.runId,
          entry.role,
          entry.text,
          entry.message === undefined || entry.message === null ? null : JSON.stringify(entry.message),
          entry.createdAt,
        ).lastInsertRowid,
      ),
    list(sessionKey, options) {
      const limit = Math.min(Math.max(options?.limit ?? DEFAULT_PAGE, 1), MAX_PAGE);
      const afterSeq = options?.afterSeq ?? 0;
      const rows = (
        options?.sessionId ? bySessionId.all(sessionKey, options.sessionId, afterSeq, limit) : byKey.all(sessionKey, afterSeq, limit)
      ) as Row[];
      return rows.map(toEntry);
    },
  };
}
