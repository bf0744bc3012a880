import { randomUUID } from 'node:crypto';
import { buildAgentMainSessionKey, canonicalizeSessionKey, normalizeAgentId, parseAgentSessionKey } from '@pincer/session-key';
import { z } from 'zod';
import { createSystemClock, type Clock, type TimerHandle } from './clock.js';
import { createScheduleComputer, cronScheduleSchema, type CronSchedule } from './cron-schedule.js';
import { HeartbeatRouterError } from './errors.js';
import { requireAgentSessionKey } from './keys.js';
import { parseInput } from './validate.js';

/** What a job does when it fires. */
export const cronPayloadSchema = z.discriminatedUnion('kind', [
  /** Queue `text` as a system event on the target session (and wake it). */
  z.object({ kind: z.literal('systemEvent'), text: z.string().trim().min(1) }),
  /** Run an agent turn with `message`. */
  z.object({
    kind: z.literal('agentTurn'),
    message: z.string().trim().min(1),
    /** Turn budget, seconds (0 = none). */
    timeoutSeconds: z.number().int().min(0).optional(),
  }),
]);
/** See {@link cronPayloadSchema}. */
export type CronPayload = z.infer<typeof cronPayloadSchema>;

/** Where a job runs: the agent's `main` session, a fresh `isolated` run session, or `session:<key>`. */
export const cronTargetSchema = z.union([
  z.literal('main'),
  z.literal('isolated'),
  z.string().regex(/^session:.+/, 'target must be "main", "isolated" or "session:<key>"'),
]);
/** See {@link cronTargetSchema}. */
export type CronTarget = z.infer<typeof cronTargetSchema>;

/** `now`: wake the session right away; `next-heartbeat`: let it be seen at the next (event-paced) heartbeat. */
export const cronWakeModeSchema = z.enum(['now', 'next-heartbeat']);
/** See {@link cronWakeModeSchema}. */
export type CronWakeMode = z.infer<typeof cronWakeModeSchema>;

/** Input of {@link CronScheduler.add}. */
export const cronJobInputSchema = z.object({
  /** Default: generated. */
  id: z.string().trim().min(1).max(200).optional(),
  name: z.string().max(200).optional(),
  agentId: z.string().min(1),
  schedule: cronScheduleSchema,
  payload: cronPayloadSchema,
  /** Default `main` for `systemEvent`, `isolated` for `agentTurn`. `systemEvent` cannot be `isolated`. */
  target: cronTargetSchema.optional(),
  /** Default `now`. */
  wakeMode: cronWakeModeSchema.optional(),
  /** Default true. */
  enabled: z.boolean().optional(),
  /** Delete a one-shot after it succeeds. Default false (kept, disabled, with its history). */
  deleteAfterRun: z.boolean().optional(),
});
/** Input of {@link CronScheduler.add}. */
export type CronJobInput = z.input<typeof cronJobInputSchema>;

/** Status of a finished run. `interrupted`: the process stopped while it ran. */
export type CronRunStatus = 'ok' | 'error' | 'skipped' | 'interrupted';
/** Why a run started. */
export type CronTrigger = 'schedule' | 'catch-up' | 'retry' | 'manual';

/** Runtime state of a job (persisted with it). Times are epoch ms. */
export const cronJobStateSchema = z.object({
  nextRunAtMs: z.number().nullable(),
  /** Set while a run is in flight; found set at start-up = interrupted. */
  runningAtMs: z.number().nullable(),
  runningRunId: z.string().nullable(),
  /** Trigger of the pending `nextRunAtMs` (`catch-up`/`retry` when not the plain schedule). */
  nextTrigger: z.enum(['schedule', 'catch-up', 'retry', 'manual']),
  lastRunAtMs: z.number().nullable(),
  lastStatus: z.enum(['ok', 'error', 'skipped', 'interrupted']).nullable(),
  lastError: z.string().nullable(),
  lastDurationMs: z.number().nullable(),
  consecutiveFailures: z.number().int().min(0),
  /** Why the job is disabled (auto-disable, interruption, permanent error, operator). */
  disabledReason: z.string().nullable(),
  disabledAtMs: z.number().nullable(),
  /** One-shots: when the run succeeded. A completed one-shot never runs again by schedule. */
  completedAtMs: z.number().nullable(),
});
/** See {@link cronJobStateSchema}. */
export type CronJobState = z.infer<typeof cronJobStateSchema>;

