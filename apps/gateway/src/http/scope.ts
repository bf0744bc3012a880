import type { FastifyRequest } from 'fastify';
import { createAccessScope, type AccessScope } from '../credentials/access-scope.js';
import { canSeeSession } from '../credentials/authorize.js';
import type { Permission } from '../credentials/capabilities.js';
import type { CredentialMetrics } from '../credentials/credential-metrics.js';
import type { AuditNote, RouteGuard } from '../credentials/route-guard.js';
import { GatewayError, notFound } from '../errors.js';
import type { TurnTarget, TurnTargetResolver } from '../sessions/turn-target.js';

/**
 * What routes derive from a request's identity: the scope it may see (its credential's,
 * narrowed by `?sessionKey=`), the sessions it may act on, and the permission gate. Objects
 * outside the scope answer exactly like missing ones.
 */
export interface RequestAccess {
  /** The request's scope. A bad `?sessionKey=` is a 400 on `sessionKey`. */
  scope(request: FastifyRequest, sessionKey: string | undefined): AccessScope;
  /**
   * A session a body or query names as the target of an action: canonical (turn-target rules;
   * a bad key is a 400 on `field`) and inside the caller's scope, else `Session <key> not found` (404).
   */
  requireSession(request: FastifyRequest, sessionKey: string, field?: string): TurnTarget;
  /** The canonical key of an action's target session, when it is inside the caller's scope (else the same 404). */
  requireVisibleKey(request: FastifyRequest, canonicalKey: string): string;
  /** Permission first (403, the same for every object), then `handler`; with `audit`, every outcome is recorded. */
  run<T>(
    request: FastifyRequest,
    permission: Permission | ReadonlyArray<Permission>,
    audit: AuditNote | undefined,
    handler: () => T | Promise<T>,
  ): Promise<T>;
}

/** Build the request access helpers over the turn-target rules, the route guard and the per-credential metrics. */
export function createRequestAccess(options: {
  resolveTurnTarget: TurnTargetResolver;
  guard: RouteGuard;
  metrics: CredentialMetrics;
}): RequestAccess {
  const resolve = (sessionKey: string, field: string): TurnTarget => {
    try {
      return options.resolveTurnTarget({ sessionKey });
    } catch (error) {
      if (GatewayError.isInstance(error)) throw new GatewayError(error.code, error.message, { field });
      throw error;
    }
  };
  const requireVisibleKey = (request: FastifyRequest, canonicalKey: string): string => {
    if (canSeeSession(request.identity, canonicalKey)) return canonicalKey;
    options.metrics.refusal(request.identity.credentialId, 'scope');
    throw notFound(`Session ${canonicalKey}`);
  };
  return {
    scope(request, sessionKey) {
      const requested = sessionKey === undefined ? undefined : resolve(sessionKey, 'sessionKey').sessionKey;
      return createAccessScope(request.identity, requested, () => options.metrics.refusal(request.identity.credentialId, 'scope'));
    },
    requireSession(request, sessionKey, field = 'sessionKey') {
      const target = resolve(sessionKey, field);
      requireVisibleKey(request, target.sessionKey);
      return target;
    },
    requireVisibleKey,
    run: (request, permission, audit, handler) =>
      options.guard.run({ identity: request.identity, sourceAddress: request.ip }, permission, audit, handler),
  };
}
