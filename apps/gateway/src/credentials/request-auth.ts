import { createHash, timingSafeEqual } from 'node:crypto';
import { GatewayError } from '../errors.js';
import type { AuthLimiter } from './auth-limiter.js';
import type { CredentialService, TokenRefusal } from './credential-service.js';
import { OPERATOR_IDENTITY, type Identity } from './identity.js';

/** Why a request presented no valid credential. */
export type AuthenticationFailure = 'missing' | 'malformed' | TokenRefusal;

/** What the auth plugin reports about failed authentications, for metrics. */
export interface RequestAuthObserver {
  /** `credentialId` when the value named a stored (revoked or expired) token. */
  onFailure?(reason: AuthenticationFailure, credentialId: string | undefined): void;
}

/** Options of {@link createRequestAuthenticator}. */
export interface RequestAuthenticatorOptions {
  /** The operator credential (the state dir's token, or `PINCER_GATEWAY_TOKEN`). */
  operatorToken: string;
  credentials: Pick<CredentialService, 'verify'>;
  limiter: AuthLimiter;
  observer?: RequestAuthObserver | undefined;
}

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/**
 * Resolves a request's `Authorization` header into an identity, or throws the answer:
 * - the operator token (constant-time compare) or a valid scoped token → its identity,
 *   **without consulting the limiter** (a valid credential is never locked out, whatever other
 *   clients do);
 * - anything else → 401 (`Missing bearer token…` / `Invalid bearer token.`, the same text for
 *   unknown, forged, revoked and expired tokens, so the answer is no oracle), or 429 with
 *   `retryAfterSeconds` while the limiter holds that value or the whole gateway locked.
 *
 * The source address is deliberately not an input: rotating addresses changes nothing.
 */
export function createRequestAuthenticator(options: RequestAuthenticatorOptions): (authorization: string | undefined) => Identity {
  const operatorDigest = sha256(options.operatorToken);
  const refuse = (reason: AuthenticationFailure, fingerprint: string, credentialId?: string): never => {
    options.observer?.onFailure?.(reason, credentialId);
    const verdict = options.limiter.fail(fingerprint);
    if (verdict.kind === 'limited') throw new AuthRateLimitedError(Math.max(1, Math.ceil(verdict.retryAfterMs / 1000)));
    throw new GatewayError(
      'unauthorized',
      reason === 'missing' ? 'Missing bearer token (Authorization: Bearer <token>).' : 'Invalid bearer token.',
    );
  };
  return (authorization) => {
    const header = authorization ?? '';
    if (header.trim() === '') return refuse('missing', 'none');
    const presented = BEARER.exec(header)?.[1];
    if (presented === undefined) return refuse('malformed', sha256(header).subarray(0, 8).toString('hex'));
    const digest = sha256(presented);
    if (timingSafeEqual(digest, operatorDigest)) return OPERATOR_IDENTITY;
    const verified = options.credentials.verify(presented);
    if (verified.ok) return verified.identity;
    return refuse(verified.reason, digest.subarray(0, 8).toString('hex'), verified.credentialId);
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

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
