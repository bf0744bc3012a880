import { z } from 'zod';
import type { GatewayStore } from './store/store.js';

/** Parse `30s`, `5m`, `2h`, `1d`, `500ms` (bare number = seconds) to ms; undefined if invalid. */
export function parseDurationMs(v: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/i.exec(v);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = (m[2] ?? 's').toLowerCase();
  const mult = unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : unit === 'h' ? 3_600_000 : 86_400_000;
  const ms = Math.round(n * mult);
  return ms > 0 ? ms : undefined;
}

/** A cron job's schedule. */
export const CronJobScheduleSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('every'), everyMs: z.number().int().min(1000) }),
  z.object({ kind: z.literal('at'), atMs: z.number().int() }),
]);

/** A persisted cron job. */
export const CronJobSchema = z.object({
  id: z.string(),
  name: z.string().optional(),
  agentId: z.string(),
  /** The session that created it (owner; other sessions read it as not found). */
  ownerSessionKey: z.string(),
  /** Where it fires: the owner session (routed by the dmScope=main rule) or an isolated run session. */
  target: z.enum(['session', 'isolated']),
  schedule: CronJobScheduleSchema,
  payload: z.object({ kind: z.enum(['systemEvent', 'agentTurn']), text: z.string().min(1) }),
  enabled: z.boolean(),
  createdAt: z.number(),
  nextRunAt: z.number().nullable(),
  lastRunAt: z.number().nullable(),
  lastStatus: z.string().nullable(),
  runCount: z.number().int(),
});
export type CronJob = z.infer<typeof CronJobSchema>;

/** Options of {@link createCronService}. */
export interface CronServiceOptions {
  store: GatewayStore;
  now: () => number;
  newId: () => string;
  /** Fire a job (enqueue its event / turn). Throwing counts as a failed run. */
  onFire(job: CronJob, runId: string): Promise<void> | void;
  /** Longest timer sleep, ms (re-checks after). Default 60 000. */
  maxSleepMs?: number;
  onError?(e: unknown): void;
}

/** Cron jobs over SQLite: schedule `every`/`at`, catch up once after a restart. */
export interface CronService {
  add(input: Omit<CronJob, 'id' | 'createdAt' | 'nextRunAt' | 'lastRunAt' | 'lastStatus' | 'runCount' | 'enabled'> & { enabled?: boolean }): CronJob;
  get(id: string): CronJob | undefined;
  list(filter?: { ownerSessionKey?: string }): CronJob[];
  remove(id: string): boolean;
  runs(id: string, limit?: number): unknown[];
  /** Arm the timer; due jobs (including those missed while down) fire once now. */
  start(): void;
  stop(): void;
}

/** Create the cron service. */
export function createCronService(o: CronServiceOptions): CronService {
  let timer: NodeJS.Timeout | undefined;
  let isStopped = true;
  const load = (id: string): CronJob | undefined => {
    const row = o.store.cronGet(id);
    if (!row) return undefined;
    const p = CronJobSchema.safeParse(row.record);
    return p.success ? p.data : undefined;
  };
  const save = (job: CronJob) => o.store.cronPut(job.id, job.ownerSessionKey, job, o.now());
  const all = (): CronJob[] =>
    o.store
      .cronAll()
      .map((r) => CronJobSchema.safeParse(r.record))
      .filter((p) => p.success)
      .map((p) => p.data!);
  const nextAfter = (job: CronJob, from: number): number | null => {
    if (job.schedule.kind === 'at') return job.runCount > 0 ? null : job.schedule.atMs;
    return from + job.schedule.everyMs;
  };
  const tick = async (): Promise<void> => {
    if (isStopped) return;
    const now = o.now();
    for (const job of all()) {
      if (!job.enabled || job.nextRunAt === null || job.nextRunAt > now) continue;
      // Persist the advance first: a crash during the fire never replays a one-shot twice,
      // and a recurring job catches up once (not once per missed interval).
      const runId = o.newId();
      const advanced: CronJob = { ...job, lastRunAt: now, runCount: job.runCount + 1 };
      advanced.nextRunAt = nextAfter(advanced, now);
      if (advanced.nextRunAt === null) advanced.enabled = false;
      save(advanced);
      let status = 'ok';
      let error: string | undefined;
      try {
        await o.onFire(job, runId);
      } catch (e) {
        status = 'error';
        error = (e as Error).message;
        o.onError?.(e);
      }
      const latest = load(job.id);
      if (latest) save({ ...latest, lastStatus: status });
      o.store.cronRunAppend(job.id, { runId, jobId: job.id, at: now, status, ...(error ? { error } : {}), wasCatchUp: job.nextRunAt < now - 1000 }, o.now());
    }
    arm();
  };
  const arm = (): void => {
    if (isStopped) return;
    if (timer) clearTimeout(timer);
    const now = o.now();
    let next = now + (o.maxSleepMs ?? 60_000);
    for (const job of all()) if (job.enabled && job.nextRunAt !== null) next = Math.min(next, job.nextRunAt);
    timer = setTimeout(() => void tick().catch((e) => o.onError?.(e)), Math.max(0, next - now));
    timer.unref?.();
  };
  return {
    add(input) {
      const now = o.now();
      const job: CronJob = {
        ...input,
        id: o.newId(),
        enabled: input.enabled ?? true,
        createdAt: now,
        nextRunAt: null,
        lastRunAt: null,
        lastStatus: null,
        runCount: 0,
      };
      job.nextRunAt = job.schedule.kind === 'at' ? job.schedule.atMs : now + job.schedule.everyMs;
      save(job);
      arm();
      return job;
    },
    get: load,
    list: (filter) => all().filter((j) => !filter?.ownerSessionKey || j.ownerSessionKey === filter.ownerSessionKey),
    remove(id) {
      if (!load(id)) return false;
      o.store.cronDelete(id);
      arm();
      return true;
    },
    runs: (id, limit) => o.store.cronRuns(id, limit),
    start() {
      isStopped = false;
      void tick().catch((e) => o.onError?.(e));
    },
    stop() {
      isStopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