/** A stored cron job (JSON-serializable). */
export const cronJobSchema = z.object({
  id: z.string().min(1),
  name: z.string(),
  agentId: z.string().min(1),
  schedule: cronScheduleSchema,
  payload: cronPayloadSchema,
  target: cronTargetSchema,
  wakeMode: cronWakeModeSchema,
  enabled: z.boolean(),
  deleteAfterRun: z.boolean(),
  createdAtMs: z.number(),
  updatedAtMs: z.number(),
  state: cronJobStateSchema,
});
/** A stored cron job. */
export type CronJob = z.infer<typeof cronJobSchema>;

/** One entry of a job's run history. */
export const cronRunRecordSchema = z.object({
  runId: z.string(),
  jobId: z.string(),
  agentId: z.string(),
  trigger: z.enum(['schedule', 'catch-up', 'retry', 'manual']),
  /** The slot this run served, epoch ms. */
  scheduledAtMs: z.number(),
  startedAtMs: z.number(),
  endedAtMs: z.number(),
  durationMs: z.number(),
  status: z.enum(['ok', 'error', 'skipped', 'interrupted']),
  error: z.string().optional(),
  /** 1 + consecutive failures before this run. */
  attempt: z.number().int().min(1),
  sessionKey: z.string(),
});
/** One entry of a job's run history. */
export type CronRunRecord = z.infer<typeof cronRunRecordSchema>;

/** Everything a {@link CronStore} holds. */
export interface CronStoreSnapshot {
  jobs: readonly CronJob[];
  /** Run history, any order. */
  runs?: readonly CronRunRecord[];
}

/**
 * Durable backing for the cron scheduler, supplied by the gateway (SQLite there). Each method may
 * be sync or async; the scheduler awaits every write before going on, so a job's running marker
 * is stored *before* `onFire` is called (that is what makes one-shots at-most-once).
 * - `load()`: all jobs and (optionally) their run history.
 * - `saveJob(job)`: upsert by `job.id`.
 * - `deleteJob(id)`: remove a job (its history may stay).
 * - `appendRun(record)`: add one run-history row (retention is the store's choice).
 */
export interface CronStore {
  load(): CronStoreSnapshot | Promise<CronStoreSnapshot>;
  saveJob(job: CronJob): void | Promise<void>;
  deleteJob(jobId: string): void | Promise<void>;
  appendRun(record: CronRunRecord): void | Promise<void>;
}

/** Creates the in-memory {@link CronStore} (deep copies, so it behaves like a real store across scheduler restarts). */
export function createInMemoryCronStore(options: { maxRunsPerJob?: number } = {}): CronStore {
  const maxRunsPerJob = options.maxRunsPerJob ?? 2000;
  const jobs = new Map<string, CronJob>();
  const runs = new Map<string, CronRunRecord[]>();
  return {
    load: () => ({
      jobs: [...jobs.values()].map((j) => structuredClone(j)),
      runs: [...runs.values()].flat().map((r) => structuredClone(r)),
    }),
    saveJob: (job) => {
      jobs.set(job.id, structuredClone(job));
    },
    deleteJob: (jobId) => {
      jobs.delete(jobId);
    },
    appendRun: (record) => {
      const list = runs.get(record.jobId) ?? [];
      list.push(structuredClone(record));
      if (list.length > maxRunsPerJob) list.splice(0, list.length - maxRunsPerJob);
      runs.set(record.jobId, list);
    },
  };
}

