import type { SessionRecord, SessionTable } from '../gateway-store.js';
import { SESSION_RECORD_FIELDS as RECORD_FIELDS, toSession } from '../session-rows.js';
import type { Row } from '../sqlite/rows.js';
import type { SyncPostgresClient } from './sync-client.js';

/** Default and maximum page of {@link SessionTable.list} (as in the SQLite store: the API's largest page plus one). */
const DEFAULT_LIST_LIMIT = 200;
const MAX_LIST_LIMIT = 1001;

/**
 * `key` is the prefix (parameter `$index`) or lies under it: every key starting `<prefix>:` sorts
 * in [`<prefix>:`, `<prefix>;`) under the column's "C" collation.
 */
function prefixCondition(index: number): string {
  return `(key = $${index}::text OR (key >= $${index}::text || ':' AND key < $${index}::text || ';'))`;
}

/**
 * The `sessions` table (deletes take the session's `transcript` and `system_events` rows in the
 * same statement). Unlike the SQLite store, no page is cached between writes: other gateways
 * write the same table.
 */
export function createPostgresSessionTable(client: SyncPostgresClient): SessionTable {
  const one = (sql: string, params: unknown[]): SessionRecord | undefined => {
    const row = client.query<Row>(sql, params).rows[0];
    return row ? toSession(row) : undefined;
  };
  return {
    get: (key) => one('SELECT * FROM sessions WHERE key = $1', [key]),
    list(filter) {
      const limit = Math.min(Math.max(filter?.limit ?? DEFAULT_LIST_LIMIT, 1), MAX_LIST_LIMIT);
      const conditions: string[] = [];
      const params: unknown[] = [limit];
      const agentId = filter?.agentId || undefined;
      if (agentId) {
        params.push(agentId);
        conditions.push(`agent_id = $${params.length}`);
      }
      const prefix = filter?.keyPrefix || undefined;
      if (prefix) {
        params.push(prefix);
        conditions.push(prefixCondition(params.length));
      }
      if (filter?.after) {
        params.push(filter.after.updatedAt, filter.after.key);
        const updatedAt = `$${params.length - 1}::bigint`;
        const key = `$${params.length}::text`;
        conditions.push(`(updated_at < ${updatedAt} OR (updated_at = ${updatedAt} AND key < ${key}))`);
      }
      const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
      // One JSON array built by the server (one value to convert, not one per column per row).
      const row = client.query<{ page: string | null }>(
        `SELECT json_agg(json_build_object(${RECORD_FIELDS}) ORDER BY updated_at DESC, key DESC)::text AS page
         FROM (SELECT * FROM sessions ${where} ORDER BY updated_at DESC, key DESC LIMIT $1) AS page_rows`,
        params,
      ).rows[0];
      return row?.page ? (JSON.parse(row.page) as SessionRecord[]) : [];
    },
    count(filter) {
      const conditions: string[] = [];
      const params: unknown[] = [];
      if (filter?.agentId) {
        params.push(filter.agentId);
        conditions.push(`agent_id = $${params.length}`);
      }
      if (filter?.keyPrefix) {
        params.push(filter.keyPrefix);
        conditions.push(prefixCondition(params.length));
      }
      const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
      const result = client.query<{ total: number }>(`SELECT COUNT(*) AS total FROM sessions ${where}`, params);
      return Number(result.rows[0]?.total ?? 0);
    },
    findBySessionId: (agentId, sessionId) =>
      one('SELECT * FROM sessions WHERE agent_id = $1 AND session_id = $2 ORDER BY updated_at DESC LIMIT 1', [agentId, sessionId]),
    upsert(session) {
      return one(
        `INSERT INTO sessions (key, agent_id, session_id, kind, label, spawned_by, spawn_depth, channel, peer_kind, peer_id, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)
         ON CONFLICT (key) DO UPDATE SET updated_at = excluded.updated_at,
           label = COALESCE(excluded.label, sessions.label),
           channel = COALESCE(excluded.channel, sessions.channel),
           peer_kind = COALESCE(excluded.peer_kind, sessions.peer_kind),
           peer_id = COALESCE(excluded.peer_id, sessions.peer_id)
         RETURNING *`,
        [
          session.key,
          session.agentId,
          session.sessionId,
          session.kind,
          session.label,
          session.spawnedBy,
          session.spawnDepth,
          session.channel,
          session.peerKind,
          session.peerId,
          session.now,
        ],
      )!;
    },
    touch(key, now, lastRunId) {
      client.query('UPDATE sessions SET updated_at = $1, last_run_id = COALESCE($2, last_run_id) WHERE key = $3', [
        now,
        lastRunId ?? null,
        key,
      ]);
    },
    reset(key, newSessionId, now) {
      client.query(
        `WITH reset AS (UPDATE sessions SET session_id = $1, updated_at = $2 WHERE key = $3)
         DELETE FROM system_events WHERE session_key = $3`,
        [newSessionId, now, key],
      );
    },
    delete(key) {
      client.query(
        `WITH gone_session AS (DELETE FROM sessions WHERE key = $1),
              gone_transcript AS (DELETE FROM transcript WHERE session_key = $1)
         DELETE FROM system_events WHERE session_key = $1`,
        [key],
      );
    },
  };
}
