import { GatewayError, notFound } from '../errors.js';
import { isOperatorPower, type Permission } from './capabilities.js';
import type { Identity } from './identity.js';
import { scopeCoversSession, scopeTouchesAgent } from './scope.js';

/**
 * The object an action touches: a session by its **canonical** key, an agent by its normalized
 * id, or nothing (a route-level check: "may this caller use this route at all?").
 */
export type AccessTarget = { sessionKey: string } | { agentId: string } | undefined;

/**
 * The one authorization function. The operator may do anything; the anonymous caller nothing;
 * a scoped token may do `permission` when it holds that capability (operator-only powers are
 * never held) and, when a target is named, the target is inside its scope.
 */
export function can(identity: Identity, permission: Permission, target?: AccessTarget): boolean {
  if (identity.kind === 'operator') return true;
  if (identity.kind === 'anonymous') return false;
  if (isOperatorPower(permission) || !identity.capabilities.has(permission)) return false;
  if (target === undefined) return true;
  return 'sessionKey' in target ? scopeCoversSession(identity.scope, target.sessionKey) : scopeTouchesAgent(identity.scope, target.agentId);
}

/**
 * May `identity` see the session `canonicalKey` at all (independent of capability)? Lists are
 * filtered by this, and an object outside it answers exactly like a missing one.
 */
export function canSeeSession(identity: Identity, canonicalKey: string): boolean {
  if (identity.kind === 'operator') return true;
  if (identity.kind === 'anonymous') return false;
  return scopeCoversSession(identity.scope, canonicalKey);
}

/**
 * Route-level gate: throws unless the caller holds `permission` (or one of a list). The answer is the same for an
 * own, a foreign and a missing object (it is decided before any object is looked up): 401 for
 * the anonymous caller, 403 naming the missing capability otherwise.
 */
export function requirePermission(identity: Identity, permission: Permission | ReadonlyArray<Permission>): void {
  const anyOf = typeof permission === 'string' ? [permission] : permission;
  if (anyOf.some((each) => can(identity, each))) return;
  if (identity.kind === 'anonymous') throw new GatewayError('unauthorized', 'Missing bearer token (Authorization: Bearer <token>).');
  if (anyOf.every((each) => isOperatorPower(each))) throw new GatewayError('forbidden', 'Only the operator credential may do this.');
  throw new GatewayError('forbidden', `This token lacks the ${anyOf.map((each) => `"${each}"`).join(' or ')} capability.`);
}

/**
 * Object-level gate: returns the canonical key when the caller may see it, else throws the
 * exact `not found` error a missing object gets (`<what> not found`, 404).
 */
export function requireVisibleSession(identity: Identity, canonicalKey: string | undefined, what: string): string {
  if (canonicalKey === undefined || !canSeeSession(identity, canonicalKey)) throw notFound(what);
  return canonicalKey;
}
