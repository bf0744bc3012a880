import type { AuditAction, AuditRecord, AuditResult } from '../../credentials/audit-record.js';
import type { AuditStore } from '../../credentials/credential-store.js';
import type { SyncPostgresClient } from './sync-client.js';

interface AuditRow {
  seq: number;
  at: number;
  credential_id: string;
  source_address: string;
  action: string;
  target: string | null;
  result: string;
  detail: string | null;
}

/** The `audit_log` table (shared by every gateway on the database; retention is applied by the audit log service). */
export function createPostgresAuditTable(client: SyncPostgresClient): AuditStore {
  const rows = (sql: string, params: unknown[]) => client.query<AuditRow>(sql, params).rows.map(toRecord);
  return {
    append(entry) {
      const inserted = client.query<{ seq: number }>(
        `INSERT INTO audit_log (at, credential_id, source_address, action, target, result, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING seq`,
        [entry.at, entry.credentialId, entry.sourceAddress, entry.action, entry.target, entry.result, entry.detail],
      );
      return { ...entry, seq: Number(inserted.rows[0]?.seq) };
    },
    list(query) {
      if (query.since !== undefined && query.afterSeq !== undefined) {
        return rows('SELECT * FROM audit_log WHERE at >= $1 AND seq > $2 ORDER BY seq LIMIT $3', [
          query.since,
          query.afterSeq,
          query.limit,
        ]);
      }
      if (query.since !== undefined)
        return rows('SELECT * FROM audit_log WHERE at >= $1 ORDER BY seq LIMIT $2', [query.since, query.limit]);
      if (query.afterSeq !== undefined) {
        return rows('SELECT * FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2', [query.afterSeq, query.limit]);
      }
      return rows('SELECT * FROM (SELECT * FROM audit_log ORDER BY seq DESC LIMIT $1) AS newest ORDER BY seq', [query.limit]);
    },
    // Both bounds in one statement: rows older than `olderThan`, and all but the newest `maxRows`
    // of the rows that are not (what the SQLite store's two deletes leave, counted once).
    prune: ({ olderThan, maxRows }) =>
      client.query(
        `DELETE FROM audit_log WHERE at < $1
           OR seq <= (SELECT seq FROM audit_log WHERE at >= $1 ORDER BY seq DESC LIMIT 1 OFFSET $2)`,
        [olderThan, maxRows],
      ).rowCount,
    count: () => Number(client.query<{ total: number }>('SELECT COUNT(*) AS total FROM audit_log').rows[0]?.total ?? 0),
  };
}

function toRecord(row: AuditRow): AuditRecord {
  return {
    seq: Number(row.seq),
    at: Number(row.at),
    credentialId: row.credential_id,
    sourceAddress: row.source_address,
    // Rows are written only through append(), which takes the typed unions.
    action: row.action as AuditAction,
    target: row.target,
    result: row.result as AuditResult,
    detail: row.detail,
  };
}
