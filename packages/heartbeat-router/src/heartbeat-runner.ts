import { normalizeAgentId } from '@pincer/session-key';
import { z } from 'zod';
import { activeHoursSchema, isWithinActiveHours } from './active-hours.js';
import { createSystemClock, type Clock, type TimerHandle } from './clock.js';
import { parseDurationMs } from './duration.js';
import { HeartbeatRouterError } from './errors.js';
import { formatForPrompt } from './format.js';
import { classifyHeartbeatReply, DEFAULT_ACK_MAX_CHARS } from './heartbeat-reply.js';
import { resolveHeartbeatSession, sessionRoutingConfigSchema, type EventSource } from './routing.js';
import type { SystemEvent, SystemEventQueue } from './system-event-queue.js';
import type { WakeReason, WakeRun, WakeRunResult, WakeScheduler } from './wake-scheduler.js';
import { requireAgentSessionKey } from './keys.js';
import { parseInput } from './validate.js';

/** The built-in heartbeat prompt (used when an agent sets none). */
export const DEFAULT_HEARTBEAT_PROMPT =
  'Heartbeat check. Review the system events above, if any, and act on what needs attention. ' +
  'If nothing needs attention, reply HEARTBEAT_OK.';

/** Per-agent heartbeat config. */
export const heartbeatAgentConfigSchema = z.object({
  agentId: z.string().min(1),
  /** Interval: ms or a duration string (`"30m"`, `"2h"`, bare number = minutes). Default `"30m"`; `0` disables the interval. */
  every: z.union([z.string(), z.number()]).optional(),
  /** Interval wakes outside this window are skipped (`quiet-hours`); event and manual wakes are not. */
  activeHours: activeHoursSchema.optional(),
  /** `heartbeat.session`: session interval heartbeats run in. Default: the main session. */
  heartbeatSession: z.string().optional(),
  /** Run each heartbeat in a fresh `<session>:heartbeat` session instead of the session itself. Default false. */
  isolatedSession: z.boolean().optional(),
  /** Heartbeat prompt. Default {@link DEFAULT_HEARTBEAT_PROMPT}. */
  prompt: z.string().optional(),
  /** The agent's `session` config (mainKey, scope, dmScope). */
  sessionConfig: sessionRoutingConfigSchema.optional(),
  /** The agent's DM allowlist (for the dmScope=main rule). */
  allowFrom: z
    .array(z.union([z.string(), z.number()]))
    .readonly()
    .optional(),
});
/** Per-agent heartbeat config. */
export type HeartbeatAgentConfig = z.input<typeof heartbeatAgentConfigSchema>;

/** What `runTurn` receives: one heartbeat turn to run. */
export interface HeartbeatTurnRequest {
  agentId: string;
  /** Session the turn runs in (`<base>:heartbeat` when isolated; may be the literal `global`). */
  sessionKey: string;
  /** Agent-qualified key of the system-event queue these events came from. */
  queueKey: string;
  reason: WakeReason;
  reasons: readonly WakeReason[];
  /** Pending events shown to this turn (consumed after it succeeds). */
  events: readonly SystemEvent[];
  /** `formatForPrompt(events)`: the `System: [...] …` lines, or `''`. */
  systemLines: string;
  /** The heartbeat prompt. */
  prompt: string;
  isolated: boolean;
  /** Suggested turn budget: min(600 s, interval), ms. */
  timeoutMs: number;
}

/** What `runTurn` returns: the reply text (or an object carrying it). */
export type HeartbeatTurnResult = string | { reply?: string | null } | null | undefined;

/** Outcome of one heartbeat. */
export type HeartbeatStatus = 'sent' | 'ok-token' | 'ok-empty' | 'silent' | 'skipped' | 'failed';

/** Record of one heartbeat attempt (passed to `onResult`, kept as the agent's last result). */
export interface HeartbeatResult {
  agentId: string;
  sessionKey: string;
  queueKey: string;
  reason: WakeReason;
  status: HeartbeatStatus;
  /** For `skipped`: `quiet-hours`, `disabled`, `no-pending-event`. */
  skipReason?: string;
  /** For `sent`: the delivered text. */
  text?: string;
  /** For `failed`: the error message. */
  error?: string;
  /** For `failed` turns: consecutive failures of this session so far (1, 2, …). */
  consecutiveFailures?: number;
  /** For `failed` turns: when the wake is retried (epoch ms), after the backoff. */
  nextAttemptAt?: number;
  eventsConsumed: number;
  startedAt: number;
  endedAt: number;
}

