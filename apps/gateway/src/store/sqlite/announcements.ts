import type { Database } from 'better-sqlite3';
import type { AnnouncementRecord, AnnouncementTable } from '../gateway-store.js';
import { jsonColumn, nullableNumber, type Row } from './rows.js';

/** The `announcements` table: the gateway-side exactly-once record of sub-agent announcements. */
export function createSqliteAnnouncementTable(db: Database): AnnouncementTable {
  const putStatement = db.prepare(
    'INSERT OR IGNORE INTO announcements (run_id, requester_session_key, payload, state, attempts, created_at, delivered_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const markStatement = db.prepare('UPDATE announcements SET state = ?, attempts = attempts + 1, delivered_at = ? WHERE run_id = ?');
  const getStatement = db.prepare('SELECT * FROM announcements WHERE run_id = ?');
  const claimStatement = db.prepare(
    "UPDATE announcements SET state = 'delivered', attempts = attempts + 1, delivered_at = ? WHERE run_id = ? AND state <> 'delivered'",
  );
  return {
    put: (announcement) =>
      putStatement.run(
        announcement.runId,
        announcement.requesterSessionKey,
        JSON.stringify(announcement.payload),
        announcement.state,
        announcement.attempts,
        announcement.createdAt,
        announcement.deliveredAt,
      ).changes > 0,
    mark: (runId, state, now) => void markStatement.run(state, state === 'delivered' ? now : null, runId),
    claimDelivery: (runId, now) => claimStatement.run(now, runId).changes === 1,
    get(runId) {
      const row = getStatement.get(runId) as Row | undefined;
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