/** What `onFire` receives. */
export interface CronFire {
  /** Snapshot of the job as it fires. */
  job: CronJob;
  runId: string;
  trigger: CronTrigger;
  scheduledAtMs: number;
  /**
   * The schedule slot this fire stands for, the same on every process that schedules the job
   * from the same stored state: a scheduled run's `scheduledAtMs`; a catch-up's first slot
   * missed since the job last ran (`scheduledAtMs` is then the catch-up time); a one-shot's
   * time; a retry's or a manual run's `scheduledAtMs`. A key for claiming the slot once
   * across several schedulers.
   */
  slotMs: number;
  /** 1 + consecutive failures so far. */
  attempt: number;
  /**
   * Resolved target session: `main` → `agent:<id>:main`; `isolated` →
   * `agent:<id>:cron:<jobId>:run:<runId>`; `session:<key>` → that agent-qualified key.
   */
  sessionKey: string;
}

/** What `onFire` may return. Throwing counts as a transient `error`. */
export type CronFireResult =
  | void
  | { status: 'ok' }
  | { status: 'skipped'; reason?: string }
  | { status: 'error'; error: string /** Disable now instead of backing off. */; permanent?: boolean };

/** Options of {@link createCronScheduler}. Durations are milliseconds. */
export interface CronSchedulerOptions {
  store: CronStore;
  /** Executes a due job (enqueue + wake, or run a turn). */
  onFire(fire: CronFire): CronFireResult | Promise<CronFireResult>;
  clock?: Clock;
  idGenerator?: () => string;
  /** Zone of `cron` schedules without `tz`. Default `UTC`. */
  timeZone?: string;
  /** Main session key of an agent. Default `buildAgentMainSessionKey({ agentId })`. */
  mainSessionKey?(agentId: string): string;
  /** Missed jobs run at once after a restart; the rest are staggered. Default 5. */
  maxCatchUpRuns?: number;
  /** Gap between staggered catch-up runs. Default 5000. */
  catchUpStaggerMs?: number;
  /** Delays after the 1st, 2nd, … consecutive failure (last repeats). Default 30 s, 1 m, 5 m, 15 m, 60 m. */
  backoffMs?: readonly number[];
  /** Consecutive failures that disable a job. Default 10. */
  maxConsecutiveFailures?: number;
  /** Runs in flight at once. Default 8. */
  maxConcurrentRuns?: number;
  /** History rows kept in memory per job. Default 100. */
  maxRunsPerJob?: number;
  /** Longest single timer sleep (re-checks after). Default 60 000. */
  maxTimerDelayMs?: number;
  /** Called when a job is disabled automatically, with the reason. */
  onJobDisabled?(job: CronJob, reason: string): void;
  /** Called when a store write fails (the scheduler keeps its memory state). */
  onError?(error: unknown): void;
}

/** Cron scheduler instance. All mutators are async because they persist first. */
export interface CronScheduler {
  /** Loads the store, recovers interrupted runs, schedules catch-up, arms the timer. Returns jobs loaded. */
  start(): Promise<number>;
  /** Stops the timer (in-flight runs finish and are recorded). */
  stop(): void;
  add(input: CronJobInput): Promise<CronJob>;
  /** Changes definition fields; the schedule is recomputed. */
  update(jobId: string, patch: Partial<Omit<CronJobInput, 'id'>>): Promise<CronJob>;
  remove(jobId: string): Promise<boolean>;
  /** Enabling clears the failure count and the disabled reason. */
  setEnabled(jobId: string, enabled: boolean, reason?: string): Promise<CronJob>;
  /** Runs the job now (outside its schedule), waits, and returns the run record. */
  runNow(jobId: string): Promise<CronRunRecord>;
  get(jobId: string): CronJob | undefined;
  list(): CronJob[];
  /** Run history, newest first. */
  runs(jobId: string, limit?: number): CronRunRecord[];
  /** Resolves when no run is in flight. */
  idle(): Promise<void>;
}

const DEFAULT_BACKOFF_MS = Object.freeze([30_000, 60_000, 300_000, 900_000, 3_600_000]);

