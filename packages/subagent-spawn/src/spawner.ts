import { z } from 'zod';
import { canonicalizeSessionKey, getSubagentDepth, normalizeAgentId, parseAgentSessionKey } from '@pincer/session-key';
import { canonicalAgentSessionKey, resolveChildSessionKey } from './child-key.js';
import { createSystemClock, type SpawnerClock, type TimerHandle } from './clock.js';
import { describeError, SubagentSpawnError } from './errors.js';
import {
  ANNOUNCE_DEADLINE_MS,
  announceRetryDelayMs,
  childToolPolicy,
  SpawnPolicySchema,
  type ChildToolPolicy,
  type SpawnPolicy,
  type SpawnPolicyInput,
} from './policy.js';
import type { AnnouncementRecord, RunEndStatus, SubagentRunRecord, SubagentRunStore } from './run-store.js';
import {
  LaunchOutcomeSchema,
  SpawnRequestSchema,
  type AnnounceFn,
  type LaunchFn,
  type ResumeSummary,
  type SpawnErrorCode,
  type SpawnForbiddenCode,
  type SpawnRequest,
  type SpawnResult,
} from './spawn-types.js';

/** Where a background failure happened, for {@link SubagentSpawnerOptions.onError}. */
export type SpawnerErrorContext =
  | { phase: 'finish'; runId: string }
  | { phase: 'announce'; runId: string; attempt: number; final: boolean }
  | { phase: 'store'; runId: string };

/** Options of {@link createSubagentSpawner}. */
export interface SubagentSpawnerOptions {
  /** Spawn policy; see `SpawnPolicySchema` for every default. */
  policy: SpawnPolicyInput;
  /** Where runs are persisted (`createInMemoryRunStore()` or the gateway's SQLite store). */
  runs: SubagentRunStore;
  /** Starts a child run; resolves with its outcome. */
  launch: LaunchFn;
  /** Delivers a finished run to its requester; called once per run when it resolves. */
  announce: AnnounceFn;
  /** Time source (default: the system clock, fake-timer friendly). */
  clock?: SpawnerClock;
  /** Id source for run ids and fresh child keys (default `crypto.randomUUID`). */
  newId?: () => string;
  /** Called for background failures (announce attempts, store writes). Default: ignore. Must not throw. */
  onError?: (error: unknown, context: SpawnerErrorContext) => void;
}

/** Options for reading runs as a particular requester. */
export interface RunReadOptions {
  /** When given, only runs requested by this session are visible (others read as not found). */
  requesterSessionKey?: string;
}

/** A sub-agent spawner: policy, child keys, runs, timeouts and exactly-once announcement. */
export interface SubagentSpawner {
  /** The policy with every default applied. */
  readonly policy: Readonly<SpawnPolicy>;
  /**
   * Check policy, record the run and start it. Resolves quickly (does not wait for the child to
   * finish) and never rejects: refusals are `forbidden`, failures `error`. Admissions are serialized
   * per spawner, so two concurrent spawns can never both pass a cap or share a session.
   */
  spawn(request: SpawnRequest): Promise<SpawnResult>;
  /**
   * Call once at startup, before spawning: finalize runs a previous process left `running` (as
   * `error`, interrupted) and schedule every pending announcement (due ones immediately).
   */
  resumePending(): Promise<ResumeSummary>;
  /** One run; with `requesterSessionKey`, another requester's run reads as `undefined`. */
  getRun(runId: string, options?: RunReadOptions): Promise<SubagentRunRecord | undefined>;
  /** Runs, oldest first; with `requesterSessionKey`, only that session's children. */
  listRuns(options?: RunReadOptions): Promise<readonly SubagentRunRecord[]>;
  /** `childToolPolicy(depth, { maxSpawnDepth: policy.maxSpawnDepth })`. */
  toolPolicyFor(depth: number): ChildToolPolicy;
  /** Stop timers, abort live runs' signals and refuse further work. Idempotent. */
  dispose(): void;
}

interface LiveRun {
  controller: AbortController;
  timer: TimerHandle | undefined;
}

const OptionsSchema = z.object({
  runs: z.custom<SubagentRunStore>(
    (v) => typeof v === 'object' && v !== null && typeof (v as SubagentRunStore).create === 'function',
    'runs must implement SubagentRunStore',
  ),
  launch: z.custom<LaunchFn>((v) => typeof v === 'function', 'launch must be a function'),
  announce: z.custom<AnnounceFn>((v) => typeof v === 'function', 'announce must be a function'),
});

const INTERRUPTED_ERROR = 'Interrupted: the gateway stopped before the run finished.';

