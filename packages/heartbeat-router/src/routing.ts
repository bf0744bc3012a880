import {
  buildAgentMainSessionKey,
  canonicalizeMainSessionAlias,
  isCronRunSessionKey,
  isSubagentSessionKey,
  canonicalizeSessionKey,
  normalizeAgentId,
} from '@pincer/session-key';
import { z } from 'zod';
import { HeartbeatRouterError } from './errors.js';
import { requireAgentSessionKey } from './keys.js';
import { parseInput } from './validate.js';

/** `session.dmScope` values (OpenClaw-compatible). Unset behaves as `main`. */
export const dmScopeSchema = z.enum(['main', 'per-peer', 'per-channel-peer', 'per-account-channel-peer']);
/** A `session.dmScope` value. */
export type DmScope = z.infer<typeof dmScopeSchema>;

/** The `session` config block routing reads. */
export const sessionRoutingConfigSchema = z.object({
  /** Default `main`. */
  dmScope: dmScopeSchema.optional(),
  /** Main session suffix; default `main`. */
  mainKey: z.string().optional(),
  /** `global` collapses the main session to the literal `global`. Default `per-sender`. */
  scope: z.enum(['per-sender', 'global']).optional(),
});
/** The `session` config block routing reads. */
export type SessionRoutingConfig = z.infer<typeof sessionRoutingConfigSchema>;

/** Who produced a system event. `exec`, `cron` and `subagent` are subject to the dmScope=main rule. */
export const eventSourceSchema = z.enum(['exec', 'cron', 'subagent', 'manual', 'hook', 'other']);
/** Who produced a system event. */
export type EventSource = z.infer<typeof eventSourceSchema>;

const allowFromSchema = z.array(z.union([z.string(), z.number()])).readonly();

/** Input of {@link resolveEventSession}. */
export const resolveEventSessionInputSchema = z.object({
  /** The session the event is about (the launching session). Must be `agent:<id>:…`. */
  sessionKey: z.string(),
  source: eventSourceSchema,
  /** The owning agent's `session` config. */
  session: sessionRoutingConfigSchema.optional(),
  /** The owning agent's DM allowlist (channel `allowFrom`). Unset or empty = no single owner. */
  allowFrom: allowFromSchema.optional(),
  /** A route binding pins this exact key (e.g. `per-account-channel-peer` binding): never re-key. */
  preserveSessionKey: z.boolean().optional(),
});
/** Input of {@link resolveEventSession}. */
export type ResolveEventSessionInput = z.input<typeof resolveEventSessionInputSchema>;

/** Which rule decided the target session. */
export type EventRoutingRule = 'unchanged' | 'subagent-session' | 'cron-run' | 'dm-scope-main' | 'preserved';

/** Result of {@link resolveEventSession}. */
export interface ResolvedEventSession {
  /** Agent-qualified key to enqueue on and to wake (`agent:<id>:global` under global scope). */
  sessionKey: string;
  agentId: string;
  rule: EventRoutingRule;
  /** True when `sessionKey` differs from the (normalized) input key. */
  rerouted: boolean;
}

/**
 * The single pinned DM owner of an allowlist, or `null`: no `*` entry, and exactly one distinct
 * entry after trimming and lower-casing (blank entries ignored). Numbers count as strings.
 */
export function resolveSingleOwner(allowFrom: readonly (string | number)[] | undefined): string | null {
  if (!allowFrom) return null;
  const owners = new Set<string>();
  for (const raw of allowFrom) {
    const entry = String(raw).trim().toLowerCase();
    if (entry === '*') return null;
    if (entry !== '') owners.add(entry);
  }
  if (owners.size !== 1) return null;
  const [owner] = owners;
  return owner ?? null;
}

/** The agent's main session as a queue/wake key (`agent:<id>:global` under global scope). */
function mainQueueKey(agentId: string, session: SessionRoutingConfig | undefined): string {
  if (session?.scope === 'global') return `agent:${agentId}:global`;
  return buildAgentMainSessionKey({ agentId, mainKey: session?.mainKey });
}

const DM_SCOPE_SOURCES: ReadonlySet<EventSource> = new Set(['exec', 'cron', 'subagent']);

/**
 * Decides which session an event about `sessionKey` is queued on (and therefore which session
 * wakes). Rules, first match wins:
 * 1. sub-agent sessions keep their own events;
 * 2. cron-run keys (`agent:<id>:cron:<job>:run:<run>`) → the agent's main session;
 * 3. `preserveSessionKey` → unchanged;
 * 4. `exec` / `cron` / `subagent` events, with `session.dmScope` `main` (or unset) **and** a
 *    single-owner `allowFrom` → `agent:<id>:<mainKey>` (the seed-001 rule);
 * 5. otherwise unchanged.
 * Non agent-qualified keys throw `SessionKeyError`.
 */
export function resolveEventSession(raw: ResolveEventSessionInput): ResolvedEventSession {
  const input = parseInput(resolveEventSessionInputSchema, raw, 'resolveEventSession');
  const { sessionKey, agentId } = requireAgentSessionKey(input.sessionKey);
  const result = (target: string, rule: EventRoutingRule): ResolvedEventSession => ({
    sessionKey: target,
    agentId,
    rule,
    rerouted: target !== sessionKey,
  });
  if (isSubagentSessionKey(sessionKey)) return result(sessionKey, 'subagent-session');
  if (isCronRunSessionKey(sessionKey)) return result(mainQueueKey(agentId, input.session), 'cron-run');
  if (input.preserveSessionKey) return result(sessionKey, 'preserved');
  const dmScope = input.session?.dmScope ?? 'main';
  if (DM_SCOPE_SOURCES.has(input.source) && dmScope === 'main' && resolveSingleOwner(input.allowFrom) !== null) {
    return result(mainQueueKey(agentId, input.session), 'dm-scope-main');
  }
  return result(sessionKey, 'unchanged');
}

