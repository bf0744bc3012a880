import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import { GatewayError } from '../errors.js';
import type { GatewayMetrics } from '../metrics.js';
import type { FailedAuthLimiter } from './failed-auth-limiter.js';
import { ANONYMOUS_IDENTITY, type Authenticator, type GatewayIdentity } from './identity.js';

/** Options of {@link authPlugin}. */
export interface AuthPluginOptions {
  /** Token → identity (the credentials work composes more authenticators here). */
  authenticate: Authenticator;
  limiter: FailedAuthLimiter;
  metrics: GatewayMetrics;
  /** Requests that need no credential (they get the anonymous identity). */
  isPublic(request: FastifyRequest): boolean;
}

const BEARER = /^Bearer\s+(.+)$/i;

/**
 * One `onRequest` hook for every route: public requests pass as anonymous; a locked-out address
 * gets 429 with `retry-after`; a valid bearer token sets `request.identity`; anything else is a
 * 401 and counts towards the lockout.
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
    const address = request.ip;
    const retryAfterSeconds = options.limiter.lockedForSeconds(address);
    if (retryAfterSeconds > 0) {
      void reply.header('retry-after', String(retryAfterSeconds));
      throw new GatewayError('rate_limited', `Too many failed authentication attempts; retry in ${retryAfterSeconds} s.`);
    }
    const header = request.headers.authorization ?? '';
    const presented = BEARER.exec(header)?.[1]?.trim();
    const identity = presented === undefined ? undefined : options.authenticate(presented);
    if (identity) {
      request.identity = identity;
      return;
    }
    options.metrics.authFailures.inc();
    options.limiter.recordFailure(address);
    throw new GatewayError('unauthorized', header === '' ? 'Missing bearer token (Authorization: Bearer <token>).' : 'Invalid bearer token.');
  });
};

/** The auth plugin (applies to the whole app: registered with `fastify-plugin`). */
export const authPlugin = fastifyPlugin(auth, { name: 'pincer-auth', fastify: '5.x' });
