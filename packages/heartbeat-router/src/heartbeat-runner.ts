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
  allowFrom: z.array(z.union([z.string(), z.number()])).readonly().optional(),
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
}

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
}

interface AgentState {
  config: z.output<typeof heartbeatAgentConfigSchema>;
  everyMs: number;
  timer: TimerHandle | undefined;
  nextTickAt: number;
}

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
  let started = false;

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
    state.timer = clock.setTimeout(() => {
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
    }, Math.max(0, state.nextTickAt - clock.now()));
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
    const runSessionKey = run.sessionKey === `agent:${run.agentId}:global` && cfg.sessionConfig?.scope === 'global' ? 'global' : run.sessionKey;
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
    let reply: string | undefined;
    try {
      const out = await options.runTurn(request);
      reply = typeof out === 'string' ? out : (out?.reply ?? undefined);
    } catch (error) {
      // Events stay queued for the next wake; the wake itself is not retried in a loop.
      return report({ status: 'failed', error: errorMessage(error), eventsConsumed: 0 });
    }
    const classified = classifyHeartbeatReply(reply, { ackMaxChars });
    let status: HeartbeatStatus;
    if (classified.kind === 'alert') {
      try {
        await options.deliver?.({ agentId: run.agentId, sessionKey: request.sessionKey, text: classified.text });
      } catch (error) {
        return report({ status: 'failed', error: `delivery failed: ${errorMessage(error)}`, eventsConsumed: 0 });
      }
      status = 'sent';
    } else {
      status = classified.kind === 'ack' ? 'ok-token' : classified.kind === 'empty' ? 'ok-empty' : 'silent';
    }
    let consumed = 0;
    if (options.queue && events.length > 0) {
      consumed = options.queue.remove(run.sessionKey, events.map((e) => e.id));
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
      for (const state of agents.values()) {
        if (state.timer !== undefined) clock.clearTimeout(state.timer);
        state.timer = undefined;
      }
    },
    runHeartbeat,
    wake,
    intervalMs: (agentId) => agents.get(normalizeAgentId(agentId))?.everyMs ?? 30 * 60_000,
    lastResult: (agentId) => last.get(normalizeAgentId(agentId)),
  };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