/** Input of {@link resolveHeartbeatSession}. */
export const resolveHeartbeatSessionInputSchema = z.object({
  /** The agent whose heartbeat runs. */
  agentId: z.string(),
  /** A session forced by the wake (e.g. the session an exec event was queued on). Wins. */
  forcedSessionKey: z.string().optional(),
  /** The agent's configured `heartbeat.session`. Used when nothing is forced. */
  heartbeatSession: z.string().optional(),
  session: sessionRoutingConfigSchema.optional(),
  allowFrom: allowFromSchema.optional(),
  /** The wake's event source; `exec`/`cron`/`subagent` apply the dmScope=main rule to a forced key. */
  source: eventSourceSchema.optional(),
});
/** Input of {@link resolveHeartbeatSession}. */
export type ResolveHeartbeatSessionInput = z.input<typeof resolveHeartbeatSessionInputSchema>;

/** Result of {@link resolveHeartbeatSession}. */
export interface ResolvedHeartbeatSession {
  /** The run's session key: `agent:<id>:…`, or the literal `global` under `session.scope: "global"`. */
  sessionKey: string;
  /** The agent-qualified key of its system-event queue / wake target (`agent:<id>:global` for `global`). */
  queueKey: string;
  agentId: string;
  selectedBy: 'forced' | 'configured' | 'main';
}

/**
 * Picks the session a heartbeat runs in: a forced key beats the configured `heartbeat.session`,
 * which beats the agent's main session. Main aliases go through `canonicalizeMainSessionAlias`;
 * `session.scope: "global"` always yields `global`. A forced key owned by another agent throws
 * `AGENT_MISMATCH` (never re-homed); a configured one of another agent falls back to main.
 * A forced sub-agent key is kept (its own exec events are queued there).
 */
export function resolveHeartbeatSession(raw: ResolveHeartbeatSessionInput): ResolvedHeartbeatSession {
  const input = parseInput(resolveHeartbeatSessionInputSchema, raw, 'resolveHeartbeatSession');
  const agentId = normalizeAgentId(input.agentId);
  const session = input.session;
  const isGlobal = session?.scope === 'global';
  const main = isGlobal ? 'global' : buildAgentMainSessionKey({ agentId, mainKey: session?.mainKey });
  const done = (sessionKey: string, selectedBy: ResolvedHeartbeatSession['selectedBy']): ResolvedHeartbeatSession => ({
    sessionKey,
    queueKey: sessionKey === 'global' ? `agent:${agentId}:global` : sessionKey,
    agentId,
    selectedBy,
  });
  if (isGlobal) return done(main, 'main');

  /**
   * The session a key names, main aliases collapsed; `null` = use main. `forced` keys are
   * identities and must already be canonical (a variant throws `NON_CANONICAL_SESSION_KEY`);
   * a configured `heartbeat.session` is config, so a bare value is scoped to this agent and
   * canonicalized.
   */
  const qualify = (value: string, kind: 'forced' | 'configured'): { key: string; owner: string } | null => {
    const trimmed = value.trim();
    if (trimmed === '') return null;
    if (kind === 'forced' && (trimmed === 'main' || trimmed === 'global' || trimmed === (session?.mainKey ?? 'main'))) return null;
    if (kind === 'configured') {
      const lower = trimmed.toLowerCase();
      if (lower === 'main' || lower === 'global') return null;
    }
    let candidate: string;
    if (kind === 'forced') {
      candidate = requireAgentSessionKey(value, 'forcedSessionKey').sessionKey;
    } else {
      try {
        candidate = canonicalizeSessionKey(trimmed, { agentId });
      } catch {
        return null; // a malformed configured key: never guess an owner
      }
    }
    // Aliases (incl. the legacy `agent:main:main`) are re-homed to this agent before the owner check.
    const canonical = canonicalizeMainSessionAlias({ cfg: { session: session ?? {} }, agentId, sessionKey: candidate });
    if (canonical === 'global') return null;
    return { key: canonical, owner: requireAgentSessionKey(canonical).agentId };
  };

  if (input.forcedSessionKey !== undefined && input.forcedSessionKey.trim() !== '') {
    const forced = qualify(input.forcedSessionKey, 'forced');
    if (forced === null) {
      return done(main, 'forced');
    } else {
      if (forced.owner !== agentId) {
        throw new HeartbeatRouterError(
          'AGENT_MISMATCH',
          `Session key "${input.forcedSessionKey}" belongs to agent "${forced.owner}", not "${agentId}".`,
          { field: 'forcedSessionKey' },
        );
      }
      if (isSubagentSessionKey(forced.key)) return done(forced.key, 'forced');
      const routed = resolveEventSession({
        sessionKey: forced.key,
        source: input.source ?? 'manual',
        session,
        allowFrom: input.allowFrom,
      });
      return done(routed.sessionKey, 'forced');
    }
  }

  if (input.heartbeatSession !== undefined) {
    const configured = qualify(input.heartbeatSession, 'configured');
    if (configured && configured.owner === agentId && !isSubagentSessionKey(configured.key)) {
      return done(configured.key, 'configured');
    }
  }
  return done(main, 'main');
}
