import { GatewayError } from '../errors.js';
import type { TurnTargetResolver } from '../sessions/turn-target.js';

/**
 * The caller's own session from `?sessionKey=` (normalized like a turn target; a bad key is a 400
 * on `sessionKey`). Objects of any other session then answer exactly like missing ones.
 */
export type ScopeResolver = (sessionKey: string | undefined) => string | undefined;

/** Build the resolver over the turn-target rules. */
export function createScopeResolver(resolveTurnTarget: TurnTargetResolver): ScopeResolver {
  return (sessionKey) => {
    if (sessionKey === undefined) return undefined;
    try {
      return resolveTurnTarget({ sessionKey }).sessionKey;
    } catch (error) {
      if (GatewayError.isInstance(error)) throw new GatewayError(error.code, error.message, { field: 'sessionKey' });
      throw error;
    }
  };
}

/** Like {@link ScopeResolver} for a required key. */
export function requireScope(resolveScope: ScopeResolver, sessionKey: string): string {
  return resolveScope(sessionKey) ?? sessionKey;
}
