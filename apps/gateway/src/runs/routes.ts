import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { BODY_ERRORS, errorResponses } from '../http/route-schema.js';
import { AgentAcceptedSchema, AgentRequestSchema, IdParamsSchema, RunQuerySchema, RunViewSchema } from '../http/schemas.js';
import type { RequestAccess } from '../http/scope.js';
import type { RunQueue } from './run-queue.js';

/** `POST /v1/agent` and `GET /v1/runs/:id`. */
export const runRoutes: FastifyPluginAsyncZod<{ runs: RunQueue; access: RequestAccess }> = async (app, { runs, access }) => {
  app.post(
    '/v1/agent',
    {
      schema: {
        operationId: 'submitAgentTurn',
        summary: 'Queue an agent turn; session key normalized with the seed-003 rules.',
        tags: ['runs'],
        body: AgentRequestSchema,
        response: {
          200: AgentAcceptedSchema.describe('A run with this idempotency key already exists in the session.'),
          202: AgentAcceptedSchema,
          ...errorResponses(BODY_ERRORS, 403, 404, 503),
        },
      },
    },
    async (request, reply) => {
      const submitted = await access.run(request, 'agent:run', undefined, () =>
        runs.submitTurn(request.body, { identity: request.identity, admit: (sessionKey) => access.requireVisibleKey(request, sessionKey) }),
      );
      return reply.status(submitted.isDuplicate ? 200 : 202).send({ runId: submitted.runId, sessionKey: submitted.sessionKey });
    },
  );

  app.get(
    '/v1/runs/:id',
    {
      schema: {
        operationId: 'getRun',
        summary: 'Run status and reply; waits up to waitMs for it to finish.',
        tags: ['runs'],
        params: IdParamsSchema,
        querystring: RunQuerySchema,
        response: { 200: RunViewSchema, ...errorResponses(403, 404) },
      },
    },
    async (request) =>
      access.run(request, ['agent:run', 'transcripts:read'], undefined, () =>
        runs.read(request.params.id, { waitMs: request.query.waitMs, scope: access.scope(request, request.query.sessionKey) }),
      ),
  );
};
