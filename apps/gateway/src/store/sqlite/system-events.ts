import type { Database } from 'better-sqlite3';
import type { SystemEventTable } from '../gateway-store.js';
import { jsonColumn, type Row } from './rows.js';

/** The `system_events` table (the durable backing of the system-event queue). */
export function createSqliteSystemEventTable(db: Database): SystemEventTable {
  const allStatement = db.prepare('SELECT session_key, body FROM system_events ORDER BY seq');
  const appendStatement = db.prepare('INSERT OR REPLACE INTO system_events (id, session_key, body, created_at) VALUES (?, ?, ?, ?)');
  const removeStatement = db.prepare('DELETE FROM system_events WHERE session_key = ? AND id = ?');
  const remove = db.transaction((sessionKey: string, ids: ReadonlyArray<string>) => {
    for (const id of ids) removeStatement.run(sessionKey, id);
  });
  return {
    all: () => (allStatement.all() as Row[]).map((row) => ({ sessionKey: String(row.session_key), body: jsonColumn(row.body) })),
    append: (sessionKey, id, body, now) => void appendStatement.run(id, sessionKey, JSON.stringify(body), now),
    remove: (sessionKey, ids) => remove(sessionKey, ids),
  };
}
