import { getSubagentDepth, normalizeAgentId } from '@pincer/session-key';
import type { GatewayConfig } from '../config.js';
import type { AccessScope } from '../credentials/access-scope.js';
import type { Identity } from '../credentials/identity.js';
import type { GatewayClock, IdSource } from '../clock.js';
import { GatewayError, notFound } from '../errors.js';
import type { EventBus } from '../events/event-bus.js';
import type { SessionService } from '../sessions/sessions.js';
import { canonicalSessionKey } from '../security/canonical-session-key.js';
import { createSessionQuota, DEFAULT_SESSION_CAPS } from '../security/session-quota.js';
import { assertExplicitTurnOwner, type TurnTargetResolver } from '../sessions/turn-target.js';
import type { GatewayStore, RunKind, RunRecord } from '../store/gateway-store.js';
import { deniedToolsForDepth } from '../tools/policy.js';
import type { AgentLoop } from './agent-loop.js';
import type { Lanes } from './lanes.js';
import { toRunView, type AgentTurnInput, type EnqueueRunInput, type EnqueuedRun, type RunView } from './run-types.js';

/** Default of `gateway.runTimeoutMs`. */
export const DEFAULT_RUN_TIMEOUT_MS = 600_000;
/** Default of `gateway.maxQueuedRuns`: turns queued or running before HTTP submissions get 503. */
export const DEFAULT_MAX_QUEUED_RUNS = 1_000;
/** Longest `waitMs` a run read waits, ms. */
export const MAX_RUN_WAIT_MS = 120_000;

/** Admission, the per-session lanes, and reads of runs (waiting for them to finish). */
export interface RunQueue {
  /** Queue a turn in an already-resolved session (internal callers and HTTP). */
  enqueue(input: EnqueueRunInput): EnqueuedRun;
  /**
   * Resolve the target, apply idempotency, queue; resolves at once. `admit` may refuse the
   * resolved session (it throws) before anything is looked up or queued; `identity` is the
   * credential the run acts for (its tool ceiling applies).
   */
  submitTurn(
    input: AgentTurnInput & { kind?: RunKind },
    options?: { identity?: Identity | undefined; admit?: ((sessionKey: string) => void) | undefined },
  ): { runId: string; sessionKey: string; isDuplicate: boolean };
  /** The run promise of a queued or running run, if this gateway runs it. */
  waitFor(runId: string): Promise<RunRecord> | undefined;
  /** A run's view, waiting up to `waitMs` for it to finish. With `scope`, other sessions' runs answer 404. */
  read(runId: string, options: { waitMs?: number | undefined; scope?: AccessScope | undefined }): Promise<RunView>;
  isBusy(sessionKey: string): boolean;
  /** Runs left queued/running by a dead gateway are finalized as interrupted (never silently replayed). */
  finalizeInterrupted(): void;
  /** Refuse new runs; queued ones end as "gateway is shutting down". */
  stopAccepting(): void;
  /** Resolves when every lane is idle or after `timeoutMs`. */
  settle(timeoutMs: number): Promise<void>;
}

/** Options of {@link createRunQueue}. */
export interface RunQueueOptions {
  config: GatewayConfig;
  store: GatewayStore;
  clock: GatewayClock;
  newId: IdSource;
  lanes: Lanes;
  agentLoop: AgentLoop;
  sessions: SessionService;
  resolveTurnTarget: TurnTargetResolver;
  bus: EventBus;
}

