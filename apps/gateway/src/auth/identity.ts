/**
 * Who a request acts as. Today the only credential is the operator's bearer token; the
 * credentials work adds kinds here (e.g. `{ kind: 'client'; credentialId; scopes }`) and an
 * {@link Authenticator} that returns them. Routes read `request.identity`, never the header.
 */
export type GatewayIdentity =
  | { readonly kind: 'operator'; readonly credentialId: 'operator' }
  /** Routes that need no credential (`/healthz`, plugin routes declared `auth: 'plugin'`). */
  | { readonly kind: 'anonymous' };

/** The identity of a valid operator token. */
export const OPERATOR_IDENTITY: GatewayIdentity = Object.freeze({ kind: 'operator', credentialId: 'operator' });

/** The identity of a public route's request. */
export const ANONYMOUS_IDENTITY: GatewayIdentity = Object.freeze({ kind: 'anonymous' });

/**
 * Maps a presented bearer token to an identity, or `undefined` when it is not valid. The extension
 * point for more credential kinds: compose several authenticators (first match wins).
 */
export type Authenticator = (bearerToken: string) => GatewayIdentity | undefined;

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth plugin before any route handler runs. */
    identity: GatewayIdentity;
  }
}
