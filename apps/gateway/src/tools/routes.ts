import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { BODY_ERRORS, errorResponses } from '../http/route-schema.js';
import { ToolInvokeSchema, ToolResultSchema } from '../http/schemas.js';
import { requirePermission } from '../credentials/authorize.js';
import { capabilityForCall } from '../credentials/tool-ceiling.js';
import type { RequestAccess } from '../http/scope.js';
import type { ToolInvoker } from './tool-invoker.js';

/** `POST /v1/tools/invoke`: `tools:invoke`, the session inside the caller's scope, and the tool call's own capability. */
export const toolRoutes: FastifyPluginAsyncZod<{ invokeTool: ToolInvoker; access: RequestAccess }> = async (
  app,
  { invokeTool, access },
) => {
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
    async (request) => {
      const { tool, args, sessionKey } = request.body;
      const note = { action: 'tools.invoke' as const, target: `session:${sessionKey}`, detail: tool };
      const result = await access.run(request, 'tools:invoke', note, () => {
        const target = access.requireSession(request, sessionKey);
        note.target = `session:${target.sessionKey}`;
        requirePermission(request.identity, capabilityForCall(tool, args ?? {}));
        return invokeTool(tool, args ?? {}, target.sessionKey, request.identity);
      });
      return { ok: true as const, result };
    },
  );
};
