import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { GatewayRuntime } from '../compose.js';
import { errorResponses } from './route-schema.js';
import { HealthSchema } from './schemas.js';

/** `/healthz` (no auth), `/metrics` (Prometheus text), `/openapi.json` (generated from the route schemas). */
export const systemRoutes: FastifyPluginAsyncZod<{ runtime: Pick<GatewayRuntime, 'metrics' | 'systemEvents' | 'processes'> }> = async (app, { runtime }) => {
  const tags = ['system'];
  app.get(
    '/healthz',
    { schema: { operationId: 'getHealth', summary: 'Liveness (no auth).', tags, security: [], response: { 200: HealthSchema, ...errorResponses() } } },
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
        response: { 200: { description: 'Prometheus text exposition format.', content: { 'text/plain': { schema: z.string() } } }, ...errorResponses() },
      },
    },
    async (_request, reply) => {
      runtime.systemEvents.updateDepth();
      runtime.metrics.processesRunning.set(runtime.processes.registry.stats().running);
      return reply.header('content-type', runtime.metrics.registry.contentType).send(await runtime.metrics.registry.metrics());
    },
  );
};
