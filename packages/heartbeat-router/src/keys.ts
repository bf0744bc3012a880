import { assertCanonicalAgentSessionKey, parseAgentSessionKey } from '@pincer/session-key';
import { HeartbeatRouterError } from './errors.js';

/** A canonical agent-qualified session key and its agent. */
export interface QualifiedSessionKey {
  /** The key exactly as given: already canonical (`canonicalizeSessionKey`). */
  sessionKey: string;
  agentId: string;
}

/**
 * Checks that `sessionKey` is a canonical agent key (`agent:<id>:<rest>`, as
 * `canonicalizeSessionKey` from `@pincer/session-key` returns it) and returns it with its agent.
 * The router never canonicalizes an identity itself: a case or agent-id variant
 * (`agent:main:VICTIM`, `agent:Main!:victim`) is refused with `SessionKeyError`
 * `NON_CANONICAL_SESSION_KEY`, so an alias can never reach another spelling's queue.
 *
 * @throws {HeartbeatRouterError} `INVALID_INPUT` for a non-string.
 * @throws {SessionKeyError} `NON_CANONICAL_SESSION_KEY`, `MALFORMED_SESSION_KEY`, `NO_AGENT_ID`
 *   (bare or sentinel keys), `INVALID_INPUT` (blank).
 */
export function requireAgentSessionKey(sessionKey: unknown, field = 'sessionKey'): QualifiedSessionKey {
  if (typeof sessionKey !== 'string') {
    throw new HeartbeatRouterError('INVALID_INPUT', `${field} must be a string.`, { field });
  }
  assertCanonicalAgentSessionKey(sessionKey, field);
  const parsed = parseAgentSessionKey(sessionKey);
  if (!parsed) {
    // Unreachable for a canonical agent key; still fail closed.
    throw new HeartbeatRouterError('INVALID_INPUT', `${field} must be agent-qualified: agent:<agent-id>:<session>.`, { field });
  }
  return { sessionKey, agentId: parsed.agentId };
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