/** Options of {@link createHeartbeatRunner}. */
export interface HeartbeatRunnerOptions {
  /** Enrolled agents. Agents not listed still run event and manual wakes, with defaults. */
  agents: readonly HeartbeatAgentConfig[];
  /** The wake scheduler whose `runHeartbeat` calls this runner's `runHeartbeat`. */
  scheduler: Pick<WakeScheduler, 'requestHeartbeatNow'>;
  /** Runs the model turn (the caller's; the package stays model-agnostic). */
  runTurn(request: HeartbeatTurnRequest): HeartbeatTurnResult | Promise<HeartbeatTurnResult>;
  /** Delivers an `alert` reply. Default: none (the result still says `sent` with its text). */
  deliver?(delivery: { agentId: string; sessionKey: string; text: string }): void | Promise<void>;
  /** Events to show and consume. Default: none (turns get no events). */
  queue?: Pick<SystemEventQueue, 'peek' | 'remove'>;
  clock?: Clock;
  /** Zone of the `System: [...]` timestamps and of active hours without a zone. Default `UTC`. */
  timeZone?: string;
  /** Max non-token characters of an ack. Default 300. */
  ackMaxChars?: number;
  onResult?(result: HeartbeatResult): void;
  /**
   * Backoff of a session whose heartbeat turn keeps failing (`runTurn` or `deliver` throws, e.g. a
   * provider outage): the runner wakes it again after `initialMs`, then doubling (`factor`) up
   * to `maxMs`; until then other wakes of that session are skipped (`backoff`) — a `manual` wake
   * still runs. Its events stay queued. Defaults: 5 000 ms, ×2, 300 000 ms (5 min).
   */
  failureBackoff?: HeartbeatBackoffOptions;
  /** Sessions whose backoff is remembered at once (oldest forgotten first). Default 10 000. */
  maxBackoffSessions?: number;
}

/** Options of the heartbeat failure backoff (see {@link HeartbeatRunnerOptions.failureBackoff}). */
export interface HeartbeatBackoffOptions {
  /** Delay after the first failure, ms. Default 5 000. */
  initialMs?: number;
  /** Cap of the delay, ms. Default 300 000. */
  maxMs?: number;
  /** Growth per consecutive failure. Default 2. */
  factor?: number;
}

/** Default first backoff delay after a failed heartbeat turn: 5 s. */
export const DEFAULT_HEARTBEAT_BACKOFF_INITIAL_MS = 5_000;
/** Default backoff cap: 5 min. */
export const DEFAULT_HEARTBEAT_BACKOFF_MAX_MS = 300_000;
/** Default backoff growth factor. */
export const DEFAULT_HEARTBEAT_BACKOFF_FACTOR = 2;

/** A session whose heartbeat turns are failing and backing off. */
export interface HeartbeatBackoffEntry {
  /** The session's queue key (agent-qualified, canonical). */
  readonly sessionKey: string;
  readonly agentId: string;
  /** Failed turns in a row. */
  readonly consecutiveFailures: number;
  /** The last failure's message. */
  readonly lastError: string;
  /** When the last failure happened, epoch ms. */
  readonly lastFailedAt: number;
  /** When the next attempt may run, epoch ms. */
  readonly nextAttemptAt: number;
}

/** Heartbeat state of one session, for status pages. */
export type HeartbeatSessionStatus =
  | { readonly state: 'ok'; readonly sessionKey: string }
  | ({ readonly state: 'backing-off' } & HeartbeatBackoffEntry);

