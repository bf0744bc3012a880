import type { Identity } from '../credentials/identity.js';

export { ANONYMOUS_IDENTITY, OPERATOR_IDENTITY } from '../credentials/identity.js';

/**
 * Who a request acts as: the operator (the state dir's token), a scoped token (its scope,
 * capabilities and expiry), or anonymous (`/healthz`, plugin routes declared `auth: 'plugin'`).
 * Routes read `request.identity`, never the header. See `credentials/identity.ts`.
 */
export type GatewayIdentity = Identity;

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth plugin before any route handler runs. */
    identity: GatewayIdentity;
  }
}
