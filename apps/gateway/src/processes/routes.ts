import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorResponses } from '../http/route-schema.js';
import {
  IdParamsSchema,
  ProcessesQuerySchema,
  ProcessKillSchema,
  ProcessListSchema,
  ProcessLogQuerySchema,
  ProcessLogSchema,
  ScopedQuerySchema,
} from '../http/schemas.js';
import type { RequestAccess } from '../http/scope.js';
import type { ProcessService } from './processes.js';

/** GET /v1/processes/:id/tree response: what a kill of the shell would end, right now. */
const ProcessTreeSchema = z
  .object({
    id: z.string(),
    status: z.string(),
    isSandboxed: z.boolean().describe('The shell runs in the OS sandbox: the tree is its pid namespace plus bwrap’s launcher.'),
    processCount: z.number().int().min(0).describe('Live processes a kill would end (0 once everything ended).'),
    pids: z.array(z.number().int()).describe('Their host pids, ascending.'),
  })
  .describe('The live process tree of a shell (read from /proc; nothing is signalled).');

/** `/v1/processes…`: the operator's view of shells (live registry ∪ journal), their logs, kill. */
export const processRoutes: FastifyPluginAsyncZod<{ processes: ProcessService; access: RequestAccess }> = async (
  app,
  { processes, access },
) => {
  const tags = ['processes'];
  app.get(
    '/v1/processes',
    {
      schema: {
        operationId: 'listProcesses',
        summary: 'Operator view of shells (plugin-sdk bash-sessions snapshot + journal).',
        tags,
        querystring: ProcessesQuerySchema,
        response: { 200: ProcessListSchema, ...errorResponses(403) },
      },
    },
    async (request) =>
      access.run(request, 'processes:read', undefined, () => {
        const views = processes.list(access.scope(request, request.query.sessionKey));
        return { count: views.length, processes: views };
      }),
  );

  app.get(
    '/v1/processes/:id/log',
    {
      schema: {
        operationId: 'getProcessLog',
        summary: 'Retained output by lines (registry, else journal); without offset, the last `limit` lines.',
        tags,
        params: IdParamsSchema,
        querystring: ProcessLogQuerySchema,
        response: { 200: ProcessLogSchema, ...errorResponses(403, 404) },
      },
    },
    async (request) =>
      access.run(request, 'processes:read', undefined, () =>
        processes.log(request.params.id, access.scope(request, request.query.sessionKey), {
          offset: request.query.offset,
          limit: request.query.limit,
        }),
      ),
  );

  app.get(
    '/v1/processes/:id/tree',
    {
      schema: {
        operationId: 'getProcessTree',
        summary: 'How many live processes a kill of this shell would end (its group, escapees, descendants; sandboxed: its pid namespace).',
        tags,
        params: IdParamsSchema,
        querystring: ScopedQuerySchema,
        response: { 200: ProcessTreeSchema, ...errorResponses(403, 404) },
      },
    },
    async (request) =>
      access.run(request, 'processes:read', undefined, () =>
        processes.tree(request.params.id, access.scope(request, request.query.sessionKey)),
      ),
  );

  app.post(
    '/v1/processes/:id/kill',
    {
      schema: {
        operationId: 'killProcess',
        summary: 'Kill a shell tree through the registry kill ceremony.',
        tags,
        params: IdParamsSchema,
        querystring: ScopedQuerySchema,
        response: { 200: ProcessKillSchema, ...errorResponses(403, 404) },
      },
    },
    async (request) =>
      access.run(request, 'processes:kill', { action: 'process.kill', target: `process:${request.params.id}` }, () =>
        processes.kill(request.params.id, access.scope(request, request.query.sessionKey)),
      ),
  );
};
