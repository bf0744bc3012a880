import { GatewayError } from '../errors.js';
import type { AuthLimiter } from './auth-limiter.js';
import type { AuthenticationFailure, CredentialService } from './credential-service.js';
import type { Identity } from './identity.js';

/** What the auth plugin reports about each authentication, for metrics. */
export interface RequestAuthObserver {
  /** A request presented no valid credential; `credentialId` when it named a stored (revoked/expired) token. */
  onFailure?(reason: AuthenticationFailure, credentialId: string | undefined): void;
}

/** Options of {@link createRequestAuthenticator}. */
export interface RequestAuthenticatorOptions {
  credentials: CredentialService;
  limiter: AuthLimiter;
  observer?: RequestAuthObserver;
}

/**
 * Resolves a request's `Authorization` header into an identity, or throws the answer:
 * - a valid operator or scoped token → its identity, **without consulting the limiter** (a
 *   valid credential is never locked out, whatever other clients do);
 * - anything else → 401 (`Missing bearer token…` / `Invalid bearer token.`, the same text for
 *   unknown, forged, revoked and expired tokens, so the answer is no oracle), or 429 with
 *   `retryAfterSeconds` while the limiter holds that value or the whole gateway locked.
 *
 * The source address is deliberately not an input: rotating addresses changes nothing.
 */
export function createRequestAuthenticator(options: RequestAuthenticatorOptions): (authorization: string | undefined) => Identity {
  return (authorization) => {
    const result = options.credentials.authenticate(authorization);
    if (result.ok) return result.identity;
    options.observer?.onFailure?.(result.reason, result.credentialId);
    const verdict = options.limiter.fail(result.fingerprint);
    if (verdict.kind === 'limited') {
      const retryAfterSeconds = Math.max(1, Math.ceil(verdict.retryAfterMs / 1000));
      throw new AuthRateLimitedError(retryAfterSeconds);
    }
    throw new GatewayError('unauthorized', result.reason === 'missing' ? 'Missing bearer token (Authorization: Bearer <token>).' : 'Invalid bearer token.');
  };
}

/** The 429 of the auth limiter; the auth plugin copies `retryAfterSeconds` into `retry-after`. */
export class AuthRateLimitedError extends GatewayError {
  readonly retryAfterSeconds: number;

  constructor(retryAfterSeconds: number) {
    super('rate_limited', `Too many failed authentication attempts; retry in ${retryAfterSeconds} s.`);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}
