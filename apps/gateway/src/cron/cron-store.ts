import { cronJobSchema, cronRunRecordSchema, type CronJob, type CronRunRecord, type CronStore } from '@pincer/heartbeat-router';
import type { GatewayClock } from '../clock.js';
import type { GatewayStore } from '../store/gateway-store.js';

/**
 * The reason a cluster node records a slot another node fired (`skipped`): such records stay in
 * that node's memory and are not stored, so the shared history holds each slot's one real run.
 */
export const CLUSTER_SLOT_TAKEN = 'another node of the cluster fired this slot';

/** Run-history rows kept per job in SQLite. */
export const CRON_RUNS_KEPT_PER_JOB = 100;

/** The session a job's `session:<key>` target names, if any. */
export function targetSessionOf(job: CronJob): string | undefined {
  return job.target.startsWith('session:') ? job.target.slice('session:'.length) : undefined;
}

/** heartbeat-router's `CronStore` over `store.cron` (`cron_jobs`, `cron_runs`). */
export function createCronStore(store: GatewayStore, clock: GatewayClock, options: { isClustered?: boolean } = {}): CronStore {
  return {
    load() {
      const jobs: CronJob[] = [];
      const runs: CronRunRecord[] = [];
      // Cluster mode: a job stored "running" while another node is live is that node's run in
      // flight, not one a restart interrupted (it records its own end); and a slot stored as due
      // is that node's to fire on time, not one to catch up now (off the schedule's grid). Only
      // with no other live node are they recovered as a single gateway does (interrupted, one
      // catch-up), and the catch-up is claimed by the slot it stands for, so nodes that start
      // together catch up once.
      const now = clock.now();
      const isAnotherNodeLive =
        options.isClustered === true &&
        (store.cluster?.nodes().some((node) => node.id !== store.cluster?.nodeId && node.state === 'live') ?? false);
      for (const row of store.cron.all()) {
        const job = cronJobSchema.safeParse(row.record);
        if (!job.success) continue;
        if (isAnotherNodeLive && job.data.state.runningAtMs !== null) {
          job.data.state.runningAtMs = null;
          job.data.state.runningRunId = null;
        }
        if (
          isAnotherNodeLive &&
          job.data.schedule.kind !== 'at' &&
          job.data.state.nextRunAtMs !== null &&
          job.data.state.nextRunAtMs <= now
        ) {
          // Recomputed by the scheduler as the next slot of the schedule.
          job.data.state.nextRunAtMs = null;
          job.data.state.nextTrigger = 'schedule';
        }
        jobs.push(job.data);
        for (const record of store.cron.runs(row.id, CRON_RUNS_KEPT_PER_JOB)) {
          const run = cronRunRecordSchema.safeParse(record);
          if (run.success) runs.push(run.data);
        }
      }
      return { jobs, runs };
    },
    saveJob: (job) => store.cron.put(job.id, targetSessionOf(job) ?? null, job, clock.now()),
    deleteJob: (id) => store.cron.delete(id),
    appendRun(record) {
      if (record.status === 'skipped' && record.error === CLUSTER_SLOT_TAKEN) return;
      store.cron.appendRun(record.jobId, record, clock.now());
    },
  };
}
