import { z } from 'zod';
import { normalizeAgentId, parseAgentSessionKey } from '@pincer/session-key';
import { GatewayError } from '../errors.js';

/**
 * What a scoped token is bound to. Every key here is **canonical** (the gateway's stored form,
 * as `resolveTurnTarget` returns it): scopes are canonicalized once, when the token is minted,
 * and every check compares canonical strings only — never a raw or differently-cased key.
 *
 * - `agent`: every session of one agent (`agent:<agentId>:…`).
 * - `session`: exactly one session key.
 * - `prefix`: a session key and every key under it at a `:` boundary (`agent:ops:tenant-a`
 *   covers `agent:ops:tenant-a` and `agent:ops:tenant-a:dm:bob`, not `agent:ops:tenant-ab`).
 */
export type TokenScope = { kind: 'agent'; agentId: string } | { kind: 'session'; sessionKey: string } | { kind: 'prefix'; prefix: string };

/** zod schema of a stored (canonical) scope. */
export const TokenScopeSchema: z.ZodType<TokenScope> = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('agent'), agentId: z.string().min(1).max(64) }).strict(),
  z.object({ kind: z.literal('session'), sessionKey: z.string().min(1).max(4096) }).strict(),
  z.object({ kind: z.literal('prefix'), prefix: z.string().min(1).max(4096) }).strict(),
]);

/** A scope as a caller asks for it (raw, before canonicalization): exactly one of the three. */
export const ScopeRequestSchema = z
  .object({
    agentId: z.string().min(1).max(64).optional(),
    sessionKey: z.string().min(1).max(4096).optional(),
    prefix: z.string().min(1).max(4096).optional(),
  })
  .strict();
/** @see ScopeRequestSchema */
export type ScopeRequest = z.infer<typeof ScopeRequestSchema>;

/**
 * Canonicalizes a session key the way the gateway stores it (throws `GatewayError` 400 for a
 * malformed or unknown-agent key). In the gateway this is `resolveTurnTarget({ sessionKey })`.
 */
export type SessionKeyCanonicalizer = (rawKey: string) => { sessionKey: string; agentId: string };

/**
 * Turns a requested scope into a canonical one. Exactly one of `agentId`, `sessionKey`,
 * `prefix` must be given. A prefix must name at least one segment after `agent:<id>:` (an
 * agent-wide prefix is the `agent` scope); its trailing `:` is dropped.
 *
 * @throws {GatewayError} `invalid_request` naming the offending field.
 */
export function canonicalizeScope(
  request: ScopeRequest,
  options: { canonicalize: SessionKeyCanonicalizer; knownAgentIds: ReadonlyArray<string> },
): TokenScope {
  const given = (['agentId', 'sessionKey', 'prefix'] as const).filter((name) => request[name] !== undefined);
  if (given.length !== 1) {
    throw new GatewayError(
      'invalid_request',
      'Give exactly one scope: agentId (--agent), sessionKey (--session-key) or prefix (--prefix).',
      {
        field: given[1] ?? 'scope',
      },
    );
  }
  if (request.agentId !== undefined) {
    const agentId = normalizeAgentId(request.agentId);
    if (request.agentId.trim() === '' || !options.knownAgentIds.includes(agentId)) {
      throw new GatewayError('invalid_request', `Unknown agent id "${request.agentId.trim()}".`, { field: 'agentId' });
    }
    return { kind: 'agent', agentId };
  }
  if (request.sessionKey !== undefined) {
    return { kind: 'session', sessionKey: canonicalOrField(options.canonicalize, request.sessionKey, 'sessionKey').sessionKey };
  }
  const raw = (request.prefix ?? '').trim().replace(/:+$/, '');
  const canonical = canonicalOrField(options.canonicalize, raw, 'prefix').sessionKey;
  if (parseAgentSessionKey(canonical) === null) {
    throw new GatewayError('invalid_request', `Prefix "${raw}" must be an agent session key prefix such as agent:ops:tenant-a.`, {
      field: 'prefix',
    });
  }
  return { kind: 'prefix', prefix: canonical };
}

function canonicalOrField(canonicalize: SessionKeyCanonicalizer, raw: string, field: string): { sessionKey: string; agentId: string } {
  if (raw.trim() === '') throw new GatewayError('invalid_request', `${field} must not be blank`, { field });
  try {
    return canonicalize(raw);
  } catch (error) {
    if (GatewayError.isInstance(error)) throw new GatewayError(error.code, error.message, { field });
    throw error;
  }
}

/** The agent a canonical key belongs to (`agent:<id>:…`), or `undefined` for a key without one. */
export function agentOfKey(canonicalKey: string): string | undefined {
  const parsed = parseAgentSessionKey(canonicalKey);
  return parsed ? normalizeAgentId(parsed.agentId) : undefined;
}

/**
 * Does `scope` cover the session `canonicalKey`? Pure string comparison of canonical forms;
 * the caller canonicalizes (or reads the key from the store, which holds canonical keys).
 */
export function scopeCoversSession(scope: TokenScope, canonicalKey: string): boolean {
  switch (scope.kind) {
    case 'session':
      return canonicalKey === scope.sessionKey;
    case 'prefix':
      return (
        canonicalKey === scope.prefix || (canonicalKey.startsWith(scope.prefix) && canonicalKey.charCodeAt(scope.prefix.length) === 58)
      );
    case 'agent':
      return agentOfKey(canonicalKey) === scope.agentId;
  }
}

/** Does `scope` reach the agent `agentId` at all (some session of it may be in scope)? */
export function scopeTouchesAgent(scope: TokenScope, agentId: string): boolean {
  if (scope.kind === 'agent') return scope.agentId === agentId;
  return agentOfKey(scope.kind === 'session' ? scope.sessionKey : scope.prefix) === agentId;
}

/** The agent a scope belongs to (every scope names exactly one agent). */
export function agentOfScope(scope: TokenScope): string | undefined {
  if (scope.kind === 'agent') return scope.agentId;
  return agentOfKey(scope.kind === 'session' ? scope.sessionKey : scope.prefix);
}

/** One-line human form (`agent ops`, `session agent:ops:main`, `prefix agent:ops:tenant-a`). */
export function describeScope(scope: TokenScope): string {
  if (scope.kind === 'agent') return `agent ${scope.agentId}`;
  if (scope.kind === 'session') return `session ${scope.sessionKey}`;
  return `prefix ${scope.prefix}`;
}
