import { z } from 'zod';
import { normalizeAgentId } from './agent-id.js';
import { SessionKeyError } from './errors.js';
import { normalizeSessionKeyPreservingOpaquePeerIds } from './opaque-peer.js';
import { classifySessionKeyShape, isUnscopedSessionKeySentinel, parseAgentSessionKeyParts } from './parse.js';
import { echo, startsWithCI } from './text.js';

/** Options of {@link canonicalizeSessionKey}. */
export interface CanonicalizeSessionKeyOptions {
  /**
   * The agent that owns a bare (not agent-prefixed) key. With it, `main` → `agent:<id>:main`,
   * `incident-42` → `agent:<id>:incident-42` and the sentinels `global` / `unknown` →
   * `agent:<id>:global` / `agent:<id>:unknown`. Without it, a bare key other than a sentinel
   * throws `NO_AGENT_ID`.
   */
  agentId?: string | null | undefined;
}

/** Bound on the fixed-point loop of {@link canonicalAgentId} (an id has at most 64 chars). */
const MAX_AGENT_ID_PASSES = 70;

/**
 * The canonical agent id: `normalizeAgentId` applied until it no longer changes. One pass is
 * enough for every id but the 64-character results that start with `_` and end with `-`
 * (`normalizeAgentId` truncates after stripping dashes); iterating makes canonicalization
 * idempotent for those too. Bounded: each extra pass removes at least one character.
 */
export function canonicalAgentId(value: string | null | undefined): string {
  let current = normalizeAgentId(value);
  for (let pass = 0; pass < MAX_AGENT_ID_PASSES; pass += 1) {
    const next = normalizeAgentId(current);
    if (next === current) return current;
    current = next;
  }
  return current;
}

/**
 * The one canonical form of a session key — what every Pincer component stores, routes by and
 * compares. Call it once where a request enters (HTTP, inbound, the embedded runtime, tools,
 * spawn, cron); the packages refuse anything else.
 *
 * - Agent keys (`agent:<id>:<rest>`, prefix any case, surrounding whitespace allowed) →
 *   `agent:<canonical id>:<rest>`: the id normalized like `normalizeAgentId` (`Ops`, ` ops `,
 *   `OPS`, `Ops!` → `ops`; `Ops Team` → `ops-team`), the rest lower-cased except provider-opaque
 *   peer ids (the segment after `signal:group:`, the tail of `matrix:(channel|group):…`), which
 *   keep their case, as in OpenClaw's store.
 * - Sentinels `global` / `unknown` (any case) → lower-cased; with `options.agentId`,
 *   `agent:<id>:global` / `agent:<id>:unknown` (the gateway's per-agent form).
 * - Bare keys with `options.agentId` → `agent:<id>:<lower-cased key>` (`main` → `agent:<id>:main`).
 *
 * Idempotent: `canonicalizeSessionKey(canonicalizeSessionKey(k)) === canonicalizeSessionKey(k)`.
 *
 * @throws {SessionKeyError} `INVALID_INPUT` (not a string, or blank), `MALFORMED_SESSION_KEY`
 *   (`agent:ops`, `agent::x`, `agent:ops::x`, or a bare key starting with `:`), `NO_AGENT_ID`
 *   (a bare, non-sentinel key without `options.agentId`).
 */
