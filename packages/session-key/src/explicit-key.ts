import { normalizeAgentId } from './agent-id.js';
import { SessionKeyError } from './errors.js';
import { classifySessionKeyShape, isUnscopedSessionKeySentinel, parseAgentSessionKey } from './parse.js';
import { toAgentStoreSessionKey } from './store-key.js';
import { echo } from './text.js';

/** Input of {@link normalizeExplicitSessionKey} (the `--session-key` / `--agent` selectors). */
export interface ExplicitSessionKeyInput {
  /** The `--session-key` value as typed. */
  sessionKey: string;
  /** The `--agent` value as typed, if given. */
  agentId?: string | null | undefined;
  /** The agent that owns bare keys when no `--agent` is given (the configured default). */
  defaultAgentId: string;
  /** Configured agents; when given, `--agent` must be one of them (compared normalized). */
  knownAgentIds?: ReadonlyArray<string> | null | undefined;
}

/** Result of {@link normalizeExplicitSessionKey}. */
export interface ExplicitSessionKey {
  /** The key to dispatch. */
  readonly sessionKey: string;
  /** The owning agent (normalized); `undefined` for an unscoped sentinel without `--agent`. */
  readonly agentId: string | undefined;
}

function blank(flag: string): SessionKeyError {
  return new SessionKeyError('BLANK_SELECTOR', `${flag} must not be blank`);
}

/**
 * Normalize an explicit `--session-key` (with optional `--agent`) before anything is dispatched.
 *
 * - agent-prefixed key (`agent:<id>:<rest>`): sent as typed, trimmed; owner = the key's
 *   normalized agent. With `--agent`, `normalizeAgentId(--agent)` must equal it.
 * - bare key: scoped to `--agent`, else to `defaultAgentId`, via `toAgentStoreSessionKey`
 *   (`Incident-42` → `agent:<owner>:incident-42`, `MAIN` → `agent:<owner>:main`).
 * - sentinel `global`/`unknown` (any case): sent verbatim (trimmed); owner = `--agent`
 *   (normalized) if given, else `undefined`.
 *
 * Checks run in this order: `--agent` blank, `--session-key` blank, malformed `agent:` key,
 * agent mismatch, unknown `--agent` (only when `knownAgentIds` is given; only `--agent` is
 * checked — an agent-prefixed key may name any agent).
 *
 * @throws {SessionKeyError} `BLANK_SELECTOR` (`--agent must not be blank`,
 *   `--session-key must not be blank`), `MALFORMED_AGENT_KEY` (`Invalid --session-key "<key>".
 *   Agent-prefixed session keys must use agent:<agent-id>:<session-key>.`), `AGENT_MISMATCH`
 *   (`Agent id "<agent>" does not match session key agent "<id>".`), `UNKNOWN_AGENT`
 *   (`Unknown agent id "<agent>".`), `MALFORMED_SESSION_KEY` (a bare key starting with `:`,
 *   which would scope to an unparseable `agent:<id>::…`), `NO_AGENT_ID` (bare key, no `--agent`, blank
 *   `defaultAgentId`), `INVALID_INPUT` (wrong argument types).
 */
export function normalizeExplicitSessionKey(input: ExplicitSessionKeyInput): ExplicitSessionKey {
  if (typeof input !== 'object' || input === null) {
    throw new SessionKeyError('INVALID_INPUT', 'normalizeExplicitSessionKey expects an options object.');
  }
  const { sessionKey, agentId, defaultAgentId, knownAgentIds } = input;
  if (agentId !== undefined && agentId !== null && typeof agentId !== 'string') {
    throw new SessionKeyError('INVALID_INPUT', 'agentId must be a string.');
  }
  if (typeof sessionKey !== 'string') {
    throw new SessionKeyError('INVALID_INPUT', 'sessionKey must be a string.');
  }
  const agent = typeof agentId === 'string' ? agentId.trim() : undefined;
  if (agent === '') throw blank('--agent');
  const key = sessionKey.trim();
  if (!key) throw blank('--session-key');

  const shape = classifySessionKeyShape(key);
  if (shape === 'malformed_agent') {
    throw new SessionKeyError(
      'MALFORMED_AGENT_KEY',
      `Invalid --session-key "${echo(key)}". Agent-prefixed session keys must use agent:<agent-id>:<session-key>.`,
    );
  }
  const normalizedAgent = agent === undefined ? undefined : normalizeAgentId(agent);
  let keyAgent: string | undefined;
  if (shape === 'agent') {
    keyAgent = normalizeAgentId(parseAgentSessionKey(key)?.agentId);
    if (normalizedAgent !== undefined && normalizedAgent !== keyAgent) {
      throw new SessionKeyError('AGENT_MISMATCH', `Agent id "${echo(agent)}" does not match session key agent "${keyAgent}".`);
    }
  }
  if (normalizedAgent !== undefined && knownAgentIds !== undefined && knownAgentIds !== null) {
    if (!Array.isArray(knownAgentIds)) {
      throw new SessionKeyError('INVALID_INPUT', 'knownAgentIds must be an array of strings.');
    }
    const known = (knownAgentIds as ReadonlyArray<unknown>).some(
      (id) => typeof id === 'string' && normalizeAgentId(id) === normalizedAgent,
    );
    if (!known) throw new SessionKeyError('UNKNOWN_AGENT', `Unknown agent id "${echo(agent)}".`);
  }

  if (keyAgent !== undefined) return { sessionKey: key, agentId: keyAgent };
  if (isUnscopedSessionKeySentinel(key)) return { sessionKey: key, agentId: normalizedAgent };

  const owner = agent ?? (typeof defaultAgentId === 'string' ? defaultAgentId.trim() : '');
  if (!owner) {
    throw new SessionKeyError('NO_AGENT_ID', `Session key "${echo(key)}" has no agent; pass --agent <id> or configure a default agent.`);
  }
  // A bare key starting with ":" would scope to `agent:<id>::…`, which no parser accepts;
  // refuse it here instead of dispatching a key that cannot be owned.
  if (key.charCodeAt(0) === 58) {
    throw new SessionKeyError('MALFORMED_SESSION_KEY', `Invalid --session-key "${echo(key)}". Session keys must not start with ":".`);
  }
  return {
    sessionKey: toAgentStoreSessionKey({ agentId: owner, requestKey: key }),
    agentId: normalizeAgentId(owner),
  };
}