function forbidden(code: SpawnForbiddenCode, error: string): SpawnResult {
  return { status: 'forbidden', code, error };
}

function failed(code: SpawnErrorCode, error: string): SpawnResult {
  return { status: 'error', code, error };
}

/** The requester key to compare with, or `undefined` when it is not canonical (reads as "none"). */
function requesterKeyForRead(key: string): string | undefined {
  return canonicalAgentSessionKey(key)?.key;
}

/**
 * Create a sub-agent spawner. Throws `SubagentSpawnError` `INVALID_OPTIONS` when the options are
 * wrong (a wiring bug); everything after that answers with data.
 */
export function createSubagentSpawner(options: SubagentSpawnerOptions): SubagentSpawner {
  const policyResult = SpawnPolicySchema.safeParse(options?.policy ?? {});
  if (!policyResult.success) {
    const issue = policyResult.error.issues[0];
    throw new SubagentSpawnError(
      'INVALID_OPTIONS',
      `Invalid spawn policy at policy.${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`,
      { cause: policyResult.error, field: `policy.${issue?.path.join('.') ?? ''}` },
    );
  }
  const wiring = OptionsSchema.safeParse(options);
  if (!wiring.success) {
    const issue = wiring.error.issues[0];
    throw new SubagentSpawnError('INVALID_OPTIONS', issue?.message ?? 'Invalid spawner options', {
      cause: wiring.error,
      field: issue?.path.join('.'),
    });
  }

  const policy: SpawnPolicy = Object.freeze(policyResult.data);
  const { runs, launch, announce } = options;
  const clock = options.clock ?? createSystemClock();
  const newId = options.newId ?? (() => crypto.randomUUID());
  const onError = options.onError ?? (() => {});

  const configuredAgents = new Set(policy.agents.map((id) => normalizeAgentId(id)));
  const normalizeList = (list: readonly string[] | undefined) =>
    list === undefined ? undefined : list.map((id) => (id.trim() === '*' ? '*' : normalizeAgentId(id)));
  const defaultAllow = normalizeList(policy.allowAgents);
  const perAgentAllow = new Map<string, readonly string[] | undefined>();
  for (const [agentId, override] of Object.entries(policy.perAgent ?? {})) {
    if (override.allowAgents !== undefined) perAgentAllow.set(normalizeAgentId(agentId), normalizeList(override.allowAgents));
  }

  // Instance state (no module-level state): live runs, scheduled retries, in-flight deliveries.
  const liveRuns = new Map<string, LiveRun>();
  const retryTimers = new Map<string, TimerHandle>();
  const delivering = new Set<string>();
  const deliveredHere = new Set<string>();
  let disposed = false;
  let admissionTail: Promise<unknown> = Promise.resolve();

  const report = (error: unknown, context: SpawnerErrorContext) => {
    try {
      onError(error, context);
    } catch {
      // a logging hook must not break delivery
    }
  };

  function allowListFor(requesterAgentId: string): readonly string[] | undefined {
    return perAgentAllow.has(requesterAgentId) ? perAgentAllow.get(requesterAgentId) : defaultAllow;
  }

  async function admit(request: SpawnRequest): Promise<SpawnResult> {
    if (disposed) return failed('DISPOSED', 'The sub-agent spawner has been disposed.');
    const parsed = SpawnRequestSchema.safeParse(request);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.join('.') || 'request';
      return failed('INVALID_INPUT', `Invalid ${field}: ${issue?.message ?? 'invalid value'}`);
    }
    const input = parsed.data;

    // --- Requester: its key must be an agent key owned by its agent.
    const requesterAgentId = normalizeAgentId(input.requester.agentId);
    const requester = canonicalAgentSessionKey(input.requester.sessionKey);
    if (!requester) {
      if (parseAgentSessionKey(input.requester.sessionKey)) {
        // Ownership is compared as a string: an alias of a session must not own its children.
        return failed(
          'NON_CANONICAL_SESSION_KEY',
          `Invalid requester.sessionKey "${input.requester.sessionKey.slice(0, 200)}": not canonical; pass canonicalizeSessionKey(key) (${canonicalizeSessionKey(input.requester.sessionKey).slice(0, 200)}).`,
        );
      }
      return failed('INVALID_INPUT', 'Invalid requester.sessionKey: expected agent:<agent-id>:<key>.');
    }
    if (normalizeAgentId(requester.agentId) !== requesterAgentId) {
      return forbidden('REQUESTER_MISMATCH', `Requester session "${requester.key}" does not belong to agent "${requesterAgentId}".`);
    }
    const requesterKey = requester.key;

    // --- Target agent: allowlist first (so refusals never reveal which agents exist), then registry.
    const rawTarget = input.agentId?.trim() ?? '';
    const targetAgentId = rawTarget === '' ? requesterAgentId : normalizeAgentId(rawTarget);
    if (rawTarget !== '' && targetAgentId !== rawTarget.toLowerCase()) {
      return forbidden('UNKNOWN_AGENT', `agentId "${rawTarget}" is not a valid agent id.`);
    }
    const allowList = allowListFor(requesterAgentId);
    const isAllowed =
      targetAgentId === requesterAgentId || (allowList !== undefined && (allowList.includes('*') || allowList.includes(targetAgentId)));
    if (!isAllowed) {
      const allowed = [requesterAgentId, ...(allowList ?? []).filter((id) => id !== requesterAgentId)];
      return forbidden(
        'AGENT_NOT_ALLOWED',
        `agentId "${targetAgentId}" is not allowed for sessions_spawn from agent "${requesterAgentId}" (allowed: ${allowed.join(', ')}).`,
      );
    }
    if (!configuredAgents.has(targetAgentId)) {
      return forbidden('UNKNOWN_AGENT', `agentId "${targetAgentId}" is not a configured agent.`);
    }

    // --- Child key.
    const key = resolveChildSessionKey({ targetAgentId, sessionKey: input.sessionKey, newId });
    if (!key.ok) return forbidden(key.code, key.error);
    const childSessionKey = key.childSessionKey;
    if (childSessionKey === requesterKey) {
      return forbidden('SESSION_BUSY', `Session "${childSessionKey}" is the requester's own session, which is running now.`);
    }

    // --- Store reads: depth, busy, ownership, caps. Nothing is written before all pass.
    let existing: SubagentRunRecord | undefined;
    let depth: number;
    try {
      const requesterRun = await runs.findLatestByChildSessionKey(requesterKey);
      const requesterDepth = Math.max(getSubagentDepth(requesterKey), requesterRun?.depth ?? 0);
      if (requesterDepth >= policy.maxSpawnDepth) {
        return forbidden(
          'DEPTH_LIMIT',
          `sessions_spawn is not allowed at this depth (current depth: ${requesterDepth}, max: ${policy.maxSpawnDepth}).`,
        );
      }
      depth = requesterDepth + 1;
      existing = await runs.findLatestByChildSessionKey(childSessionKey);
      if (existing?.status === 'running') {
        return forbidden('SESSION_BUSY', `Session "${childSessionKey}" is running a sub-agent run right now; wait for its result.`);
      }
      if (existing && policy.childSessionReuse === 'requester' && existing.requesterSessionKey !== requesterKey) {
        return forbidden(
          'FOREIGN_SESSION_KEY',
          `Session "${childSessionKey}" belongs to another requester session; choose a different sessionKey.`,
        );
      }
      const activeChildren = await runs.countActiveByRequester(requesterKey);
      if (activeChildren >= policy.maxChildrenPerSession) {
        return forbidden(
          'CHILD_LIMIT',
          `This session has reached max active children (${activeChildren}/${policy.maxChildrenPerSession}); wait for a result first.`,
        );
      }
      const active = await runs.countActive();
      if (active >= policy.maxConcurrentRuns) {
        return forbidden(
          'CONCURRENCY_LIMIT',
          `Too many sub-agent runs are running (${active}/${policy.maxConcurrentRuns}); try again later.`,
        );
      }
    } catch (error) {
      return failed('STORE_FAILED', `Could not read sub-agent runs: ${describeError(error)}`);
    }

    // --- Write, then launch.
    const runId = newId();
    const record: SubagentRunRecord = {
      runId,
      childSessionKey,
      requesterSessionKey: requesterKey,
      requesterAgentId,
      targetAgentId,
      task: input.task,
      ...(input.label ? { label: input.label } : {}),
      cleanup: input.cleanup ?? 'keep',
      depth,
      runTimeoutSeconds: input.runTimeoutSeconds ?? policy.defaultRunTimeoutSeconds,
      isResumedSession: existing !== undefined && !(existing.cleanup === 'delete' && existing.announcement.state === 'delivered'),
      createdAt: clock.now(),
      status: 'running',
      announcement: { state: 'none', attempts: 0 },
    };
    try {
      await runs.create(record);
    } catch (error) {
      if (SubagentSpawnError.isInstance(error) && error.code === 'SESSION_BUSY') {
        return forbidden('SESSION_BUSY', `Session "${childSessionKey}" is running a sub-agent run right now; wait for its result.`);
      }
      return failed('STORE_FAILED', `Could not record the sub-agent run: ${describeError(error)}`);
    }

    const started = startRun(record);
    if (!started.ok) {
      try {
        await runs.markFinished(runId, {
          status: 'error',
          error: started.error,
          endedAt: clock.now(),
          announcement: { state: 'none', attempts: 0, reason: 'The launch failed; spawn() answered status "error".' },
        });
      } catch (error) {
        report(error, { phase: 'store', runId });
      }
      return failed('LAUNCH_FAILED', `Could not start the sub-agent run: ${started.error}`);
    }
    return { status: 'accepted', childSessionKey, runId };
  }

  function startRun(record: SubagentRunRecord): { ok: true } | { ok: false; error: string } {
    const controller = new AbortController();
    const live: LiveRun = { controller, timer: undefined };
    liveRuns.set(record.runId, live);
    let outcome: Promise<unknown>;
    try {
      outcome = Promise.resolve(
        launch({
          runId: record.runId,
          childSessionKey: record.childSessionKey,
          agentId: record.targetAgentId,
          requesterSessionKey: record.requesterSessionKey,
          requesterAgentId: record.requesterAgentId,
          task: record.task,
          label: record.label,
          depth: record.depth,
          isResumedSession: record.isResumedSession,
          cleanup: record.cleanup,
          runTimeoutSeconds: record.runTimeoutSeconds,
          toolPolicy: childToolPolicy(record.depth, { maxSpawnDepth: policy.maxSpawnDepth }),
          signal: controller.signal,
        }),
      );
    } catch (error) {
      liveRuns.delete(record.runId);
      return { ok: false, error: describeError(error) };
    }
    if (record.runTimeoutSeconds > 0) {
      const seconds = record.runTimeoutSeconds;
      live.timer = clock.setTimeout(() => {
        void finishRun(record.runId, 'timeout', undefined, `The sub-agent run timed out after ${seconds} s.`);
      }, seconds * 1000);
    }
    outcome.then(
      (value) => {
        const parsed = LaunchOutcomeSchema.safeParse(value);
        if (!parsed.success) {
          void finishRun(record.runId, 'error', undefined, 'launch resolved with an invalid outcome.');
          return;
        }
        void finishRun(record.runId, parsed.data.status, parsed.data.result, parsed.data.error);
      },
      (error: unknown) => {
        void finishRun(record.runId, 'error', undefined, describeError(error));
      },
    );
    return { ok: true };
  }

  async function finishRun(runId: string, status: RunEndStatus, result: string | undefined, error: string | undefined): Promise<void> {
    if (disposed) return; // a restarted spawner finalizes it as interrupted
    const live = liveRuns.get(runId);
    if (!live) return; // first end wins (timeout vs. late outcome)
    liveRuns.delete(runId);
    if (live.timer !== undefined) clock.clearTimeout(live.timer);
    if (status === 'timeout') live.controller.abort(new Error(error ?? 'timeout'));
    const now = clock.now();
    try {
      const changed = await runs.markFinished(runId, {
        status,
        result,
        error,
        endedAt: now,
        announcement: pendingAnnouncement(now),
      });
      if (changed) void deliver(runId);
    } catch (storeError) {
      report(storeError, { phase: 'finish', runId });
    }
  }

  function pendingAnnouncement(now: number): AnnouncementRecord {
    return { state: 'pending', attempts: 0, nextAttemptAt: now, deadlineAt: now + ANNOUNCE_DEADLINE_MS };
  }

  function schedule(runId: string, delayMs: number): void {
    if (disposed || retryTimers.has(runId)) return;
    retryTimers.set(
      runId,
      clock.setTimeout(
        () => {
          retryTimers.delete(runId);
          void deliver(runId);
        },
        Math.max(0, delayMs),
      ),
    );
  }

  function announceWithTimeout(input: Parameters<AnnounceFn>[0]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = clock.setTimeout(() => {
        reject(new Error(`announce did not settle within ${policy.announceTimeoutMs} ms`));
      }, policy.announceTimeoutMs);
      Promise.resolve()
        .then(() => announce(input))
        .then(
          () => {
            clock.clearTimeout(timer);
            resolve();
          },
          (error: unknown) => {
            clock.clearTimeout(timer);
            reject(error);
          },
        );
    });
  }

  async function deliver(runId: string): Promise<void> {
    if (disposed || delivering.has(runId) || deliveredHere.has(runId)) return;
    const timer = retryTimers.get(runId);
    if (timer !== undefined) {
      clock.clearTimeout(timer);
      retryTimers.delete(runId);
    }
    delivering.add(runId);
    let attempt = 0;
    try {
      const record = await runs.get(runId);
      if (!record || record.announcement.state !== 'pending' || record.status === 'running') return;
      attempt = record.announcement.attempts + 1;
      const deadlineAt = record.announcement.deadlineAt ?? (record.endedAt ?? clock.now()) + ANNOUNCE_DEADLINE_MS;
      let failure: string | undefined;
      try {
        await announceWithTimeout({
          requesterSessionKey: record.requesterSessionKey,
          childSessionKey: record.childSessionKey,
          runId: record.runId,
          status: record.status,
          result: record.result,
          error: record.error,
          agentId: record.targetAgentId,
          label: record.label,
          task: record.task,
          cleanup: record.cleanup,
          attempt,
        });
      } catch (error) {
        failure = describeError(error);
      }
      const now = clock.now();
      if (failure === undefined) {
        deliveredHere.add(runId);
        await runs.updateAnnouncement(runId, { state: 'delivered', attempts: attempt, deadlineAt, deliveredAt: now });
        return;
      }
      const nextAt = now + announceRetryDelayMs(attempt);
      if (nextAt > deadlineAt) {
        const reason = `Announcement gave up after ${attempt} attempt(s) at the 30 min deadline; last error: ${failure}`;
        await runs.updateAnnouncement(runId, {
          state: 'failed',
          attempts: attempt,
          deadlineAt,
          lastError: failure,
          failedAt: now,
          reason,
        });
        report(new Error(reason), { phase: 'announce', runId, attempt, final: true });
        return;
      }
      await runs.updateAnnouncement(runId, {
        state: 'pending',
        attempts: attempt,
        nextAttemptAt: nextAt,
        deadlineAt,
        lastError: failure,
      });
      report(new Error(failure), { phase: 'announce', runId, attempt, final: false });
      delivering.delete(runId);
      schedule(runId, nextAt - now);
    } catch (storeError) {
      report(storeError, { phase: 'store', runId });
      // Keep trying while the store recovers (only if the announcement was not delivered here).
      if (!deliveredHere.has(runId)) {
        delivering.delete(runId);
        schedule(runId, announceRetryDelayMs(Math.max(1, attempt)));
      }
    } finally {
      delivering.delete(runId);
    }
  }

  async function resumePending(): Promise<ResumeSummary> {
    if (disposed) throw new SubagentSpawnError('DISPOSED', 'The sub-agent spawner has been disposed.');
    let interrupted = 0;
    for (const record of await runs.listRunning()) {
      if (liveRuns.has(record.runId)) continue;
      const now = clock.now();
      const changed = await runs.markFinished(record.runId, {
        status: 'error',
        error: INTERRUPTED_ERROR,
        endedAt: now,
        announcement: pendingAnnouncement(now),
      });
      if (changed) interrupted += 1;
    }
    let resumed = 0;
    const now = clock.now();
    for (const record of await runs.listPendingAnnouncements()) {
      if (delivering.has(record.runId) || retryTimers.has(record.runId) || deliveredHere.has(record.runId)) continue;
      schedule(record.runId, Math.max(0, (record.announcement.nextAttemptAt ?? now) - now));
      resumed += 1;
    }
    return Object.freeze({ interrupted, resumed });
  }

  return {
    policy,
    spawn(request) {
      const result = admissionTail.then(
        () => admit(request),
        () => admit(request),
      );
      admissionTail = result.catch(() => undefined);
      return result.catch((error: unknown) => failed('STORE_FAILED', describeError(error)));
    },
    resumePending,
    async getRun(runId, readOptions = {}) {
      if (typeof runId !== 'string' || runId === '') return undefined;
      const record = await runs.get(runId);
      if (!record) return undefined;
      if (
        readOptions.requesterSessionKey !== undefined &&
        record.requesterSessionKey !== requesterKeyForRead(readOptions.requesterSessionKey)
      ) {
        // Another requester's run and a non-canonical requester key read alike: not found.
        return undefined;
      }
      return record;
    },
    async listRuns(readOptions = {}) {
      if (readOptions.requesterSessionKey !== undefined) {
        const requesterSessionKey = requesterKeyForRead(readOptions.requesterSessionKey);
        if (requesterSessionKey === undefined) return [];
        return runs.list({ requesterSessionKey });
      }
      return runs.list({});
    },
    toolPolicyFor(depth) {
      return childToolPolicy(depth, { maxSpawnDepth: policy.maxSpawnDepth });
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const timer of retryTimers.values()) clock.clearTimeout(timer);
      retryTimers.clear();
      for (const live of liveRuns.values()) {
        if (live.timer !== undefined) clock.clearTimeout(live.timer);
        live.controller.abort(new Error('The sub-agent spawner was disposed.'));
      }
      liveRuns.clear();
    },
  };
}