/** Build the run queue. */
export function createRunQueue(options: RunQueueOptions): RunQueue {
  const { config, store, clock, lanes, bus } = options;
  const maxQueuedRuns = config.gateway?.maxQueuedRuns ?? DEFAULT_MAX_QUEUED_RUNS;
  const waiters = new Map<string, Promise<RunRecord>>();
  let isAccepting = true;

  const perSessionRuns = createSessionQuota(config.security?.perSession?.maxQueuedRuns ?? DEFAULT_SESSION_CAPS.maxQueuedRunsPerSession);
  const enqueue = (rawInput: EnqueueRunInput): EnqueuedRun => {
    if (!isAccepting) throw new GatewayError('unavailable', 'The gateway is shutting down; retry against the restarted gateway.');
    // Issue 14 item 1: whatever the source, the run's session is the canonical key.
    const input: EnqueueRunInput = {
      ...rawInput,
      sessionKey: canonicalSessionKey(rawInput.sessionKey),
      ...(rawInput.eventsFrom !== undefined ? { eventsFrom: canonicalSessionKey(rawInput.eventsFrom) } : {}),
    };
    // Bound the in-memory lanes against callers from outside; internal wakes, cron and sub-agents are bounded by their own caps.
    const isExternal = input.kind === 'user' || input.kind === 'inbound';
    if (isExternal && lanes.pending() >= maxQueuedRuns) {
      throw new GatewayError('unavailable', `Too many turns queued or running (${maxQueuedRuns}, gateway.maxQueuedRuns); retry later.`);
    }
    // Item 12: one session cannot take every queue slot.
    const releaseSlot = isExternal ? perSessionRuns.tryAcquire(input.sessionKey) : () => undefined;
    if (!releaseSlot) {
      throw new GatewayError(
        'unavailable',
        `Session ${input.sessionKey} has ${perSessionRuns.limit} turns queued or running (security.perSession.maxQueuedRuns); retry when they finish.`,
      );
    }
    try {
      return startRun(input, releaseSlot);
    } catch (error) {
      releaseSlot();
      throw error;
    }
  };

  const startRun = (input: EnqueueRunInput, releaseSlot: () => void): EnqueuedRun => {
    const agentId = normalizeAgentId(input.agentId);
    options.sessions.ensure(input.sessionKey, agentId);
    const run: RunRecord = {
      id: options.newId(),
      sessionKey: input.sessionKey,
      agentId,
      kind: input.kind,
      status: 'queued',
      message: input.message,
      reply: null,
      error: null,
      idempotencyKey: input.idempotencyKey ?? null,
      createdAt: clock.now(),
      startedAt: null,
      endedAt: null,
    };
    store.runs.insert(run);
    bus.publish({ type: 'run.queued', sessionKey: run.sessionKey, runId: run.id, kind: run.kind });
    const depth = input.depth ?? getSubagentDepth(input.sessionKey);
    const denied = new Set([...(input.deniedTools ?? []), ...deniedToolsForDepth(config, depth)]);
    const done = lanes
      .run(input.sessionKey, async () => {
        if (!isAccepting) {
          store.runs.update(run.id, { status: 'error', error: 'gateway is shutting down', endedAt: clock.now() });
          return store.runs.get(run.id)!;
        }
        return options.agentLoop.execute(run, {
          timeoutMs: input.timeoutMs ?? config.gateway?.runTimeoutMs ?? DEFAULT_RUN_TIMEOUT_MS,
          depth,
          denied,
          signal: input.signal,
          eventsFrom: input.eventsFrom,
          identity: input.identity,
        });
      })
      // The lane's guard (cluster mode: the session's run lock) refused: the run ends, never hangs queued.
      .catch((error: unknown) => {
        const current = store.runs.get(run.id);
        if (current && (current.status === 'queued' || current.status === 'running')) {
          store.runs.update(run.id, {
            status: 'error',
            error: error instanceof Error ? error.message : String(error),
            endedAt: clock.now(),
          });
        }
        return store.runs.get(run.id) ?? run;
      });
    waiters.set(run.id, done);
    void done
      .finally(() => {
        waiters.delete(run.id);
        releaseSlot();
      })
      .catch(() => undefined);
    return { run, done };
  };

  return {
    enqueue,
    submitTurn(input, submitOptions) {
      if (input.message.trim() === '') throw new GatewayError('invalid_request', 'message must not be blank', { field: 'message' });
      const target = options.resolveTurnTarget(input);
      submitOptions?.admit?.(target.sessionKey);
      // After the seed-003 key checks (their messages come first), before anything is dispatched.
      assertExplicitTurnOwner(options.config, input);
      if (input.idempotencyKey) {
        // Scoped per session: a key another session used is invisible here (no cross-session oracle).
        const prior = store.runs.getByIdempotencyKey(input.idempotencyKey, target.sessionKey);
        if (prior) return { runId: prior.id, sessionKey: prior.sessionKey, isDuplicate: true };
      }
      const { run } = enqueue({
        sessionKey: target.sessionKey,
        agentId: target.agentId,
        message: input.message,
        kind: input.kind ?? 'user',
        timeoutMs: input.timeoutMs,
        idempotencyKey: input.idempotencyKey || undefined,
        identity: submitOptions?.identity,
      });
      return { runId: run.id, sessionKey: run.sessionKey, isDuplicate: false };
    },
    waitFor: (runId) => waiters.get(runId),
    async read(runId, { waitMs, scope }) {
      const run = store.runs.get(runId);
      if (!run || (scope !== undefined && !scope.admits(run.sessionKey))) throw notFound(`Run ${runId}`);
      const pending = waiters.get(runId);
      if ((run.status === 'queued' || run.status === 'running') && waitMs && waitMs > 0 && pending) {
        let timer: unknown;
        await Promise.race([
          pending.catch(() => undefined),
          new Promise<void>((resolve) => {
            timer = clock.setTimeout(resolve, Math.min(waitMs, MAX_RUN_WAIT_MS));
          }),
        ]);
        clock.clearTimeout(timer);
      } else if ((run.status === 'queued' || run.status === 'running') && waitMs && waitMs > 0) {
        // Cluster mode: a run another node accepted has no waiter here; its row is polled until it
        // ends (every 25 ms, backing off to 500 ms) or the wait runs out.
        const deadline = clock.now() + Math.min(waitMs, MAX_RUN_WAIT_MS);
        for (let pauseMs = 25; clock.now() < deadline; pauseMs = Math.min(pauseMs * 2, 500)) {
          await new Promise<void>((resolve) => clock.setTimeout(resolve, Math.min(pauseMs, Math.max(0, deadline - clock.now()))));
          const polled = store.runs.get(runId);
          if (!polled || (polled.status !== 'queued' && polled.status !== 'running')) break;
        }
      }
      const latest = store.runs.get(runId);
      if (!latest) throw notFound(`Run ${runId}`);
      return toRunView(latest);
    },
    isBusy: (sessionKey) => lanes.isBusy(sessionKey),
    finalizeInterrupted() {
      for (const run of store.runs.listByStatus(['queued', 'running'])) {
        store.runs.update(run.id, {
          status: 'error',
          error: 'interrupted: the gateway restarted before this run finished',
          endedAt: clock.now(),
        });
      }
    },
    stopAccepting() {
      isAccepting = false;
    },
    settle: (timeoutMs) =>
      Promise.race([
        lanes.idle(),
        new Promise<void>((resolve) => {
          clock.setTimeout(resolve, timeoutMs);
        }),
      ]),
  };
}
