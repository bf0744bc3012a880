import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { GatewayRuntime } from '../compose.js';
import type { CredentialStreams } from '../credentials/credential-streams.js';
import type { RequestAccess } from './scope.js';
import { errorResponses } from './route-schema.js';
import { HealthSchema } from './schemas.js';

/** Backing-off sessions listed at most in `/v1/status` (soonest retry first; `backingOffCount` counts all). */
const STATUS_MAX_BACKING_OFF = 100;

const GatewayStatusSchema = z
  .object({
    ok: z.literal(true),
    agents: z.array(z.string()),
    /** Where state lives: `sqlite` (the embedded file) or `postgres` (with its schema). */
    store: z.object({ kind: z.enum(['sqlite', 'postgres']), schema: z.string().optional() }),
    /** Cluster mode: this node and every node of the schema, as the database has them. */
    cluster: z
      .object({
        nodeId: z.string(),
        nodes: z.array(
          z.object({
            id: z.string(),
            url: z.string(),
            state: z.enum(['live', 'dead', 'left']),
            startedAt: z.number().int(),
            leaseUntil: z.number().int(),
            reapedBy: z.string().nullable(),
          }),
        ),
      })
      .optional(),
    plugins: z.object({
      loaded: z.array(z.object({ id: z.string(), name: z.string().optional() })),
      /** Every plugin route; `auth: 'plugin'` routes are public (the plugin authenticates them itself). */
      routes: z.array(z.object({ pluginId: z.string(), method: z.string(), path: z.string(), auth: z.enum(['gateway', 'plugin']) })),
      publicRoutes: z.array(z.object({ pluginId: z.string(), method: z.string(), path: z.string() })),
    }),
    credentials: z.object({ active: z.number().int(), total: z.number().int() }),
    events: z.object({ streamsByCredential: z.record(z.string(), z.number().int()) }),
    heartbeats: z
      .object({
        /** Sessions whose heartbeat turns keep failing (a provider outage): their events stay queued. */
        backingOffCount: z.number().int(),
        backingOff: z.array(
          z.object({
            sessionKey: z.string(),
            agentId: z.string(),
            consecutiveFailures: z.number().int(),
            lastError: z.string(),
            lastFailedAt: z.number(),
            nextAttemptAt: z.number(),
          }),
        ),
      })
      .describe(`Heartbeat backoff: the ${STATUS_MAX_BACKING_OFF} soonest retries, and how many sessions back off.`),
  })
  .describe('Gateway status (operator only).');

/**
 * `/healthz` (no auth), `/metrics` (Prometheus text, operator only), `/openapi.json` (generated
 * from the route schemas), `/v1/status` (operator only: agents, plugins and their public routes,
 * tokens, open streams per credential).
 */
export const systemRoutes: FastifyPluginAsyncZod<{
  runtime: Pick<GatewayRuntime, 'metrics' | 'systemEvents' | 'processes' | 'config' | 'plugins' | 'credentials' | 'heartbeats' | 'cluster'>;
  access: RequestAccess;
  credentialStreams: CredentialStreams;
}> = async (app, { runtime, access, credentialStreams }) => {
  const tags = ['system'];
  app.get(
    '/healthz',
    {
      schema: {
        operationId: 'getHealth',
        summary: 'Liveness (no auth).',
        tags,
        security: [],
        response: { 200: HealthSchema, ...errorResponses() },
      },
    },
    async () => ({ ok: true as const, version: 1 }),
  );

  app.get(
    '/openapi.json',
    {
      schema: {
        operationId: 'getOpenApiDocument',
        summary: 'This document.',
        tags,
        response: { 200: z.record(z.string(), z.unknown()).describe('The OpenAPI 3.1 document.'), ...errorResponses() },
      },
    },
    async () => app.swagger() as unknown as Record<string, unknown>,
  );

  app.get(
    '/metrics',
    {
      schema: {
        operationId: 'getMetrics',
        summary: 'Prometheus metrics (runs, processes, queue depth, wakes, errors).',
        tags,
        response: {
          200: { description: 'Prometheus text exposition format.', content: { 'text/plain': { schema: z.string() } } },
          ...errorResponses(403),
        },
      },
    },
    async (request, reply) => {
      // Per-credential counts name every token: the operator's view only.
      const text = await access.run(request, 'metrics:read', undefined, async () => {
        runtime.systemEvents.updateDepth();
        runtime.metrics.processesRunning.set(runtime.processes.registry.stats().running);
        return runtime.metrics.registry.metrics();
      });
      return reply.header('content-type', runtime.metrics.registry.contentType).send(text);
    },
  );

  app.get(
    '/v1/status',
    {
      schema: {
        operationId: 'getStatus',
        summary: 'Gateway status (operator only).',
        tags,
        response: { 200: GatewayStatusSchema, ...errorResponses(403) },
      },
    },
    async (request) =>
      access.run(request, 'metrics:read', undefined, () => {
        const routes = runtime.plugins.host
          .routes()
          .map((route) => ({ pluginId: route.pluginId, method: route.method, path: route.path, auth: route.auth }));
        const tokens = runtime.credentials.list();
        const backingOff = runtime.heartbeats.runner.backoffSnapshot();
        return {
          ok: true as const,
          agents: runtime.config.agents.map((agent) => agent.id),
          store:
            runtime.config.store?.kind === 'postgres'
              ? { kind: 'postgres' as const, schema: runtime.config.store.schema ?? 'public' }
              : { kind: 'sqlite' as const },
          ...(runtime.cluster ? { cluster: { nodeId: runtime.cluster.nodeId, nodes: runtime.cluster.nodes() } } : {}),
          plugins: {
            loaded: runtime.plugins.host.plugins().map((plugin) => ({ id: plugin.id, name: plugin.name })),
            routes,
            publicRoutes: routes
              .filter((route) => route.auth === 'plugin')
              .map(({ pluginId, method, path }) => ({ pluginId, method, path })),
          },
          credentials: { active: tokens.filter((token) => token.status === 'active').length, total: tokens.length },
          events: { streamsByCredential: credentialStreams.countsByCredential() },
          heartbeats: {
            backingOffCount: backingOff.length,
            backingOff: backingOff.slice(0, STATUS_MAX_BACKING_OFF).map((entry) => ({
              sessionKey: entry.sessionKey,
              agentId: entry.agentId,
              consecutiveFailures: entry.consecutiveFailures,
              lastError: entry.lastError.slice(0, 500),
              lastFailedAt: entry.lastFailedAt,
              nextAttemptAt: entry.nextAttemptAt,
            })),
          },
        };
      }),
  );
};