/** Heartbeat runner instance. */
export interface HeartbeatRunner {
  /** Arms the per-agent interval timers (first tick one interval from now). Idempotent. */
  start(): void;
  /** Clears the interval timers. */
  stop(): void;
  /** The scheduler's handler: runs one heartbeat for a coalesced wake. Never throws. */
  runHeartbeat(run: WakeRun): Promise<WakeRunResult>;
  /**
   * Requests a heartbeat through the scheduler; the session is chosen by `resolveHeartbeatSession`
   * (forced `sessionKey` > `heartbeat.session` > main). `source` defaults from the reason
   * (`exec-event` → `exec`, …), so event wakes follow the dmScope=main rule.
   */
  wake(input: { agentId: string; sessionKey?: string; reason: WakeReason; source?: EventSource }): { sessionKey: string };
  /** Interval of an agent in ms (0 = disabled). */
  intervalMs(agentId: string): number;
  /** The last result per agent. */
  lastResult(agentId: string): HeartbeatResult | undefined;
  /**
   * Heartbeat state of a session (its canonical queue key): `backing-off` with
   * `nextAttemptAt` while its turns keep failing, else `ok`.
   */
  status(sessionKey: string): HeartbeatSessionStatus;
  /** Every session currently backing off, soonest `nextAttemptAt` first. */
  backoffSnapshot(): readonly HeartbeatBackoffEntry[];
}

interface AgentState {
  config: z.output<typeof heartbeatAgentConfigSchema>;
  everyMs: number;
  timer: TimerHandle | undefined;
  nextTickAt: number;
}

const backoffOptionsSchema = z.object({
  initialMs: z.number().int().min(1).optional(),
  maxMs: z.number().int().min(1).optional(),
  factor: z.number().min(1).max(100).optional(),
});

const EVENT_REASONS: ReadonlySet<WakeReason> = new Set(['exec-event', 'cron-event', 'subagent-event']);

/** The event source a wake reason implies (for the dmScope=main rule on forced keys). */
const SOURCE_BY_REASON: Readonly<Record<WakeReason, EventSource>> = {
  'exec-event': 'exec',
  'cron-event': 'cron',
  'subagent-event': 'subagent',
  manual: 'manual',
  interval: 'other',
  retry: 'other',
};

