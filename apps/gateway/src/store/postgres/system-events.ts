import type { SystemEventTable } from '../gateway-store.js';
import { jsonColumn, type Row } from '../sqlite/rows.js';
import { THIS_NODE } from './rows.js';
import type { SyncPostgresClient } from './sync-client.js';

/**
 * The `system_events` table (the durable backing of the system-event queue). Appending an id that
 * is queued already replaces it and moves it to the end, as SQLite's `INSERT OR REPLACE` does.
 */
export function createPostgresSystemEventTable(client: SyncPostgresClient): SystemEventTable {
  return {
    // A node's queue holds the events it queued (or adopted from a dead node): each event has one holder.
    all: () =>
      client
        .query<Row>(`SELECT session_key, body FROM system_events WHERE node_id IS NOT DISTINCT FROM ${THIS_NODE} ORDER BY seq`)
        .rows.map((row) => ({ sessionKey: String(row.session_key), body: jsonColumn(row.body) })),
    append(sessionKey, id, body, now) {
      client.query(
        `INSERT INTO system_events (id, session_key, body, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO UPDATE SET seq = DEFAULT, session_key = excluded.session_key, body = excluded.body, created_at = excluded.created_at, node_id = excluded.node_id`,
        [id, sessionKey, JSON.stringify(body), now],
      );
    },
    remove(sessionKey, ids) {
      if (ids.length === 0) return;
      client.query('DELETE FROM system_events WHERE session_key = $1 AND id = ANY($2::text[])', [sessionKey, [...ids]]);
    },
  };
}
