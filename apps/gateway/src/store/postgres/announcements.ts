import type { AnnouncementRecord, AnnouncementTable } from '../gateway-store.js';
import { jsonColumn, nullableNumber, type Row } from '../sqlite/rows.js';
import type { SyncPostgresClient } from './sync-client.js';

/** The `announcements` table: the gateway-side exactly-once record of sub-agent announcements. */
export function createPostgresAnnouncementTable(client: SyncPostgresClient): AnnouncementTable {
  return {
    put: (announcement) =>
      client.query(
        `INSERT INTO announcements (run_id, requester_session_key, payload, state, attempts, created_at, delivered_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (run_id) DO NOTHING`,
        [
          announcement.runId,
          announcement.requesterSessionKey,
          JSON.stringify(announcement.payload),
          announcement.state,
          announcement.attempts,
          announcement.createdAt,
          announcement.deliveredAt,
        ],
      ).rowCount > 0,
    mark(runId, state, now) {
      client.query('UPDATE announcements SET state = $1, attempts = attempts + 1, delivered_at = $2 WHERE run_id = $3', [
        state,
        state === 'delivered' ? now : null,
        runId,
      ]);
    },
    claimDelivery: (runId, now) =>
      client.query(
        "UPDATE announcements SET state = 'delivered', attempts = attempts + 1, delivered_at = $1 WHERE run_id = $2 AND state <> 'delivered'",
        [now, runId],
      ).rowCount === 1,
    get(runId) {
      const row = client.query<Row>('SELECT * FROM announcements WHERE run_id = $1', [runId]).rows[0];
      if (!row) return undefined;
      return {
        runId: String(row.run_id),
        requesterSessionKey: String(row.requester_session_key),
        payload: jsonColumn(row.payload),
        state: String(row.state) as AnnouncementRecord['state'],
        attempts: Number(row.attempts),
        createdAt: Number(row.created_at),
        deliveredAt: nullableNumber(row.delivered_at),
      };
    },
  };
}
