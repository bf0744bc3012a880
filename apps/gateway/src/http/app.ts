import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { createJsonSchemaTransform, createJsonSchemaTransformObject, serializerCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { authPlugin } from '../auth/auth-plugin.js';
import { createFailedAuthLimiter, type AuthLimitOptions } from '../auth/failed-auth-limiter.js';
import type { Authenticator } from '../auth/identity.js';
import { operatorTokenAuthenticator } from '../auth/operator-token.js';
import type { GatewayRuntime } from '../compose.js';
import { cronRoutes } from '../cron/routes.js';
import { GatewayError, notFound } from '../errors.js';
import { DEFAULT_MAX_EVENT_STREAMS, eventRoutes } from '../events/routes.js';
import { inboundRoutes } from '../inbound/routes.js';
import { pathOf, pluginRoutes } from '../plugins/routes.js';
import { processRoutes } from '../processes/routes.js';
import { runRoutes } from '../runs/routes.js';
import { sessionRoutes } from '../sessions/routes.js';
import { toolRoutes } from '../tools/routes.js';
import { zodValidatorCompiler } from './route-schema.js';
import { wireSchemaRegistry } from './schemas.js';
import { createScopeResolver } from './scope.js';
import { systemRoutes } from './system-routes.js';

/** Default of `gateway.bodyLimitBytes`. */
export const DEFAULT_BODY_LIMIT_BYTES = 1_048_576;
/** Longest path parameter: session keys travel in path segments (POST /v1/agent accepts up to 4096 chars). */
const MAX_PARAM_LENGTH = 16_384;

/** Options of {@link buildHttpApp}. */
export interface HttpAppOptions {
  /** The operator's bearer token. */
  token: string;
  /** Failed-auth limiter (tests). Default 10 per 60 s, then 429 for 300 s. */
  authLimit?: AuthLimitOptions | undefined;
  /** Replaces the operator-token authenticator (the credentials work composes its own). */
  authenticate?: Authenticator | undefined;
}

/**
 * The Fastify app over a runtime: zod validation and serialization (the response schemas are the
 * allow-list), the auth plugin, the uniform error body, one plugin per resource, and
 * `/openapi.json` generated from the route declarations. Not listening yet.
 */
export async function buildHttpApp(runtime: GatewayRuntime, options: HttpAppOptions): Promise<FastifyInstance> {
  const gatewayConfig = runtime.config.gateway;
  const server = Fastify({
    logger: false,
    bodyLimit: gatewayConfig?.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    forceCloseConnections: true,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // Router-level failures (bad URL encoding, over-long params) answer in the uniform error shape.
    frameworkErrors: (error, _request, reply) => {
      // Fastify types this reply with the route generics of a route that was never matched.
      void (reply as unknown as FastifyReply).status(400).send({ error: { code: 'invalid_request', message: error.message, field: 'path' } });
    },
  });
  const app = server.withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(zodValidatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Pincer gateway', version: '0.0.0' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: createJsonSchemaTransform({ schemaRegistry: wireSchemaRegistry }),
    transformObject: createJsonSchemaTransformObject({ schemaRegistry: wireSchemaRegistry }),
  });

  await app.register(authPlugin, {
    authenticate: options.authenticate ?? operatorTokenAuthenticator(options.token),
    limiter: createFailedAuthLimiter({ maxAttempts: gatewayConfig?.authMaxAttempts, ...options.authLimit }, runtime.clock),
    metrics: runtime.metrics,
    isPublic(request) {
      const path = pathOf(request);
      if (path === '/healthz') return true;
      return path.startsWith('/plugins/') && runtime.plugins.host.matchRoute(request.method, path)?.route.auth === 'plugin';
    },
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    runtime.metrics.httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
    runtime.logger.debug({ method: request.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'http');
  });

  server.setErrorHandler((error: unknown, _request, reply) => {
    if (GatewayError.isInstance(error)) return reply.status(error.status).send(error.toBody());
    const frameworkError = error as { statusCode?: number; message?: string };
    if (frameworkError.statusCode && frameworkError.statusCode >= 400 && frameworkError.statusCode < 500) {
      const code = frameworkError.statusCode === 404 ? 'not_found' : 'invalid_request';
      return reply.status(frameworkError.statusCode).send({ error: { code, message: frameworkError.message ?? 'Bad request', field: 'body' } });
    }
    runtime.metrics.errors.inc({ where: 'http' });
    runtime.logger.error({ err: error }, 'unhandled HTTP error');
    return reply.status(500).send({ error: { code: 'internal', message: 'Internal error; see the gateway log.' } });
  });

  server.setNotFoundHandler((request, reply) => reply.status(404).send(notFound(`Route ${request.method} ${pathOf(request)}`).toBody()));

  const resolveScope = createScopeResolver(runtime.resolveTurnTarget);
  await app.register(systemRoutes, { runtime });
  await app.register(runRoutes, { runs: runtime.runs, resolveScope });
  await app.register(inboundRoutes, { inbound: runtime.inbound });
  await app.register(sessionRoutes, { sessions: runtime.sessions, resolveScope });
  await app.register(processRoutes, { processes: runtime.processes, resolveScope });
  await app.register(toolRoutes, { invokeTool: runtime.invokeTool });
  await app.register(cronRoutes, { cron: runtime.cron, resolveScope });
  await app.register(eventRoutes, { bus: runtime.bus, resolveScope, maxEventStreams: gatewayConfig?.maxEventStreams ?? DEFAULT_MAX_EVENT_STREAMS });
  await app.register(pluginRoutes, { host: runtime.plugins.host });
  return app;
}

export type { AuthLimitOptions };
