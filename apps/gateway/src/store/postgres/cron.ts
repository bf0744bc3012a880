import type { CronJobRow, CronTable } from '../gateway-store.js';
import { jsonColumn, nullableString, type Row } from '../sqlite/rows.js';
import type { SyncPostgresClient } from './sync-client.js';

const toJob = (row: Row): CronJobRow => ({
  id: String(row.id),
  ownerSessionKey: nullableString(row.owner_session_key),
  createdBy: nullableString(row.created_by),
  record: jsonColumn(row.record),
});

/** The `cron_jobs` and `cron_runs` tables. */
export function createPostgresCronTable(client: SyncPostgresClient): CronTable {
  return {
    put(id, ownerSessionKey, record, now, createdBy) {
      client.query(
        `INSERT INTO cron_jobs (id, owner_session_key, record, updated_at, created_by) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (id) DO UPDATE SET record = excluded.record, updated_at = excluded.updated_at,
           owner_session_key = COALESCE(excluded.owner_session_key, cron_jobs.owner_session_key),
           created_by = COALESCE(excluded.created_by, cron_jobs.created_by)`,
        [id, ownerSessionKey, JSON.stringify(record), now, createdBy ?? null],
      );
    },
    get(id) {
      const row = client.query<Row>('SELECT * FROM cron_jobs WHERE id = $1', [id]).rows[0];
      return row ? toJob(row) : undefined;
    },
    all: () => client.query<Row>('SELECT * FROM cron_jobs ORDER BY id').rows.map(toJob),
    delete(id) {
      client.query('DELETE FROM cron_jobs WHERE id = $1', [id]);
    },
    appendRun(jobId, record, now) {
      client.query('INSERT INTO cron_runs (job_id, record, created_at) VALUES ($1, $2, $3)', [jobId, JSON.stringify(record), now]);
    },
    runs: (jobId, limit) =>
      client
        .query<Row>('SELECT record FROM cron_runs WHERE job_id = $1 ORDER BY seq DESC LIMIT $2', [jobId, limit])
        .rows.map((row) => jsonColumn(row.record)),
  };
}
