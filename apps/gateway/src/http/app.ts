import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import {
  createJsonSchemaTransform,
  createJsonSchemaTransformObject,
  serializerCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { authPlugin } from '../auth/auth-plugin.js';
import { DEFAULT_HOST, DEFAULT_PORT } from './listen-defaults.js';
import { createFailedAuthLimiter, type AuthLimitOptions } from '../auth/failed-auth-limiter.js';
import { createCredentialStreams } from '../credentials/credential-streams.js';
import { CLUSTER_SECRET_HEADER } from '../cluster/cluster.js';
import { CLUSTER_SHELLS_PATH, clusterRoutes } from '../cluster/routes.js';
import { credentialRoutes } from '../credentials/routes.js';
import { createRequestAuthenticator } from '../credentials/request-auth.js';
import { createRouteGuard } from '../credentials/route-guard.js';
import type { GatewayRuntime } from '../compose.js';
import { consolePlugin, isPublicConsoleRequest } from '../console/console-plugin.js';
import { cronRoutes } from '../cron/routes.js';
import { GatewayError, notFound } from '../errors.js';
import { DEFAULT_MAX_EVENT_STREAMS, eventRoutes } from '../events/routes.js';
import { inboundRoutes } from '../inbound/routes.js';
import { pathOf, pluginRoutes } from '../plugins/routes.js';
import { processLogStreamRoute } from '../processes/log-stream-route.js';
import { processRoutes } from '../processes/routes.js';
import { sandboxRoutes } from '../sandbox/routes.js';
import { runRoutes } from '../runs/routes.js';
import { sessionRoutes } from '../sessions/routes.js';
import { toolRoutes } from '../tools/routes.js';
import { createLimitedServer } from '../security/connection-limits.js';
import { createHostOriginGuard } from '../security/host-origin.js';
import { classifyStorageError, STORAGE_FAULT_MESSAGE, STORAGE_FAULT_STATUS } from '../store/storage-faults.js';
import { zodValidatorCompiler } from './route-schema.js';
import { wireSchemaRegistry } from './schemas.js';
import { createRequestAccess } from './scope.js';
import { systemRoutes } from './system-routes.js';

/** Default of `gateway.bodyLimitBytes`. */
export const DEFAULT_BODY_LIMIT_BYTES = 1_048_576;
/** Longest path parameter: session keys travel in path segments (POST /v1/agent accepts up to 4096 chars). */
const MAX_PARAM_LENGTH = 16_384;

/** Options of {@link buildHttpApp}. */
export interface HttpAppOptions {
  /** The operator's bearer token. */
  token: string;
  /** Failed-auth limiter (tests). Default: one presented value 10 per 60 s, then 429 for 300 s; 100 per 60 s from anywhere, then 429 for 60 s. */
  authLimit?: AuthLimitOptions | undefined;
  /** The address the gateway binds, accepted in `Host` besides loopback and `security.allowedHosts`. */
  boundHost?: string | undefined;
  /** Told about every route as it is registered (tests compare them with the OpenAPI document). */
  onRoute?: ((route: { method: string | string[]; url: string }) => void) | undefined;
}

/**
 * The Fastify app over a runtime: zod validation and serialization (the response schemas are the
 * allow-list), the auth plugin, the uniform error body, one plugin per resource, and
 * `/openapi.json` generated from the route declarations. Not listening yet.
 */
export async function buildHttpApp(runtime: GatewayRuntime, options: HttpAppOptions): Promise<FastifyInstance> {
  const gatewayConfig = runtime.config.gateway;
  const security = runtime.config.security;
  const connectionLimits = security?.connections ?? {};
  const server = Fastify({
    logger: false,
    // Issue 14 item 17: header/body deadlines, idle sockets and per-source connection caps.
    serverFactory: (handler) => createLimitedServer(handler, connectionLimits).server,
    bodyLimit: gatewayConfig?.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    forceCloseConnections: true,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // Router-level failures (bad URL encoding, over-long params) answer in the uniform error shape.
    frameworkErrors: (error, _request, reply) => {
      // Fastify types this reply with the route generics of a route that was never matched.
      void (reply as unknown as FastifyReply)
        .status(400)
        .send({ error: { code: 'invalid_request', message: error.message, field: 'path' } });
    },
  });
  const app = server.withTypeProvider<ZodTypeProvider>();
  if (options.onRoute) {
    const onRoute = options.onRoute;
    app.addHook('onRoute', (route) => onRoute({ method: route.method, url: route.url }));
  }
  app.setValidatorCompiler(zodValidatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Pincer gateway', version: '0.0.0', license: { name: 'MIT', identifier: 'MIT' } },
      // The gateway listens on loopback by default; host and port are the operator's (`--host`, `--port`).
      servers: [
        {
          url: 'http://{host}:{port}',
          variables: { host: { default: DEFAULT_HOST }, port: { default: String(DEFAULT_PORT) } },
        },
      ],
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          clusterSecret: {
            type: 'apiKey',
            in: 'header',
            name: CLUSTER_SECRET_HEADER,
            description: 'The cluster secret (node-to-node calls only).',
          },
        },
      },
      security: [{ bearer: [] }],
    },
    transform: createJsonSchemaTransform({ schemaRegistry: wireSchemaRegistry }),
    transformObject: (input) => withoutUnusedInputSchemas(createJsonSchemaTransformObject({ schemaRegistry: wireSchemaRegistry })(input)),
  });

  // Issue 14 item 18: Host must be loopback or configured (DNS rebinding); cross-origin browser
  // requests never reach a route (plugin routes included). Runs before authentication.
  const hostGuard = createHostOriginGuard({
    allowedHosts: [...(security?.allowedHosts ?? []), ...(options.boundHost ? [options.boundHost] : [])],
  });
  app.addHook('onRequest', async (request) => {
    const verdict = hostGuard.check({
      host: request.headers.host,
      origin: request.headers.origin,
      'sec-fetch-site': typeof request.headers['sec-fetch-site'] === 'string' ? request.headers['sec-fetch-site'] : undefined,
    });
    if (!verdict.isAllowed)
      throw new GatewayError('forbidden', verdict.message, { field: verdict.reason === 'host' ? 'header.host' : 'header.origin' });
  });

  const credentialMetrics = runtime.metrics.credentials;
  await app.register(authPlugin, {
    authenticate: createRequestAuthenticator({
      operatorToken: options.token,
      credentials: runtime.credentials,
      limiter: createFailedAuthLimiter(
        {
          maxAttempts: gatewayConfig?.authMaxAttempts,
          maxFailuresGlobal: gatewayConfig?.authMaxFailuresGlobal,
          ...definedOnly(options.authLimit),
        },
        runtime.clock,
      ),
      observer: {
        onFailure(reason, credentialId) {
          runtime.metrics.authFailures.inc();
          credentialMetrics.authFailure(credentialId, reason);
        },
      },
    }),
    credentialMetrics,
    isPublic(request) {
      const path = pathOf(request);
      if (path === '/healthz' || isPublicConsoleRequest(request.method, path)) return true;
      // Node-to-node calls carry the cluster secret, checked by the route itself (no API credential opens it).
      if (request.method === 'POST' && path === CLUSTER_SHELLS_PATH) return true;
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
    // Issue 14 item 15: a full disk or an I/O fault is a typed answer, never `500 internal`.
    const storageFault = classifyStorageError(error);
    if (storageFault) {
      runtime.metrics.errors.inc({ where: 'storage' });
      const code = storageFault === 'storage_full' ? 'storage_full' : 'unavailable';
      return reply.status(STORAGE_FAULT_STATUS[storageFault]).send({ error: { code, message: STORAGE_FAULT_MESSAGE[storageFault] } });
    }
    const frameworkError = error as { statusCode?: number; message?: string };
    if (frameworkError.statusCode && frameworkError.statusCode >= 400 && frameworkError.statusCode < 500) {
      const code = frameworkError.statusCode === 404 ? 'not_found' : 'invalid_request';
      return reply
        .status(frameworkError.statusCode)
        .send({ error: { code, message: frameworkError.message ?? 'Bad request', field: 'body' } });
    }
    runtime.metrics.errors.inc({ where: 'http' });
    runtime.logger.error({ err: error }, 'unhandled HTTP error');
    return reply.status(500).send({ error: { code: 'internal', message: 'Internal error; see the gateway log.' } });
  });

  server.setNotFoundHandler((request, reply) => reply.status(404).send(notFound(`Route ${request.method} ${pathOf(request)}`).toBody()));

  const access = createRequestAccess({
    resolveTurnTarget: runtime.resolveTurnTarget,
    guard: createRouteGuard({ audit: runtime.audit, metrics: credentialMetrics }),
    metrics: credentialMetrics,
  });
  const credentialStreams = createCredentialStreams({
    credentials: runtime.credentials,
    timers: {
      setInterval(callback, everyMs) {
        const handle = setInterval(callback, everyMs);
        handle.unref();
        return handle;
      },
      clearInterval: (handle) => clearInterval(handle as ReturnType<typeof setInterval>),
    },
  });
  app.addHook('onClose', async () => credentialStreams.dispose());
  await app.register(systemRoutes, { runtime, access, credentialStreams });
  await app.register(runRoutes, { runs: runtime.runs, access });
  await app.register(inboundRoutes, { inbound: runtime.inbound, access });
  await app.register(sessionRoutes, { sessions: runtime.sessions, access });
  await app.register(processRoutes, { processes: runtime.processes, access });
  await app.register(clusterRoutes, { cluster: runtime.cluster, processes: runtime.processes, metrics: runtime.metrics });
  await app.register(processLogStreamRoute, { processes: runtime.processes, access, credentialStreams });
  await app.register(toolRoutes, { invokeTool: runtime.invokeTool, access });
  await app.register(cronRoutes, { cron: runtime.cron, access });
  await app.register(eventRoutes, {
    bus: runtime.bus,
    access,
    credentialStreams,
    maxEventStreams: gatewayConfig?.maxEventStreams ?? DEFAULT_MAX_EVENT_STREAMS,
    maxStreamsPerSession: security?.perSession?.maxEventStreams,
  });
  await app.register(credentialRoutes, { credentials: runtime.credentials, audit: runtime.audit, access });
  await app.register(pluginRoutes, { host: runtime.plugins.host, access });
  await app.register(consolePlugin);
  await app.register(sandboxRoutes, { sandbox: runtime.sandbox });
  return app;
}

export type { AuthLimitOptions };

/** The options a caller set (explicit `undefined`s do not override the config). */
function definedOnly(options: AuthLimitOptions | undefined): AuthLimitOptions {
  const out: AuthLimitOptions = {};
  for (const [name, value] of Object.entries(options ?? {})) if (value !== undefined) Object.assign(out, { [name]: value });
  return out;
}

/**
 * The zod provider emits an `<Name>Input` twin of every registered schema (for request bodies);
 * drop the twins no operation references, so the document lists only what the API uses.
 */
function withoutUnusedInputSchemas<Document>(document: Document): Document {
  const schemas = (document as { components?: { schemas?: Record<string, unknown> } }).components?.schemas;
  if (!schemas) return document;
  const text = JSON.stringify({ ...document, components: { ...(document as { components: object }).components, schemas: {} } });
  const referenced = JSON.stringify(schemas);
  for (const name of Object.keys(schemas)) {
    if (!name.endsWith('Input')) continue;
    const reference = `"#/components/schemas/${name}"`;
    if (!text.includes(reference) && !referenced.includes(reference)) delete schemas[name];
  }
  return document;
}
