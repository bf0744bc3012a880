import { cronJobSchema, cronRunRecordSchema, type CronJob, type CronRunRecord, type CronStore } from '@pincer/heartbeat-router';
import type { GatewayStore } from './store/store.js';

/** Run-history rows kept per job in SQLite. */
export const CRON_RUNS_KEPT_PER_JOB = 100;

/** The owner session of a job: the one that created it (stored beside the job), else its `session:<key>` target. */
export function cronOwnerOf(store: GatewayStore, job: CronJob): string | undefined {
  const row = store.cronGet(job.id);
  if (row?.ownerSessionKey) return row.ownerSessionKey;
  return job.target.startsWith('session:') ? job.target.slice('session:'.length) : undefined;
}

/** heartbeat-router's `CronStore` over the gateway's SQLite (`cron_jobs`, `cron_runs`). */
export function createSqliteCronStore(store: GatewayStore, now: () => number): CronStore {
  return {
    load() {
      const jobs: CronJob[] = [];
      const runs: CronRunRecord[] = [];
      for (const row of store.cronAll()) {
        const p = cronJobSchema.safeParse(row.record);
        if (!p.success) continue;
        jobs.push(p.data);
        for (const r of store.cronRuns(row.id, CRON_RUNS_KEPT_PER_JOB)) {
          const rr = cronRunRecordSchema.safeParse(r);
          if (rr.success) runs.push(rr.data);
        }
      }
      return { jobs, runs };
    },
    saveJob(job) {
      const owner = job.target.startsWith('session:') ? job.target.slice('session:'.length) : null;
      store.cronPut(job.id, owner, job, now());
    },
    deleteJob(id) {
      store.cronDelete(id);
    },
    appendRun(record) {
      store.cronRunAppend(record.jobId, record, now());
    },
  };
}
