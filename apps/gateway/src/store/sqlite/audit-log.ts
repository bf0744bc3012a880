import type { Database } from 'better-sqlite3';
import type { AuditAction, AuditRecord, AuditResult } from '../../credentials/audit-record.js';
import type { AuditStore } from '../../credentials/credential-store.js';

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

/** The `audit_log` table (migration 3; retention is applied by the audit log service). Statements are prepared once. */
export function createSqliteAuditTable(db: Database): AuditStore {
  const insert = db.prepare(
    `INSERT INTO audit_log (at, credential_id, source_address, action, target, result, detail)
     VALUES (@at, @credential_id, @source_address, @action, @target, @result, @detail)`,
  );
  const since = db.prepare<[number, number], AuditRow>('SELECT * FROM audit_log WHERE at >= ? ORDER BY seq LIMIT ?');
  const after = db.prepare<[number, number], AuditRow>('SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?');
  const sinceAfter = db.prepare<[number, number, number], AuditRow>(
    'SELECT * FROM audit_log WHERE at >= ? AND seq > ? ORDER BY seq LIMIT ?',
  );
  const newest = db.prepare<[number], AuditRow>('SELECT * FROM (SELECT * FROM audit_log ORDER BY seq DESC LIMIT ?) ORDER BY seq');
  const deleteOld = db.prepare<[number]>('DELETE FROM audit_log WHERE at < ?');
  const deleteBeyond = db.prepare<[number]>(
    'DELETE FROM audit_log WHERE seq <= (SELECT seq FROM audit_log ORDER BY seq DESC LIMIT 1 OFFSET ?)',
  );
  const count = db.prepare<[], { total: number }>('SELECT COUNT(*) AS total FROM audit_log');
  const pruneBoth = db.transaction(
    (olderThan: number, maxRows: number) => deleteOld.run(olderThan).changes + deleteBeyond.run(maxRows).changes,
  );
  return {
    append(entry) {
      const info = insert.run({
        at: entry.at,
        credential_id: entry.credentialId,
        source_address: entry.sourceAddress,
        action: entry.action,
        target: entry.target,
        result: entry.result,
        detail: entry.detail,
      });
      return { ...entry, seq: Number(info.lastInsertRowid) };
    },
    list(query) {
      const rows =
        query.since !== undefined && query.afterSeq !== undefined
          ? sinceAfter.all(query.since, query.afterSeq, query.limit)
          : query.since !== undefined
            ? since.all(query.since, query.limit)
            : query.afterSeq !== undefined
              ? after.all(query.afterSeq, query.limit)
              : newest.all(query.limit);
      return rows.map(toRecord);
    },
    prune: ({ olderThan, maxRows }) => pruneBoth(olderThan, maxRows),
    count: () => count.get()?.total ?? 0,
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
