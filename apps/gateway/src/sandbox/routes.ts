import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { errorResponses } from '../http/route-schema.js';
import type { SandboxService } from './sandbox-status.js';
import { SandboxStatusSchema } from './schemas.js';

/** `GET /v1/sandbox`: mode, backend and version, probe result, namespaces, limits, workspace root, per-agent modes. */
export const sandboxRoutes: FastifyPluginAsyncZod<{ sandbox: SandboxService }> = async (app, { sandbox }) => {
  app.get(
    '/v1/sandbox',
    {
      schema: {
        operationId: 'getSandboxStatus',
        summary: 'What the runtime really does with shells: the probe of each sandbox and every agent’s effective mode.',
        tags: ['sandbox'],
        response: { 200: SandboxStatusSchema, ...errorResponses() },
      },
    },
    async () => sandbox.status(),
  );
};