export function canonicalizeSessionKey(key: string, options: CanonicalizeSessionKeyOptions = {}): string {
  if (typeof key !== 'string') {
    throw new SessionKeyError('INVALID_INPUT', 'Session key must be a string.');
  }
  const normalized = normalizeSessionKeyPreservingOpaquePeerIds(key);
  if (!normalized) throw new SessionKeyError('INVALID_INPUT', 'Session key must not be blank.');
  const shape = classifySessionKeyShape(normalized);
  if (shape === 'agent') {
    // `normalized` is trimmed and lower-cased already; the raw split keeps it as it is.
    const parts = parseAgentSessionKeyParts(normalized);
    if (parts) return `agent:${canonicalAgentId(parts.agentId)}:${parts.rest}`;
  }
  if (shape === 'malformed_agent' || startsWithCI(normalized, 'agent:')) {
    throw new SessionKeyError(
      'MALFORMED_SESSION_KEY',
      `Malformed session key "${echo(key.trim())}". Agent-prefixed session keys must use agent:<agent-id>:<session-key>.`,
    );
  }
  const owner = typeof options.agentId === 'string' ? options.agentId.trim() : '';
  if (!owner) {
    if (isUnscopedSessionKeySentinel(normalized)) return normalized;
    throw new SessionKeyError(
      'NO_AGENT_ID',
      `Session key "${echo(key.trim())}" has no agent; use agent:<agent-id>:${echo(normalized)} or pass the owning agent.`,
    );
  }
  if (normalized.charCodeAt(0) === 58) {
    throw new SessionKeyError(
      'MALFORMED_SESSION_KEY',
      `Malformed session key "${echo(key.trim())}". Session keys must not start with ":".`,
    );
  }
  return `agent:${canonicalAgentId(owner)}:${normalized}`;
}

/** True when `key` is a string equal to its own canonical form (agent key or sentinel). Never throws. */
export function isCanonicalSessionKey(key: unknown): key is string {
  if (typeof key !== 'string') return false;
  try {
    return canonicalizeSessionKey(key) === key;
  } catch {
    return false;
  }
}

/**
 * Returns `key` when it is canonical and agent-prefixed; otherwise throws. This is what the
 * packages call on every session key they are handed: they never canonicalize an identity
 * themselves, so a gateway that forgot to canonicalize fails loudly instead of merging sessions.
 *
 * @throws {SessionKeyError} `NON_CANONICAL_SESSION_KEY` (a case/whitespace/agent-id variant; the
 *   message names the canonical form), or the errors of {@link canonicalizeSessionKey} for keys
 *   that have no canonical agent form (blank, malformed, bare, sentinel).
 */
export function assertCanonicalAgentSessionKey(key: unknown, fieldName: string = 'sessionKey'): string {
  const field = typeof fieldName === 'string' ? echo(fieldName) : 'sessionKey';
  if (typeof key !== 'string') {
    throw new SessionKeyError('INVALID_INPUT', `${field} must be a string.`);
  }
  if (!startsWithCI(key.trim(), 'agent:')) {
    if (key.trim() === '') throw new SessionKeyError('INVALID_INPUT', `${field} must not be blank.`);
    throw new SessionKeyError('NO_AGENT_ID', `${field} "${echo(key)}" must be agent-qualified: agent:<agent-id>:<session>.`);
  }
  const canonical = canonicalizeSessionKey(key);
  if (canonical !== key) {
    throw new SessionKeyError(
      'NON_CANONICAL_SESSION_KEY',
      `${field} "${echo(key)}" is not canonical; canonicalize it where the request enters (canonicalizeSessionKey gives "${echo(canonical)}").`,
    );
  }
  return key;
}

/**
 * Entry-point schema: any agent-prefixed key or sentinel, parsed to its canonical form
 * ({@link canonicalizeSessionKey} without an owner). Failures carry the `SessionKeyError` message.
 */
export const canonicalSessionKeySchema = z.string().transform((value, context) => {
  try {
    return canonicalizeSessionKey(value);
  } catch (error) {
    context.addIssue({
      code: 'custom',
      message: SessionKeyError.isInstance(error) ? error.message : 'Invalid session key.',
    });
    return z.NEVER;
  }
});

/** Parsed output of {@link canonicalSessionKeySchema}. */
export type CanonicalSessionKey = z.output<typeof canonicalSessionKeySchema>;

/** Boundary schema of the packages: a string that is already a canonical agent key. */
export const canonicalAgentSessionKeySchema = z.string().refine((value) => startsWithCI(value, 'agent:') && isCanonicalSessionKey(value), {
  message: 'Expected a canonical agent session key (see canonicalizeSessionKey).',
});
