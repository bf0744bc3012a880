import {
  createCronScheduler,
  cronJobSchema,
  cronRunRecordSchema,
  resolveHeartbeatSession,
  type CronJob,
  type CronJobInput,
  type CronRunRecord,
  type CronScheduler,
} from '@pincer/heartbeat-router';
import { classifyStorageError } from '../store/storage-faults.js';
import type { Logger } from 'pino';
import { agentSessionConfig, type GatewayConfig } from '../config.js';
import type { AccessScope } from '../credentials/access-scope.js';
import { OPERATOR_CREDENTIAL_ID, type Identity } from '../credentials/identity.js';
import { eventCeilingOf } from '../credentials/event-ceiling.js';
import type { GatewayClock, IdSource } from '../clock.js';
import { notFound } from '../errors.js';
import type { Notify } from '../events/notify.js';
import type { GatewayMetrics } from '../metrics.js';
import type { RunQueue } from '../runs/run-queue.js';
import type { SessionService } from '../sessions/sessions.js';
import type { GatewayStore } from '../store/gateway-store.js';
import { buildCronSchedule } from './cron-schedule.js';
import type { CronShorthand } from './cron-shorthand.js';
import { CLUSTER_SLOT_TAKEN, CRON_RUNS_KEPT_PER_JOB, createCronStore, targetSessionOf } from './cron-store.js';

/** A job as the API shows it: the scheduler's record plus its owner session and the credential that created it. */
export type CronJobView = CronJob & { ownerSessionKey: string | null; createdBy: string | null };

/** What a session asks to schedule. */
export interface CronAddInput extends CronShorthand {
  ownerSessionKey: string;
  agentId: string;
  text?: string | undefined;
  kind?: 'systemEvent' | 'agentTurn' | undefined;
  target?: 'session' | 'isolated' | undefined;
  name?: string | undefined;
  /** The credential that creates the job (`operator`, a token id); an agentTurn job runs under its ceiling. */
  createdBy?: string | undefined;
}

/** Cron jobs owned by sessions; every read takes the caller's scope (other sessions' jobs answer 404). */
export interface CronService {
  readonly scheduler: CronScheduler;
  /** The session that owns a job: the one that created it (stored beside it), else its `session:<key>` target. */
  ownerOf(job: CronJob): string | undefined;
  add(input: CronAddInput): Promise<{ ok: true; job: CronJob } | { ok: false; error: string }>;
  list(scope: AccessScope | undefined): CronJob[];
  require(id: string, scope: AccessScope | undefined): CronJob;
  view(job: CronJob): CronJobView;
  runs(job: CronJob): CronRunRecord[];
  /**
   * Cluster mode: bring this node's scheduler in line with the shared store (jobs other nodes
   * added are scheduled here too, with the same slots; jobs they removed go). Call before reading
   * jobs; a no-op for a single gateway.
   */
  sync(): Promise<void>;
}

