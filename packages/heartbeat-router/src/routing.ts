import {
  buildAgentMainSessionKey,
  canonicalizeMainSessionAlias,
  isCronRunSessionKey,
  isSubagentSessionKey,
  parseThreadSessionSuffix,
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

/**
 * Which sessions the dmScope=main rule re-keys to the agent's main session:
 * - `owner-dm` (default): only the pinned owner's own direct-message sessions
 *   (`agent:<id>:direct:<owner>`, `…:<channel>:direct:<owner>`, `…:<channel>:<account>:direct:<owner>`,
 *   `dm` for `direct`, with or without a `:thread:<id>` suffix). Group/channel sessions, isolated
 *   cron sessions and other named sessions keep their events.
 * - `any-session`: every session of the agent (Pincer ≤ 0.0 behaviour), and cron-run keys
 *   (`agent:<id>:cron:<job>:run:<run>`) to main whatever the owner.
 */
export const mainRerouteScopeSchema = z.enum(['owner-dm', 'any-session']);
/** A {@link mainRerouteScopeSchema} value. */
export type MainRerouteScope = z.infer<typeof mainRerouteScopeSchema>;

/** The `session` config block routing reads. */
export const sessionRoutingConfigSchema = z.object({
  /** Which sessions' events the dmScope=main rule moves to main. Default `owner-dm`. */
  rerouteToMain: mainRerouteScopeSchema.optional(),
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

/** A direct-message session's peer, from the rest of a canonical key; `null` if not a DM key. */
export function parseDirectPeer(rest: string): { channel: string | undefined; peerId: string } | null {
  const base = parseThreadSessionSuffix(rest).baseSessionKey ?? '';
  const segments = base.split(':');
  // `direct`/`dm` at position 0 (per-peer), 1 (per-channel-peer) or 2 (per-account-channel-peer).
  for (let position = 0; position <= 2 && position < segments.length - 1; position += 1) {
    const segment = segments[position];
    if (segment === 'direct' || segment === 'dm') {
      const peerId = segments.slice(position + 1).join(':');
      if (peerId === '') return null;
      return { channel: position >= 1 ? segments[0] : undefined, peerId };
    }
  }
  return null;
}

/** True when `rest` is a DM session whose peer is `owner` (bare, or `<channel>:<peer>`). */
function isOwnerDirectSession(rest: string, owner: string): boolean {
  const direct = parseDirectPeer(rest);
  if (!direct) return false;
  const peer = direct.peerId.toLowerCase();
  return owner === peer || (direct.channel !== undefined && owner === `${direct.channel}:${peer}`);
}

/**
 * Decides which session an event about `sessionKey` is queued on (and therefore which session
 * wakes). Rules, first match wins:
 * 1. sub-agent sessions keep their own events;
 * 2. with `session.rerouteToMain: "any-session"`, cron-run keys (`agent:<id>:cron:<job>:run:<run>`)
 *    → the agent's main session (by default an isolated cron session keeps its events);
 * 3. `preserveSessionKey` → unchanged;
 * 4. `exec` / `cron` / `subagent` events, with `session.dmScope` `main` (or unset) **and** a
 *    single-owner `allowFrom` → `agent:<id>:<mainKey>` (the seed-001 rule) — by default only for
 *    the owner's own DM sessions (`rerouteToMain: "owner-dm"`), for any session with `"any-session"`;
 * 5. otherwise unchanged.
 * `sessionKey` must be canonical (`canonicalizeSessionKey`), else `SessionKeyError`.
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
  const scope = input.session?.rerouteToMain ?? 'owner-dm';
  if (isSubagentSessionKey(sessionKey)) return result(sessionKey, 'subagent-session');
  if (scope === 'any-session' && isCronRunSessionKey(sessionKey)) return result(mainQueueKey(agentId, input.session), 'cron-run');
  if (input.preserveSessionKey) return result(sessionKey, 'preserved');
  const dmScope = input.session?.dmScope ?? 'main';
  const owner = DM_SCOPE_SOURCES.has(input.source) && dmScope === 'main' ? resolveSingleOwner(input.allowFrom) : null;
  if (owner !== null) {
    const rest = sessionKey.slice(sessionKey.indexOf(':', 6) + 1);
    if (scope === 'any-session' || isOwnerDirectSession(rest, owner)) {
      return result(mainQueueKey(agentId, input.session), 'dm-scope-main');
    }
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