/** Creates a cron scheduler instance. See {@link CronScheduler}. */
export function createCronScheduler(options: CronSchedulerOptions): CronScheduler {
  const clock = options.clock ?? createSystemClock();
  const newId = options.idGenerator ?? randomUUID;
  const store = options.store;
  const computer = createScheduleComputer(options.timeZone ?? 'UTC');
  const maxCatchUpRuns = options.maxCatchUpRuns ?? 5;
  const catchUpStaggerMs = options.catchUpStaggerMs ?? 5000;
  const backoffMs = options.backoffMs && options.backoffMs.length > 0 ? options.backoffMs : DEFAULT_BACKOFF_MS;
  const maxConsecutiveFailures = options.maxConsecutiveFailures ?? 10;
  const maxConcurrentRuns = options.maxConcurrentRuns ?? 8;
  const maxRunsPerJob = options.maxRunsPerJob ?? 100;
  const maxTimerDelayMs = options.maxTimerDelayMs ?? 60_000;
  const mainSessionKey = options.mainSessionKey ?? ((agentId: string) => buildAgentMainSessionKey({ agentId }));

  const jobs = new Map<string, CronJob>();
  const history = new Map<string, CronRunRecord[]>();
  const inFlight = new Map<string, Promise<CronRunRecord>>();
  let started = false;
  let stopped = false;
  let timer: TimerHandle | undefined;

  const snapshot = (job: CronJob): CronJob => structuredClone(job);

  async function persist(job: CronJob): Promise<void> {
    try {
      await store.saveJob(snapshot(job));
    } catch (error) {
      options.onError?.(error);
      throw error;
    }
  }

  function requireStarted(): void {
    if (!started) throw new HeartbeatRouterError('NOT_STARTED', 'Call and await cron.start() before using the scheduler.');
  }

  function requireJob(jobId: string): CronJob {
    const job = jobs.get(jobId);
    if (!job) throw new HeartbeatRouterError('JOB_NOT_FOUND', `No cron job "${jobId}".`, { field: 'jobId' });
    return job;
  }

  function isOneShot(job: CronJob): boolean {
    return job.schedule.kind === 'at';
  }

  /** Normalizes the target and checks it against the agent and payload. */
  function normalizeTarget(agentId: string, payload: CronPayload, target: CronTarget | undefined): CronTarget {
    const t = target ?? (payload.kind === 'systemEvent' ? 'main' : 'isolated');
    if (payload.kind === 'systemEvent' && t === 'isolated') {
      throw new HeartbeatRouterError('INVALID_INPUT', 'A systemEvent job targets "main" or "session:<key>", not "isolated".', {
        field: 'target',
      });
    }
    if (t === 'main' || t === 'isolated') return t;
    const raw = t.slice('session:'.length).trim();
    if (parseAgentSessionKey(raw) || raw.toLowerCase().startsWith('agent:')) {
      const q = requireAgentSessionKey(raw, 'target');
      if (q.agentId !== agentId) {
        throw new HeartbeatRouterError('AGENT_MISMATCH', `target session "${raw}" belongs to agent "${q.agentId}", not "${agentId}".`, {
          field: 'target',
        });
      }
      return `session:${q.sessionKey}`;
    }
    // A bare target names a session of the job's agent: built in canonical form.
    return `session:${requireAgentSessionKey(canonicalizeSessionKey(raw, { agentId }), 'target').sessionKey}`;
  }

  function resolveSessionKey(job: CronJob, runId: string): string {
    if (job.target === 'main') return mainSessionKey(job.agentId);
    if (job.target === 'isolated') return `agent:${job.agentId}:cron:${job.id.toLowerCase()}:run:${runId.toLowerCase()}`;
    return job.target.slice('session:'.length);
  }

  function freshState(): CronJobState {
    return {
      nextRunAtMs: null,
      runningAtMs: null,
      runningRunId: null,
      nextTrigger: 'schedule',
      lastRunAtMs: null,
      lastStatus: null,
      lastError: null,
      lastDurationMs: null,
      consecutiveFailures: 0,
      disabledReason: null,
      disabledAtMs: null,
      completedAtMs: null,
    };
  }

  /** Next natural slot strictly after `afterMs` (one-shots: their time unless completed). */
  function naturalNext(job: CronJob, afterMs: number): number | null {
    if (isOneShot(job)) return job.state.completedAtMs !== null ? null : computer.next(job.schedule, afterMs, job.createdAtMs);
    try {
      return computer.next(job.schedule, afterMs, job.createdAtMs);
    } catch {
      return null;
    }
  }

  function pushHistory(record: CronRunRecord): void {
    const list = history.get(record.jobId) ?? [];
    list.push(record);
    if (list.length > maxRunsPerJob) list.splice(0, list.length - maxRunsPerJob);
    history.set(record.jobId, list);
  }

  async function recordRun(record: CronRunRecord): Promise<void> {
    pushHistory(record);
    try {
      await store.appendRun(structuredClone(record));
    } catch (error) {
      options.onError?.(error);
    }
  }

  function disable(job: CronJob, reason: string, now: number, notify: boolean): void {
    job.enabled = false;
    job.state.nextRunAtMs = null;
    job.state.disabledReason = reason;
    job.state.disabledAtMs = now;
    if (notify) options.onJobDisabled?.(snapshot(job), reason);
  }

  /** Applies a failure: backoff, or auto-disable at the threshold. */
  function applyFailure(job: CronJob, message: string, permanent: boolean, endedAt: number): void {
    job.state.consecutiveFailures++;
    job.state.lastError = message;
    const n = job.state.consecutiveFailures;
    if (permanent) {
      disable(job, `Disabled after a permanent error: ${message}`, endedAt, true);
      return;
    }
    if (n >= maxConsecutiveFailures) {
      disable(job, `Disabled after ${n} consecutive failures; last error: ${message}`, endedAt, true);
      return;
    }
    if (!job.enabled) return;
    const delay = backoffMs[Math.min(n - 1, backoffMs.length - 1)]!;
    const retryAt = endedAt + delay;
    if (isOneShot(job)) {
      job.state.nextRunAtMs = retryAt;
      job.state.nextTrigger = 'retry';
    } else {
      const natural = naturalNext(job, endedAt);
      job.state.nextRunAtMs = natural === null ? retryAt : Math.max(natural, retryAt);
      job.state.nextTrigger = natural !== null && natural >= retryAt ? 'schedule' : 'retry';
    }
  }

  /** See {@link CronFire.slotMs}; read before the run advances the job's state. */
  function slotOf(job: CronJob, trigger: CronTrigger, scheduledAtMs: number): number {
    if (trigger === 'manual' || trigger === 'retry') return scheduledAtMs;
    if (isOneShot(job)) return naturalNext(job, scheduledAtMs) ?? scheduledAtMs;
    if (trigger === 'schedule') return scheduledAtMs;
    const missed = naturalNext(job, job.state.lastRunAtMs ?? job.createdAtMs - 1);
    return missed !== null && missed <= scheduledAtMs ? missed : scheduledAtMs;
  }

  function execute(job: CronJob, trigger: CronTrigger, scheduledAtMs: number): Promise<CronRunRecord> {
    const runId = newId();
    const startedAtMs = clock.now();
    const attempt = job.state.consecutiveFailures + 1;
    const slotMs = slotOf(job, trigger, scheduledAtMs);
    const sessionKey = resolveSessionKey(job, runId);
    job.state.runningAtMs = startedAtMs;
    job.state.runningRunId = runId;
    if (trigger !== 'manual') {
      // Advance before firing: a one-shot has no next slot; a recurring job's next slot is after now.
      job.state.nextRunAtMs = isOneShot(job) ? null : naturalNext(job, startedAtMs);
      job.state.nextTrigger = 'schedule';
    }
    const run = (async (): Promise<CronRunRecord> => {
      let status: CronRunStatus = 'ok';
      let error: string | undefined;
      let permanent = false;
      try {
        await persist(job); // the running marker is durable before anything fires
      } catch (persistError) {
        job.state.runningAtMs = null;
        job.state.runningRunId = null;
        if (trigger !== 'manual') {
          job.state.nextRunAtMs = scheduledAtMs; // not fired: keep the slot
          job.state.nextTrigger = trigger;
        }
        throw persistError;
      }
      try {
        const result = await options.onFire({ job: snapshot(job), runId, trigger, scheduledAtMs, slotMs, attempt, sessionKey });
        if (result && result.status === 'error') {
          status = 'error';
          error = result.error;
          permanent = result.permanent === true;
        } else if (result && result.status === 'skipped') {
          status = 'skipped';
          error = result.reason;
        }
      } catch (fireError) {
        status = 'error';
        error = fireError instanceof Error ? fireError.message : String(fireError);
      }
      const endedAtMs = clock.now();
      const record: CronRunRecord = {
        runId,
        jobId: job.id,
        agentId: job.agentId,
        trigger,
        scheduledAtMs,
        startedAtMs,
        endedAtMs,
        durationMs: endedAtMs - startedAtMs,
        status,
        ...(error !== undefined ? { error } : {}),
        attempt,
        sessionKey,
      };
      job.state.runningAtMs = null;
      job.state.runningRunId = null;
      job.state.lastRunAtMs = startedAtMs;
      job.state.lastStatus = status;
      job.state.lastDurationMs = record.durationMs;
      let deleted = false;
      if (status === 'error') {
        applyFailure(job, error ?? 'unknown error', permanent, endedAtMs);
      } else {
        job.state.consecutiveFailures = 0;
        job.state.lastError = status === 'skipped' ? (error ?? null) : null;
        if (isOneShot(job)) {
          job.state.completedAtMs = endedAtMs;
          job.enabled = false;
          job.state.nextRunAtMs = null;
          if (job.deleteAfterRun && status === 'ok' && jobs.get(job.id) === job) {
            jobs.delete(job.id);
            deleted = true;
          }
        }
      }
      job.updatedAtMs = endedAtMs;
      await recordRun(record);
      if (jobs.get(job.id) === job) {
        await persist(job).catch(() => undefined);
      } else if (deleted) {
        await Promise.resolve(store.deleteJob(job.id)).catch((e: unknown) => options.onError?.(e));
      }
      return record;
    })();
    inFlight.set(job.id, run);
    const cleanup = (): void => {
      if (inFlight.get(job.id) === run) inFlight.delete(job.id);
      arm();
    };
    run.then(cleanup, cleanup);
    return run;
  }

  function tick(): void {
    timer = undefined;
    if (stopped) return;
    const now = clock.now();
    const due = [...jobs.values()]
      .filter((j) => j.enabled && j.state.nextRunAtMs !== null && j.state.nextRunAtMs <= now && !inFlight.has(j.id))
      .sort((a, b) => a.state.nextRunAtMs! - b.state.nextRunAtMs! || a.id.localeCompare(b.id));
    for (const job of due) {
      if (inFlight.size >= maxConcurrentRuns) break;
      execute(job, job.state.nextTrigger, job.state.nextRunAtMs!).catch((e: unknown) => options.onError?.(e));
    }
    arm();
  }

  function arm(): void {
    if (!started || stopped) return;
    if (timer !== undefined) {
      clock.clearTimeout(timer);
      timer = undefined;
    }
    let earliest = Number.POSITIVE_INFINITY;
    for (const job of jobs.values()) {
      if (!job.enabled || job.state.nextRunAtMs === null || inFlight.has(job.id)) continue;
      if (job.state.nextRunAtMs < earliest) earliest = job.state.nextRunAtMs;
    }
    if (earliest === Number.POSITIVE_INFINITY) return;
    if (inFlight.size >= maxConcurrentRuns) return; // a finishing run re-arms
    const delay = Math.min(maxTimerDelayMs, Math.max(0, earliest - clock.now()));
    timer = clock.setTimeout(tick, delay);
  }

  async function start(): Promise<number> {
    if (started) return jobs.size;
    const loaded = await store.load();
    const now = clock.now();
    for (const raw of loaded.jobs) {
      const parsed = cronJobSchema.safeParse(raw);
      if (!parsed.success) {
        options.onError?.(new HeartbeatRouterError('INVALID_INPUT', `Skipping an invalid stored cron job: ${parsed.error.message}`));
        continue;
      }
      jobs.set(parsed.data.id, parsed.data);
    }
    const runs = [...(loaded.runs ?? [])].sort((a, b) => a.startedAtMs - b.startedAtMs);
    for (const raw of runs) {
      const parsed = cronRunRecordSchema.safeParse(raw);
      if (parsed.success && jobs.has(parsed.data.jobId)) pushHistory(parsed.data);
    }

    const changed = new Set<CronJob>();
    // 1. Runs the previous process left in flight: recorded as interrupted, never replayed.
    for (const job of jobs.values()) {
      if (job.state.runningAtMs === null) continue;
      const record: CronRunRecord = {
        runId: job.state.runningRunId ?? newId(),
        jobId: job.id,
        agentId: job.agentId,
        trigger: 'schedule',
        scheduledAtMs: job.state.runningAtMs,
        startedAtMs: job.state.runningAtMs,
        endedAtMs: now,
        durationMs: Math.max(0, now - job.state.runningAtMs),
        status: 'interrupted',
        error: 'interrupted by restart',
        attempt: job.state.consecutiveFailures + 1,
        sessionKey: resolveSessionKey(job, job.state.runningRunId ?? 'unknown'),
      };
      job.state.runningAtMs = null;
      job.state.runningRunId = null;
      job.state.lastStatus = 'interrupted';
      job.state.lastRunAtMs = record.startedAtMs;
      await recordRun(record);
      if (isOneShot(job)) {
        // At most once: a one-shot that may already have fired is not fired again by itself.
        job.state.lastError = 'interrupted by restart';
        disable(
          job,
          'Interrupted by a restart while running; a one-shot is not replayed automatically (use runNow to run it again).',
          now,
          true,
        );
      } else {
        applyFailure(job, 'interrupted by restart', false, now);
      }
      changed.add(job);
    }
    // 2. Jobs without a computed slot (e.g. imported definitions).
    for (const job of jobs.values()) {
      if (job.enabled && job.state.nextRunAtMs === null && job.state.completedAtMs === null) {
        job.state.nextRunAtMs = naturalNext(job, isOneShot(job) ? now : Math.max(now, job.createdAtMs) - 1);
        changed.add(job);
      }
    }
    // 3. Missed slots: one catch-up run per job, at most `maxCatchUpRuns` at once, the rest staggered.
    const missed = [...jobs.values()]
      .filter((j) => j.enabled && j.state.nextRunAtMs !== null && j.state.nextRunAtMs <= now)
      .sort((a, b) => a.state.nextRunAtMs! - b.state.nextRunAtMs! || a.id.localeCompare(b.id));
    missed.forEach((job, index) => {
      const extra = index < maxCatchUpRuns ? 0 : (index - maxCatchUpRuns + 1) * catchUpStaggerMs;
      job.state.nextRunAtMs = now + extra;
      job.state.nextTrigger = 'catch-up';
      changed.add(job);
    });
    for (const job of changed) await persist(job).catch(() => undefined);
    started = true;
    stopped = false;
    arm();
    return jobs.size;
  }

  async function add(raw: CronJobInput): Promise<CronJob> {
    requireStarted();
    const input = parseInput(cronJobInputSchema, raw, 'add');
    const agentId = normalizeAgentId(input.agentId);
    const id = input.id ?? newId();
    if (jobs.has(id)) throw new HeartbeatRouterError('JOB_EXISTS', `A cron job "${id}" already exists.`, { field: 'id' });
    computer.validate(input.schedule);
    const now = clock.now();
    const job: CronJob = {
      id,
      name: input.name ?? id,
      agentId,
      schedule: input.schedule,
      payload: input.payload,
      target: normalizeTarget(agentId, input.payload, input.target),
      wakeMode: input.wakeMode ?? 'now',
      enabled: input.enabled ?? true,
      deleteAfterRun: input.deleteAfterRun ?? false,
      createdAtMs: now,
      updatedAtMs: now,
      state: freshState(),
    };
    if (job.enabled) job.state.nextRunAtMs = naturalNext(job, now);
    await persist(job);
    jobs.set(id, job);
    arm();
    return snapshot(job);
  }

  async function update(jobId: string, patch: Partial<Omit<CronJobInput, 'id'>>): Promise<CronJob> {
    requireStarted();
    const job = requireJob(jobId);
    const merged = parseInput(
      cronJobInputSchema,
      {
        name: job.name,
        agentId: job.agentId,
        schedule: job.schedule,
        payload: job.payload,
        target: job.target,
        wakeMode: job.wakeMode,
        enabled: job.enabled,
        deleteAfterRun: job.deleteAfterRun,
        ...patch,
      },
      'update',
    );
    computer.validate(merged.schedule);
    const agentId = normalizeAgentId(merged.agentId);
    const now = clock.now();
    const next: CronJob = {
      ...job,
      name: merged.name ?? job.name,
      agentId,
      schedule: merged.schedule,
      payload: merged.payload,
      target: normalizeTarget(agentId, merged.payload, merged.target),
      wakeMode: merged.wakeMode ?? job.wakeMode,
      enabled: merged.enabled ?? job.enabled,
      deleteAfterRun: merged.deleteAfterRun ?? job.deleteAfterRun,
      updatedAtMs: now,
      state: { ...job.state },
    };
    if (patch.schedule) next.state.completedAtMs = null;
    next.state.nextRunAtMs = next.enabled && !inFlight.has(jobId) ? naturalNext(next, now) : next.state.nextRunAtMs;
    next.state.nextTrigger = 'schedule';
    await persist(next);
    Object.assign(job, next);
    arm();
    return snapshot(job);
  }

  async function remove(jobId: string): Promise<boolean> {
    requireStarted();
    if (!jobs.has(jobId)) return false;
    await store.deleteJob(jobId);
    jobs.delete(jobId);
    history.delete(jobId);
    arm();
    return true;
  }

  async function setEnabled(jobId: string, enabled: boolean, reason?: string): Promise<CronJob> {
    requireStarted();
    const job = requireJob(jobId);
    const now = clock.now();
    const next: CronJob = { ...job, enabled, updatedAtMs: now, state: { ...job.state } };
    if (enabled) {
      next.state.consecutiveFailures = 0;
      next.state.disabledReason = null;
      next.state.disabledAtMs = null;
      next.state.nextRunAtMs = naturalNext(next, now);
      next.state.nextTrigger = 'schedule';
    } else {
      next.state.nextRunAtMs = null;
      next.state.disabledReason = reason ?? 'Disabled by an operator.';
      next.state.disabledAtMs = now;
    }
    await persist(next);
    Object.assign(job, next);
    arm();
    return snapshot(job);
  }

  async function runNow(jobId: string): Promise<CronRunRecord> {
    requireStarted();
    const job = requireJob(jobId);
    const running = inFlight.get(jobId);
    if (running) {
      throw new HeartbeatRouterError('INVALID_INPUT', `Cron job "${jobId}" is already running; wait for it first.`, { field: 'jobId' });
    }
    return execute(job, 'manual', clock.now());
  }

  return {
    start,
    stop: () => {
      stopped = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
    },
    add,
    update,
    remove,
    setEnabled,
    runNow,
    get: (jobId) => {
      const job = jobs.get(jobId);
      return job ? snapshot(job) : undefined;
    },
    list: () => [...jobs.values()].map(snapshot),
    runs: (jobId, limit) => {
      const list = (history.get(jobId) ?? []).slice().reverse();
      return (limit === undefined ? list : list.slice(0, Math.max(0, limit))).map((r) => ({ ...r }));
    },
    idle: async () => {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight.values()]);
    },
  };
}
