import type { Database } from 'better-sqlite3';
import type { CronJobRow, CronTable } from '../gateway-store.js';
import { jsonColumn, nullableString, type Row } from './rows.js';

/** The `cron_jobs` and `cron_runs` tables. */
export function createSqliteCronTable(db: Database): CronTable {
  const putStatement = db.prepare(
    `INSERT INTO cron_jobs (id, owner_session_key, record, updated_at, created_by) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT(id) DO UPDATE SET record = excluded.record, updated_at = excluded.updated_at,
       owner_session_key = COALESCE(excluded.owner_session_key, cron_jobs.owner_session_key),
       created_by = COALESCE(excluded.created_by, cron_jobs.created_by)`,
  );
  const getStatement = db.prepare('SELECT * FROM cron_jobs WHERE id = ?');
  const allStatement = db.prepare('SELECT * FROM cron_jobs ORDER BY id');
  const deleteStatement = db.prepare('DELETE FROM cron_jobs WHERE id = ?');
  const appendRunStatement = db.prepare('INSERT INTO cron_runs (job_id, record, created_at) VALUES (?, ?, ?)');
  const runsStatement = db.prepare('SELECT record FROM cron_runs WHERE job_id = ? ORDER BY seq DESC LIMIT ?');
  const toJob = (row: Row): CronJobRow => ({
    id: String(row.id),
    ownerSessionKey: nullableString(row.owner_session_key),
    createdBy: nullableString(row.created_by),
    record: jsonColumn(row.record),
  });
  return {
    put: (id, ownerSessionKey, record, now, createdBy) =>
      void putStatement.run(id, ownerSessionKey, JSON.stringify(record), now, createdBy ?? null),
    get(id) {
      const row = getStatement.get(id) as Row | undefined;
      return row ? toJob(row) : undefined;
    },
    all: () => (allStatement.all() as Row[]).map(toJob),
    delete: (id) => void deleteStatement.run(id),
    appendRun: (jobId, record, now) => void appendRunStatement.run(jobId, JSON.stringify(record), now),
    runs: (jobId, limit) => (runsStatement.all(jobId, limit) as Row[]).map((row) => jsonColumn(row.record)),
  };
}
