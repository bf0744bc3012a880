import { normalizeAgentId } from './agent-id.js';
import { SessionKeyError } from './errors.js';
import { lowerPreservingSignalGroups, normalizeSessionKeyPreservingOpaquePeerIds } from './opaque-peer.js';
import { asString, hasNonBlank, startsWithCI, trimmed } from './text.js';

/** An agent-prefixed key split at its ownership head. */
export interface ParsedAgentSessionKey {
  /** Trimmed, lower-cased agent id as written in the key — **not** normalized (`"ops team"`). */
  readonly agentId: string;
  /** Everything after `agent:<id>:`; non-empty, never starts with `:`. */
  readonly rest: string;
}

/** Shape of a session key: the single predicate used to accept or reject keys. */
export type SessionKeyShape = 'missing' | 'agent' | 'malformed_agent' | 'legacy_or_alias';

const AGENT_PREFIX = 'agent:';

/**
 * Index of the `:` that ends the `agent:<id>` head when `key` parses as an agent key
 * (non-blank id, non-empty rest not starting with `:`), else -1. Allocates nothing.
 */
function agentHeadEnd(key: string): number {
  if (!startsWithCI(key, AGENT_PREFIX)) return -1;
  const colon = key.indexOf(':', AGENT_PREFIX.length);
  if (colon < 0 || colon + 1 >= key.length || key.charCodeAt(colon + 1) === 58) return -1;
  return hasNonBlank(key, AGENT_PREFIX.length, colon) ? colon : -1;
}

/** Split `agent:<id>:<rest>` without touching case or whitespace; `null` if it does not parse. */
function splitAgentHead(key: string): { agentId: string; rest: string } | null {
  const colon = agentHeadEnd(key);
  if (colon < 0) return null;
  return { agentId: key.slice(AGENT_PREFIX.length, colon).trim(), rest: key.slice(colon + 1) };
}

/**
 * Parse an agent-prefixed key (`agent:<id>:<rest>`, prefix case-insensitive). The key is
 * trimmed and lower-cased (opaque Signal/Matrix peer ids keep their case) and split at the
 * first `:` after the prefix; only that first head is ownership. Returns `null` for blank,
 * bare, and malformed keys (`agent:ops`, `agent::x`, `agent:ops::x`). Never throws.
 */
export function parseAgentSessionKey(key: string | null | undefined): ParsedAgentSessionKey | null {
  if (typeof key !== 'string') return null;
  const raw = key.trim();
  // Bare keys (most of the traffic besides agent keys) never need the lower-cased copy.
  const colon = agentHeadEnd(raw);
  if (colon < 0) return null;
  const lower = raw.toLowerCase();
  // Fast path: lower-casing kept every index (no length-changing code point) and the key is not
  // a Matrix room key — split the one lower-cased copy at the head computed above.
  if (lower.length === raw.length && !lower.startsWith('matrix:', colon + 1)) {
    // Signal group ids keep their case; the result has the same length, so `colon` still holds.
    const normalized = lowerPreservingSignalGroups(raw, lower, colon + 1);
    return { agentId: normalized.slice(AGENT_PREFIX.length, colon).trim(), rest: normalized.slice(colon + 1) };
  }
  return splitAgentHead(normalizeSessionKeyPreservingOpaquePeerIds(raw));
}

/**
 * The same split as {@link parseAgentSessionKey} without trimming or lower-casing the input
 * (`agent:OPS:Signal:Group:AbC` → `{ agentId: "OPS", rest: "Signal:Group:AbC" }`).
 */
export function parseAgentSessionKeyParts(key: string | null | undefined): ParsedAgentSessionKey | null {
  return splitAgentHead(asString(key));
}

/**
 * Classify a key: `missing` (absent/blank), `agent` (parses), `malformed_agent` (starts with
 * `agent:` case-insensitively but does not parse) or `legacy_or_alias` (anything else,
 * including the sentinels `global`/`unknown`). Never throws.
 */
export function classifySessionKeyShape(key: string | null | undefined): SessionKeyShape {
  const raw = trimmed(key);
  if (!raw) return 'missing';
  if (!startsWithCI(raw, AGENT_PREFIX)) return 'legacy_or_alias';
  return agentHeadEnd(raw) >= 0 ? 'agent' : 'malformed_agent';
}

/**
 * The owning agent of a key: for agent keys `normalizeAgentId(parsed.agentId)`; for bare keys
 * `normalizeAgentId(configuredDefaultAgentId)` when a non-blank default is given.
 *
 * @throws {SessionKeyError} `MALFORMED_SESSION_KEY` for malformed `agent:` keys (message
 *   `Malformed agent session key; refusing default-agent resolution.`), `NO_AGENT_ID` for
 *   bare/blank keys without a default (`Session key does not contain an agent id; resolve it
 *   with the configured default agent.`).
 */
export function resolveAgentIdFromSessionKey(key: string | null | undefined, configuredDefaultAgentId?: string | null | undefined): string {
  const parsed = parseAgentSessionKey(key);
  if (parsed) return normalizeAgentId(parsed.agentId);
  if (startsWithCI(trimmed(key), AGENT_PREFIX)) {
    throw new SessionKeyError('MALFORMED_SESSION_KEY', 'Malformed agent session key; refusing default-agent resolution.');
  }
  const fallback = trimmed(configuredDefaultAgentId);
  if (fallback) return normalizeAgentId(fallback);
  throw new SessionKeyError('NO_AGENT_ID', 'Session key does not contain an agent id; resolve it with the configured default agent.');
}

/** True when the trimmed, lower-cased key is `global` or `unknown` (the unscoped sentinels). */
export function isUnscopedSessionKeySentinel(key: string | null | undefined): boolean {
  const raw = trimmed(key);
  if (raw.length !== 6 && raw.length !== 7) return false;
  const lower = raw.toLowerCase();
  return lower === 'global' || lower === 'unknown';
}
