import { normalizeAgentId } from './agent-id.js';
import { SessionKeyError } from './errors.js';
import { trimmed } from './text.js';

/** Input of {@link deriveProcessScopeKey}. */
export interface ProcessScopeKeyInput {
  /** Explicit scope (wins when non-blank). */
  scopeKey?: string | null;
  /** The session key of the calling run. */
  sessionKey?: string | null;
  /** The session id of the calling run. */
  sessionId?: string | null;
  /** The agent of the calling run (last resort: `agent:<normalized id>`). */
  agentId?: string | null;
}

/**
 * The scope background processes are registered under (seed 000): the first non-blank
 * (trimmed) of `scopeKey`, `sessionKey`, `sessionId`, then `agent:<normalizeAgentId(agentId)>`.
 * Values are trimmed, otherwise used as given.
 *
 * @throws {SessionKeyError} `NO_AGENT_ID` when all four are blank or absent.
 */
export function deriveProcessScopeKey(input: ProcessScopeKeyInput): string {
  const source = typeof input === 'object' && input !== null ? input : {};
  const scope = trimmed(source.scopeKey) || trimmed(source.sessionKey) || trimmed(source.sessionId);
  if (scope) return scope;
  const agentId = trimmed(source.agentId);
  if (agentId) return `agent:${normalizeAgentId(agentId)}`;
  throw new SessionKeyError(
    'NO_AGENT_ID',
    'Cannot derive a process scope: pass a scopeKey, sessionKey, sessionId or agentId.',
  );
}
