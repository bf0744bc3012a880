import { normalizeAgentId } from './agent-id.js';
import { assertCanonicalAgentSessionKey } from './canonical.js';
import { SessionKeyError } from './errors.js';
import { classifySessionKeyShape } from './parse.js';
import { echo, startsWithCI, trimmed } from './text.js';

/** Input of {@link deriveProcessScopeKey}. */
export interface ProcessScopeKeyInput {
  /** Explicit scope (wins when non-blank; used as given, trimmed). */
  scopeKey?: string | null | undefined;
  /** The session key of the calling run. */
  sessionKey?: string | null | undefined;
  /** The session id of the calling run (used only without a session key). */
  sessionId?: string | null | undefined;
  /** The agent of the calling run (last resort: `agent:<normalized id>`). */
  agentId?: string | null | undefined;
}

/**
 * The scope background processes are registered under (seed 000): the first non-blank
 * (trimmed) of `scopeKey`, `sessionKey`, `sessionId`, then `agent:<normalizeAgentId(agentId)>`.
 *
 * Fails closed where a derived scope could alias another one: a malformed `agent:` session key
 * (`agent:ops` would equal the agent-wide scope of `ops`) and a session id starting with
 * `agent:` (it would equal a session key or an agent-wide scope) are refused.
 *
 * An agent-prefixed session key must be canonical (`canonicalizeSessionKey`); a variant is
 * refused with `NON_CANONICAL_SESSION_KEY` rather than scoped under a second spelling.
 *
 * @throws {SessionKeyError} `NO_AGENT_ID` when all four are blank or absent;
 *   `NON_CANONICAL_SESSION_KEY` for a non-canonical agent session key;
 *   `MALFORMED_SESSION_KEY` for a malformed `agent:` session key; `INVALID_INPUT` for a session
 *   id starting with `agent:`.
 */
export function deriveProcessScopeKey(input: ProcessScopeKeyInput): string {
  const source = typeof input === 'object' && input !== null ? input : {};
  const scopeKey = trimmed(source.scopeKey);
  if (scopeKey) return scopeKey;
  const sessionKey = trimmed(source.sessionKey);
  if (sessionKey) {
    if (classifySessionKeyShape(sessionKey) === 'malformed_agent') {
      throw new SessionKeyError(
        'MALFORMED_SESSION_KEY',
        `Malformed agent session key "${echo(sessionKey)}"; refusing to derive a process scope from it.`,
      );
    }
    // A scope is compared as a string: an agent key must already be the session's canonical
    // key, or an alias (`agent:main:VICTIM`) would share (or miss) the victim's shells.
    if (classifySessionKeyShape(sessionKey) === 'agent') assertCanonicalAgentSessionKey(sessionKey);
    return sessionKey;
  }
  const sessionId = trimmed(source.sessionId);
  if (sessionId) {
    if (startsWithCI(sessionId, 'agent:')) {
      throw new SessionKeyError(
        'INVALID_INPUT',
        `Session id "${echo(sessionId)}" looks like a session key; pass it as sessionKey instead.`,
      );
    }
    return sessionId;
  }
  const agentId = trimmed(source.agentId);
  if (agentId) return `agent:${normalizeAgentId(agentId)}`;
  throw new SessionKeyError('NO_AGENT_ID', 'Cannot derive a process scope: pass a scopeKey, sessionKey, sessionId or agentId.');
}
