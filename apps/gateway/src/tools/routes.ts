import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { BODY_ERRORS, errorResponses } from '../http/route-schema.js';
import { ToolInvokeSchema, ToolResultSchema } from '../http/schemas.js';
import type { ToolInvoker } from './tool-invoker.js';

/** `POST /v1/tools/invoke`. */
export const toolRoutes: FastifyPluginAsyncZod<{ invokeTool: ToolInvoker }> = async (app, { invokeTool }) => {
  app.post(
    '/v1/tools/invoke',
    {
      schema: {
        operationId: 'invokeTool',
        summary: 'Invoke a read-only tool for a session; exec, process input actions, sessions_spawn, sessions_send, cron → 403.',
        tags: ['tools'],
        body: ToolInvokeSchema,
        response: { 200: ToolResultSchema, ...errorResponses(BODY_ERRORS, 403, 404) },
      },
    },
    async (request) => ({ ok: true as const, result: await invokeTool(request.body.tool, request.body.args ?? {}, request.body.sessionKey) }),
  );
};
