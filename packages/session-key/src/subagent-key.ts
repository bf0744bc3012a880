import { canonicalizeSessionKey } from './canonical.js';
import { normalizeAgentId } from './agent-id.js';
import { SessionKeyError } from './errors.js';
import { parseAgentSessionKey } from './parse.js';
import { echo, indexOfCI, startsWithCI, trimmed } from './text.js';

/** Input of {@link resolveSubagentSessionKey}. */
export interface SubagentSessionKeyInput {
  /** The agent the subagent runs as (normalized with `normalizeAgentId`). */
  targetAgentId: string;
  /** Caller-supplied key: omitted/blank, a short key, or a fully-qualified subagent key. */
  sessionKey?: string | null | undefined;
  /** Id generator for fresh sessions (e.g. `() => crypto.randomUUID()`). */
  newId: () => string;
}

/**
 * The session key a subagent spawn runs in (seed 002):
 * - omitted/blank → `agent:<target>:subagent:<newId()>`;
 * - a short key (no `agent:` prefix, no `:subagent:`, not starting with `:`) →
 *   `agent:<target>:subagent:<key>` (trimmed; canonical like `canonicalizeSessionKey`, so
 *   lower-cased except opaque peer ids);
 * - a fully-qualified key (starts with `agent:` or contains `:subagent:`) must be an agent key
 *   whose rest is `subagent:<id>…` (non-empty `<id>`) and whose agent equals the target **after
 *   normalization** (`agent:OPS:subagent:x` matches target `ops`); it is returned canonical
 *   (`canonicalizeSessionKey`). A different agent is never silently re-homed. Every result is a
 *   canonical key.
 *
 * @throws {SessionKeyError} `CROSS_AGENT_SESSION_KEY` (key names another agent),
 *   `MALFORMED_AGENT_KEY` (malformed `agent:` key), `INVALID_SUBAGENT_KEY` (fully-qualified but
 *   not a subagent key), `INVALID_INPUT` (bad arguments or `newId()` returned a blank id).
 */
export function resolveSubagentSessionKey(input: SubagentSessionKeyInput): string {
  if (typeof input !== 'object' || input === null || typeof input.newId !== 'function') {
    throw new SessionKeyError('INVALID_INPUT', 'resolveSubagentSessionKey expects { targetAgentId, newId }.');
  }
  const target = normalizeAgentId(input.targetAgentId);
  const key = trimmed(input.sessionKey);
  if (!key) {
    const id = input.newId();
    const fresh = typeof id === 'string' ? id.trim() : '';
    if (!fresh || fresh.charCodeAt(0) === 58) {
      throw new SessionKeyError('INVALID_INPUT', 'newId() must return a non-blank string not starting with ":".');
    }
    return canonicalizeSessionKey(`agent:${target}:subagent:${fresh}`);
  }
  const fullyQualified = startsWithCI(key, 'agent:') || indexOfCI(key, ':subagent:') >= 0;
  if (!fullyQualified) {
    if (key.charCodeAt(0) === 58) {
      throw new SessionKeyError(
        'INVALID_SUBAGENT_KEY',
        `Invalid subagent session key "${echo(key)}". Use a short key or agent:<agent-id>:subagent:<key>.`,
      );
    }
    return canonicalizeSessionKey(`agent:${target}:subagent:${key}`);
  }

  const parsed = parseAgentSessionKey(key);
  if (!parsed) {
    if (startsWithCI(key, 'agent:')) {
      throw new SessionKeyError(
        'MALFORMED_AGENT_KEY',
        `Invalid subagent session key "${echo(key)}". Agent-prefixed session keys must use agent:<agent-id>:<session-key>.`,
      );
    }
    throw new SessionKeyError(
      'INVALID_SUBAGENT_KEY',
      `Invalid subagent session key "${echo(key)}". Use a short key or agent:<agent-id>:subagent:<key>.`,
    );
  }
  const keyAgent = normalizeAgentId(parsed.agentId);
  if (keyAgent !== target) {
    throw new SessionKeyError(
      'CROSS_AGENT_SESSION_KEY',
      `Session key "${echo(key)}" belongs to agent "${keyAgent}", not to the target agent "${target}".`,
    );
  }
  const childId = parsed.rest.charCodeAt(9); // first char after "subagent:"
  if (!startsWithCI(parsed.rest, 'subagent:') || Number.isNaN(childId) || childId === 58) {
    throw new SessionKeyError(
      'INVALID_SUBAGENT_KEY',
      `Invalid subagent session key "${echo(key)}". Use a short key or agent:<agent-id>:subagent:<key>.`,
    );
  }
  return canonicalizeSessionKey(`agent:${target}:${parsed.rest}`);
}