/** heartbeat-router's cron scheduler over the store, firing into sessions, plus the owner-scoped service. */
export function createCron(options: {
  config: GatewayConfig;
  store: GatewayStore;
  clock: GatewayClock;
  newId: IdSource;
  runs: Pick<RunQueue, 'enqueue'>;
  sessions: SessionService;
  notify: Notify;
  metrics: GatewayMetrics;
  logger: Logger;
  /** The identity of an active scoped token by id (`undefined` once it is revoked or expired). */
  activeIdentity?: ((credentialId: string) => Identity | undefined) | undefined;
  /**
   * Cluster mode: claim a scheduled slot (job id, scheduled time) before firing it; of the nodes
   * that schedule the job, the one whose claim wins fires it, the others record the slot skipped.
   */
  claimSlot?: ((jobId: string, slotMs: number) => boolean) | undefined;
}): CronService {
  const { config, store, clock } = options;
  const isClustered = options.claimSlot !== undefined;
  let syncing: Promise<void> | undefined;
  const scheduler = createCronScheduler({
    store: createCronStore(store, clock, { isClustered: options.claimSlot !== undefined }),
    clock,
    idGenerator: options.newId,
    timeZone: config.timeZone ?? 'UTC',
    mainSessionKey: (agentId) => resolveHeartbeatSession({ agentId, session: agentSessionConfig(config, agentId) }).queueKey,
    onFire: async (fire) => {
      const job = fire.job;
      if (isClustered && !store.cron.get(job.id)) {
        // Removed through another node since the last sync: never fired, and gone here soon.
        void sync().catch(() => undefined);
        return { status: 'skipped', reason: CLUSTER_SLOT_TAKEN };
      }
      if (options.claimSlot && fire.trigger !== 'manual' && !options.claimSlot(job.id, fire.slotMs)) {
        return { status: 'skipped', reason: CLUSTER_SLOT_TAKEN };
      }
      if (job.payload.kind === 'systemEvent') {
        // Issue 15: the event carries the creator's ceiling (none left once it is revoked or expired).
        const creator = store.cron.get(job.id)?.createdBy ?? null;
        const ceiling =
          creator !== null && creator !== OPERATOR_CREDENTIAL_ID
            ? (eventCeilingOf(options.activeIdentity?.(creator)) ?? { credentialId: creator, capabilities: [] })
            : undefined;
        options.notify({
          ...(ceiling ? { ceiling } : {}),
          sessionKey: fire.sessionKey,
          text: `Cron (${job.name}): ${job.payload.text}`,
          source: 'cron',
          contextKey: `cron:${job.id}`,
          ...(job.wakeMode === 'next-heartbeat' ? { wake: false as const } : {}),
        });
        return { status: 'ok' };
      }
      // A job a scoped token created runs under that token's ceiling, and not at all once it is revoked or expired.
      const createdBy = store.cron.get(job.id)?.createdBy ?? null;
      let identity: Identity | undefined;
      if (createdBy !== null && createdBy !== OPERATOR_CREDENTIAL_ID) {
        identity = options.activeIdentity?.(createdBy);
        if (!identity)
          return { status: 'error', error: `The credential that created this job (${createdBy}) is revoked or expired; no turn was run.` };
      }
      options.sessions.ensure(fire.sessionKey, job.agentId, { kind: 'cron' });
      const { done } = options.runs.enqueue({
        identity,
        sessionKey: fire.sessionKey,
        agentId: job.agentId,
        message: job.payload.message,
        kind: 'cron',
        ...(job.payload.timeoutSeconds ? { timeoutMs: job.payload.timeoutSeconds * 1000 } : {}),
      });
      const finished = await done;
      return finished.status === 'ok' ? { status: 'ok' } : { status: 'error', error: finished.error ?? finished.status };
    },
    onError: (error) => {
      options.metrics.errors.inc({ where: 'cron' });
      options.logger.warn({ err: error }, 'cron store write failed');
    },
    onJobDisabled: (job, reason) => options.logger.warn({ jobId: job.id, reason }, 'cron job disabled'),
  });

  const ownerOf = (job: CronJob): string | undefined => store.cron.get(job.id)?.ownerSessionKey ?? targetSessionOf(job);
  const syncOnce = async (): Promise<void> => {
    const stored = new Map<string, CronJob>();
    for (const row of store.cron.all()) {
      const parsed = cronJobSchema.safeParse(row.record);
      if (parsed.success) stored.set(row.id, parsed.data);
    }
    for (const job of scheduler.list()) if (!stored.has(job.id)) await scheduler.remove(job.id);
    for (const [id, job] of stored) {
      if (scheduler.get(id)) continue;
      const owner = store.cron.get(id);
      // The same id and anchor as on the node that added it: every node computes the same slots.
      await scheduler.add({
        id,
        name: job.name,
        agentId: job.agentId,
        schedule: job.schedule.kind === 'every' ? { ...job.schedule, anchorMs: job.schedule.anchorMs ?? job.createdAtMs } : job.schedule,
        payload: job.payload,
        target: job.target,
        wakeMode: job.wakeMode,
        enabled: job.enabled,
        deleteAfterRun: job.deleteAfterRun,
      });
      // `add` stored its fresh copy: keep the owner and creator of the original.
      if (owner) store.cron.put(id, owner.ownerSessionKey, scheduler.get(id), clock.now(), owner.createdBy);
    }
  };
  const sync = async (): Promise<void> => {
    if (!isClustered) return;
    syncing ??= syncOnce().finally(() => {
      syncing = undefined;
    });
    await syncing;
  };
  return {
    scheduler,
    sync,
    ownerOf,
    async add(input) {
      if (!input.text || input.text.trim() === '') return { ok: false, error: 'cron add needs "text".' };
      const built = buildCronSchedule(input, clock.now());
      if ('error' in built) return { ok: false, error: built.error };
      const jobInput: CronJobInput = {
        agentId: input.agentId,
        schedule: built.schedule,
        payload: input.kind === 'agentTurn' ? { kind: 'agentTurn', message: input.text } : { kind: 'systemEvent', text: input.text },
        target: input.target === 'isolated' ? 'isolated' : `session:${input.ownerSessionKey}`,
        deleteAfterRun: false,
        ...(input.name ? { name: input.name } : {}),
      };
      try {
        const job = await scheduler.add(jobInput);
        // The creating session owns the job even when it runs isolated.
        store.cron.put(job.id, input.ownerSessionKey, job, clock.now(), input.createdBy ?? null);
        return { ok: true, job };
      } catch (error) {
        // Issue 14 item 15: a full disk is a storage answer, not a validation error on `every`.
        if (classifyStorageError(error)) throw error;
        return { ok: false, error: (error as Error).message };
      }
    },
    list: (scope) => scheduler.list().filter((job) => scope === undefined || scope.matches(ownerOf(job))),
    require(id, scope) {
      const job = scheduler.get(id);
      if (!job || (scope !== undefined && !scope.admits(ownerOf(job)))) throw notFound(`Cron job ${id}`);
      return job;
    },
    view: (job) => ({ ...job, ownerSessionKey: ownerOf(job) ?? null, createdBy: store.cron.get(job.id)?.createdBy ?? null }),
    // Cluster mode: the shared history (each slot's one run, whichever node fired it).
    runs: (job) =>
      isClustered
        ? store.cron.runs(job.id, CRON_RUNS_KEPT_PER_JOB).flatMap((record) => {
            const parsed = cronRunRecordSchema.safeParse(record);
            return parsed.success ? [parsed.data] : [];
          })
        : scheduler.runs(job.id),
  };
}