/** Creates a heartbeat runner. Wire it as `createWakeScheduler({ runHeartbeat: (r) => runner.runHeartbeat(r) })`. */
export function createHeartbeatRunner(options: HeartbeatRunnerOptions): HeartbeatRunner {
  const clock = options.clock ?? createSystemClock();
  const timeZone = options.timeZone ?? 'UTC';
  const ackMaxChars = options.ackMaxChars ?? DEFAULT_ACK_MAX_CHARS;
  const agents = new Map<string, AgentState>();
  const last = new Map<string, HeartbeatResult>();
  const backoff = new Map<string, HeartbeatBackoffEntry>();
  const backoffTimers = new Map<string, TimerHandle>();
  const backoffOptions = parseInput(backoffOptionsSchema, options.failureBackoff ?? {}, 'failureBackoff');
  const backoffInitialMs = backoffOptions.initialMs ?? DEFAULT_HEARTBEAT_BACKOFF_INITIAL_MS;
  const backoffMaxMs = Math.max(backoffInitialMs, backoffOptions.maxMs ?? DEFAULT_HEARTBEAT_BACKOFF_MAX_MS);
  const backoffFactor = backoffOptions.factor ?? DEFAULT_HEARTBEAT_BACKOFF_FACTOR;
  const maxBackoffSessions = parseInput(z.number().int().min(1), options.maxBackoffSessions ?? 10_000, 'maxBackoffSessions');
  let started = false;

  function clearBackoff(sessionKey: string): void {
    backoff.delete(sessionKey);
    const timer = backoffTimers.get(sessionKey);
    if (timer !== undefined) clock.clearTimeout(timer);
    backoffTimers.delete(sessionKey);
  }

  /**
   * Records one failed turn of `sessionKey` and arms the retry wake (same reason as the failed
   * run, so an event retry still follows the event rules); returns the backoff entry.
   */
  function recordFailure(sessionKey: string, agentId: string, reason: WakeReason, error: string, now: number): HeartbeatBackoffEntry {
    const failures = (backoff.get(sessionKey)?.consecutiveFailures ?? 0) + 1;
    const delayMs = Math.min(backoffMaxMs, backoffInitialMs * backoffFactor ** Math.min(failures - 1, 64));
    const entry: HeartbeatBackoffEntry = Object.freeze({
      sessionKey,
      agentId,
      consecutiveFailures: failures,
      lastError: error,
      lastFailedAt: now,
      nextAttemptAt: now + delayMs,
    });
    clearBackoff(sessionKey); // re-insert: Map order is "least recently failed first"
    backoff.set(sessionKey, entry);
    if (backoff.size > maxBackoffSessions) {
      const oldest = backoff.keys().next();
      if (!oldest.done) clearBackoff(oldest.value);
    }
    backoffTimers.set(
      sessionKey,
      clock.setTimeout(() => {
        backoffTimers.delete(sessionKey);
        try {
          options.scheduler.requestHeartbeatNow({ sessionKey, agentId, reason });
        } catch {
          // The scheduler was disposed; the session stays listed as backing off.
        }
      }, delayMs),
    );
    return entry;
  }

  parseInput(z.array(z.unknown()), options.agents, 'agents').forEach((raw, index) => {
    const config = parseInput(heartbeatAgentConfigSchema, raw, `agents.${index}`);
    const agentId = normalizeAgentId(config.agentId);
    if (agents.has(agentId)) {
      throw new HeartbeatRouterError('INVALID_INPUT', `agents.${index}.agentId "${agentId}" is listed twice.`, {
        field: `agents.${index}.agentId`,
      });
    }
    const everyMs = parseDurationMs(config.every ?? '30m', { field: `agents.${index}.every`, defaultUnit: 'm' });
    agents.set(agentId, { config: { ...config, agentId }, everyMs, timer: undefined, nextTickAt: 0 });
  });

  function configOf(agentId: string): AgentState['config'] {
    return agents.get(agentId)?.config ?? { agentId };
  }

  function arm(state: AgentState): void {
    if (state.everyMs <= 0) return;
    state.timer = clock.setTimeout(
      () => {
        state.timer = undefined;
        state.nextTickAt += state.everyMs;
        // Slept through ticks (e.g. a suspended host): one wake, then the cadence resumes from now.
        if (state.nextTickAt <= clock.now()) state.nextTickAt = clock.now() + state.everyMs;
        try {
          wake({ agentId: state.config.agentId, reason: 'interval' });
        } catch {
          // The scheduler was disposed or rejected the key; the next tick tries again.
        }
        if (started) arm(state);
      },
      Math.max(0, state.nextTickAt - clock.now()),
    );
  }

  function wake(input: { agentId: string; sessionKey?: string; reason: WakeReason; source?: EventSource }): { sessionKey: string } {
    const agentId = normalizeAgentId(input.agentId);
    const source = input.source ?? SOURCE_BY_REASON[input.reason];
    const cfg = configOf(agentId);
    const resolved = resolveHeartbeatSession({
      agentId,
      forcedSessionKey: input.sessionKey,
      heartbeatSession: cfg.heartbeatSession,
      session: cfg.sessionConfig,
      allowFrom: cfg.allowFrom,
      source,
    });
    options.scheduler.requestHeartbeatNow({ sessionKey: resolved.queueKey, agentId, reason: input.reason });
    return { sessionKey: resolved.queueKey };
  }

  async function runHeartbeat(run: WakeRun): Promise<WakeRunResult> {
    const startedAt = clock.now();
    const cfg = configOf(run.agentId);
    const state = agents.get(run.agentId);
    const runSessionKey =
      run.sessionKey === `agent:${run.agentId}:global` && cfg.sessionConfig?.scope === 'global' ? 'global' : run.sessionKey;
    const base = { agentId: run.agentId, sessionKey: runSessionKey, queueKey: run.sessionKey, reason: run.reason };
    const report = (result: Omit<HeartbeatResult, keyof typeof base | 'startedAt' | 'endedAt'>): WakeRunResult => {
      const full: HeartbeatResult = { ...base, ...result, startedAt, endedAt: clock.now() };
      last.set(run.agentId, full);
      options.onResult?.(full);
      return result.status === 'skipped' ? { status: 'skipped', reason: result.skipReason } : { status: 'ran' };
    };

    const onlyInterval = run.reasons.every((r) => r === 'interval' || r === 'retry');
    if (onlyInterval && state && state.everyMs <= 0) return report({ status: 'skipped', skipReason: 'disabled', eventsConsumed: 0 });
    if (onlyInterval && !isWithinActiveHours(cfg.activeHours, startedAt, timeZone)) {
      return report({ status: 'skipped', skipReason: 'quiet-hours', eventsConsumed: 0 });
    }
    let events: SystemEvent[] = [];
    try {
      events = options.queue ? options.queue.peek(run.sessionKey) : [];
    } catch (error) {
      return report({ status: 'failed', error: errorMessage(error), eventsConsumed: 0 });
    }
    const onlyEvents = run.reasons.every((r) => EVENT_REASONS.has(r));
    if (options.queue && onlyEvents && events.length === 0) {
      return report({ status: 'skipped', skipReason: 'no-pending-event', eventsConsumed: 0 });
    }
    const held = backoff.get(run.sessionKey);
    if (held && run.reason !== 'manual' && startedAt < held.nextAttemptAt) {
      // Still backing off: no turn and no result; the backoff timer wakes the session again.
      return { status: 'skipped', reason: 'backoff' };
    }
    const isolated = cfg.isolatedSession === true;
    const everyMs = state?.everyMs ?? 30 * 60_000;
    const request: HeartbeatTurnRequest = {
      agentId: run.agentId,
      sessionKey: isolated ? `${runSessionKey}:heartbeat` : runSessionKey,
      queueKey: run.sessionKey,
      reason: run.reason,
      reasons: run.reasons,
      events,
      systemLines: formatForPrompt(events, { timeZone }),
      prompt: cfg.prompt ?? DEFAULT_HEARTBEAT_PROMPT,
      isolated,
      timeoutMs: Math.min(600_000, everyMs > 0 ? everyMs : 600_000),
    };
    /** A failed turn: events stay queued, the wake comes back after the backoff. */
    const fail = (error: string): WakeRunResult => {
      const retryReason = run.reason === 'manual' ? (run.reasons.find((reason) => reason !== 'manual') ?? 'manual') : run.reason;
      const entry = recordFailure(run.sessionKey, run.agentId, retryReason, error, clock.now());
      return report({
        status: 'failed',
        error,
        eventsConsumed: 0,
        consecutiveFailures: entry.consecutiveFailures,
        nextAttemptAt: entry.nextAttemptAt,
      });
    };
    let reply: string | undefined;
    try {
      const out = await options.runTurn(request);
      reply = typeof out === 'string' ? out : (out?.reply ?? undefined);
    } catch (error) {
      return fail(errorMessage(error));
    }
    const classified = classifyHeartbeatReply(reply, { ackMaxChars });
    let status: HeartbeatStatus;
    if (classified.kind === 'alert') {
      try {
        await options.deliver?.({ agentId: run.agentId, sessionKey: request.sessionKey, text: classified.text });
      } catch (error) {
        return fail(`delivery failed: ${errorMessage(error)}`);
      }
      status = 'sent';
    } else {
      status = classified.kind === 'ack' ? 'ok-token' : classified.kind === 'empty' ? 'ok-empty' : 'silent';
    }
    clearBackoff(run.sessionKey);
    let consumed = 0;
    if (options.queue && events.length > 0) {
      consumed = options.queue.remove(
        run.sessionKey,
        events.map((e) => e.id),
      );
    }
    return report({
      status,
      ...(status === 'sent' ? { text: classified.text } : {}),
      eventsConsumed: consumed,
    });
  }

  return {
    start: () => {
      if (started) return;
      started = true;
      for (const state of agents.values()) {
        state.nextTickAt = clock.now() + state.everyMs;
        arm(state);
      }
    },
    stop: () => {
      started = false;
      for (const timer of backoffTimers.values()) clock.clearTimeout(timer);
      backoffTimers.clear();
      for (const state of agents.values()) {
        if (state.timer !== undefined) clock.clearTimeout(state.timer);
        state.timer = undefined;
      }
    },
    runHeartbeat,
    wake,
    intervalMs: (agentId) => agents.get(normalizeAgentId(agentId))?.everyMs ?? 30 * 60_000,
    lastResult: (agentId) => last.get(normalizeAgentId(agentId)),
    status: (sessionKey) => {
      const key = requireAgentSessionKey(sessionKey).sessionKey;
      const entry = backoff.get(key);
      return entry ? { state: 'backing-off', ...entry } : { state: 'ok', sessionKey: key };
    },
    backoffSnapshot: () => [...backoff.values()].sort((left, right) => left.nextAttemptAt - right.nextAttemptAt),
  };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
