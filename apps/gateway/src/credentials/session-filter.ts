import type { Identity } from './identity.js';
import { scopeCoversSession } from './scope.js';

/**
 * Which sessions a request may touch: the caller's scope intersected with its optional
 * `?sessionKey=` filter (already canonical). Stores can turn it into SQL (`key = ?`,
 * `agent_id = ?`, `key = ? OR key LIKE ? || ':%'`); everything else uses {@link sessionFilterMatches}.
 * - `all`: the operator without a filter.
 * - `none`: a filter naming a session outside the scope (answers like "no such session").
 */
export type SessionFilter =
  | { kind: 'all' }
  | { kind: 'none' }
  | { kind: 'key'; sessionKey: string }
  | { kind: 'agent'; agentId: string }
  | { kind: 'prefix'; prefix: string };

/** The filter of `identity` narrowed by `requestedKey` (canonical), if any. */
export function sessionFilterFor(identity: Identity, requestedKey: string | undefined): SessionFilter {
  if (identity.kind === 'anonymous') return { kind: 'none' };
  if (requestedKey !== undefined) {
    if (identity.kind === 'operator' || scopeCoversSession(identity.scope, requestedKey)) return { kind: 'key', sessionKey: requestedKey };
    return { kind: 'none' };
  }
  if (identity.kind === 'operator') return { kind: 'all' };
  const scope = identity.scope;
  if (scope.kind === 'session') return { kind: 'key', sessionKey: scope.sessionKey };
  if (scope.kind === 'agent') return { kind: 'agent', agentId: scope.agentId };
  return { kind: 'prefix', prefix: scope.prefix };
}

/** Does `filter` admit the session `canonicalKey`? */
export function sessionFilterMatches(filter: SessionFilter, canonicalKey: string): boolean {
  switch (filter.kind) {
    case 'all':
      return true;
    case 'none':
      return false;
    case 'key':
      return canonicalKey === filter.sessionKey;
    case 'agent':
      return scopeCoversSession({ kind: 'agent', agentId: filter.agentId }, canonicalKey);
    case 'prefix':
      return scopeCoversSession({ kind: 'prefix', prefix: filter.prefix }, canonicalKey);
  }
}
