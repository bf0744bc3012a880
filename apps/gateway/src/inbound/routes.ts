import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { BODY_ERRORS, errorResponses } from '../http/route-schema.js';
import { InboundAcceptedSchema, InboundRequestSchema } from '../http/schemas.js';
import type { InboundRouter } from './inbound.js';

/** `POST /v1/inbound`. */
export const inboundRoutes: FastifyPluginAsyncZod<{ inbound: InboundRouter }> = async (app, { inbound }) => {
  app.post(
    '/v1/inbound',
    {
      schema: {
        operationId: 'submitInboundMessage',
        summary: 'A chat message from a bot platform: bindings → agent, dmScope/groupScope → session.',
        tags: ['inbound'],
        body: InboundRequestSchema,
        response: { 202: InboundAcceptedSchema, ...errorResponses(BODY_ERRORS, 403, 503) },
      },
    },
    async (request, reply) => reply.status(202).send(inbound(request.body)),
  );
};
