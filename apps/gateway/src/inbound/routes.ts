import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { BODY_ERRORS, errorResponses } from '../http/route-schema.js';
import { InboundAcceptedSchema, InboundRequestSchema } from '../http/schemas.js';
import type { RequestAccess } from '../http/scope.js';
import type { InboundRouter } from './inbound.js';

/** `POST /v1/inbound`: `agent:run`; a message whose binding routes outside the caller's scope answers like a missing session. */
export const inboundRoutes: FastifyPluginAsyncZod<{ inbound: InboundRouter; access: RequestAccess }> = async (app, { inbound, access }) => {
  app.post(
    '/v1/inbound',
    {
      schema: {
        operationId: 'submitInboundMessage',
        summary: 'A chat message from a bot platform: bindings → agent, dmScope/groupScope → session.',
        tags: ['inbound'],
        body: InboundRequestSchema,
        response: { 202: InboundAcceptedSchema, ...errorResponses(BODY_ERRORS, 403, 404, 503) },
      },
    },
    async (request, reply) => {
      const accepted = await access.run(request, 'agent:run', undefined, () =>
        inbound(request.body, { identity: request.identity, admit: (sessionKey) => access.requireVisibleKey(request, sessionKey) }),
      );
      return reply.status(202).send(accepted);
    },
  );
};
