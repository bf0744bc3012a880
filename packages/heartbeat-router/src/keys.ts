import { parseAgentSessionKey, resolveAgentIdFromSessionKey } from '@pincer/session-key';
import { HeartbeatRouterError } from './errors.js';

/** A parsed, normalized agent-qualified session key. */
export interface QualifiedSessionKey {
  /** `agent:<normalized agent id>:<rest, lower-cased except opaque peer ids>`. */
  sessionKey: string;
  agentId: string;
}

/**
 * Normalizes an agent-qualified key (`agent:<id>:<rest>`). Anything else throws the
 * `SessionKeyError` that `resolveAgentIdFromSessionKey` raises for keys without an agent id.
 */
export function requireAgentSessionKey(sessionKey: unknown, field = 'sessionKey'): QualifiedSessionKey {
  if (typeof sessionKey !== 'string') {
    throw new HeartbeatRouterError('INVALID_INPUT', `${field} must be a string.`, { field });
  }
  const parsed = parseAgentSessionKey(sessionKey);
  if (!parsed) {
    // Throws SessionKeyError (missing or malformed agent id) — no default agent is ever assumed.
    resolveAgentIdFromSessionKey(sessionKey);
    // Defensive: should the contract ever stop throwing, still fail closed.
    throw new HeartbeatRouterError(
      'INVALID_INPUT',
      `${field} "${sessionKey}" must be agent-qualified: agent:<agent-id>:<session>.`,
      { field },
    );
  }
  const agentId = resolveAgentIdFromSessionKey(sessionKey);
  return { sessionKey: `agent:${agentId}:${parsed.rest}`, agentId };
}

/**
 * Internal: a per-instance memo of {@link requireAgentSessionKey} results for hot paths.
 * Bounded (cleared when it reaches `maxEntries`); failures are never cached.
 */
export function createSessionKeyCache(maxEntries = 20_000): (sessionKey: unknown, field?: string) => QualifiedSessionKey {
  const cache = new Map<string, QualifiedSessionKey>();
  return (sessionKey, field) => {
    if (typeof sessionKey === 'string') {
      const hit = cache.get(sessionKey);
      if (hit) return hit;
    }
    const result = requireAgentSessionKey(sessionKey, field);
    if (cache.size >= maxEntries) cache.clear();
    cache.set(sessionKey as string, result);
    return result;
  };
}
