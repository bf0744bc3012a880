import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import type { CredentialMetrics } from '../credentials/credential-metrics.js';
import { AuthRateLimitedError } from '../credentials/request-auth.js';
import { ANONYMOUS_IDENTITY, type GatewayIdentity } from './identity.js';

/** Options of {@link authPlugin}. */
export interface AuthPluginOptions {
  /** `Authorization` header → identity; throws the 401/429 (credentials/request-auth.ts). */
  authenticate(authorization: string | undefined): GatewayIdentity;
  /** Per-credential request counts. */
  credentialMetrics: CredentialMetrics;
  /** Requests that need no credential (they get the anonymous identity). */
  isPublic(request: FastifyRequest): boolean;
}

/**
 * One `onRequest` hook for every route: public requests pass as anonymous; the operator token or
 * a valid scoped token sets `request.identity` (a valid credential is never rate limited);
 * anything else is a 401, or a 429 with `retry-after` while the limiter holds it.
 */
const auth: FastifyPluginAsync<AuthPluginOptions> = async (app, options) => {
  // Fastify refuses object decorators (they would be shared): each request's identity lives here.
  const identities = new WeakMap<FastifyRequest, GatewayIdentity>();
  app.decorateRequest('identity', {
    getter(this: FastifyRequest) {
      return identities.get(this) ?? ANONYMOUS_IDENTITY;
    },
    setter(this: FastifyRequest, identity: GatewayIdentity) {
      identities.set(this, identity);
    },
  });
  app.addHook('onRequest', async (request, reply) => {
    if (options.isPublic(request)) return;
    try {
      request.identity = options.authenticate(request.headers.authorization);
    } catch (error) {
      if (error instanceof AuthRateLimitedError) void reply.header('retry-after', String(error.retryAfterSeconds));
      throw error;
    }
    options.credentialMetrics.request(request.identity.credentialId);
  });
};

/** The auth plugin (applies to the whole app: registered with `fastify-plugin`). */
export const authPlugin = fastifyPlugin(auth, { name: 'pincer-auth', fastify: '5.x' });
