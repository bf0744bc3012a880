import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { requirePermission } from '../credentials/authorize.js';
import { GatewayError } from '../errors.js';
import { BODY_ERRORS, errorResponses } from '../http/route-schema.js';
import {
  CronCreateSchema,
  CronDeletedSchema,
  CronJobViewSchema,
  CronListSchema,
  CronRunNowSchema,
  CronRunsSchema,
  IdParamsSchema,
  ScopedQuerySchema,
} from '../http/schemas.js';
import type { RequestAccess } from '../http/scope.js';
import { scheduleField } from './cron-shorthand.js';
import type { CronService } from './cron.js';

/** `/v1/cron…`: jobs owned by sessions (other sessions' jobs answer 404). */
export const cronRoutes: FastifyPluginAsyncZod<{ cron: CronService; access: RequestAccess }> = async (app, { cron, access }) => {
  const tags = ['cron'];
  const scoped = { params: IdParamsSchema, querystring: ScopedQuerySchema };
  app.get(
    '/v1/cron',
    {
      schema: {
        operationId: 'listCronJobs',
        summary: 'List cron jobs.',
        tags,
        querystring: ScopedQuerySchema,
        response: { 200: CronListSchema, ...errorResponses(403) },
      },
    },
    async (request) =>
      access.run(request, 'cron:read', undefined, async () => {
        await cron.sync();
        const jobs = cron.list(access.scope(request, request.query.sessionKey)).map(cron.view);
        return { count: jobs.length, jobs };
      }),
  );

  app.post(
    '/v1/cron',
    {
      schema: {
        operationId: 'createCronJob',
        summary: 'Add a cron job (exactly one of every / at / in / cron expression).',
        tags,
        body: CronCreateSchema,
        response: { 201: CronJobViewSchema, ...errorResponses(BODY_ERRORS, 403, 404) },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const audit = { action: 'cron.add' as const, target: null as string | null };
      const created = await access.run(request, 'cron:write', audit, async () => {
        // An agentTurn job runs turns: creating one needs agent:run too, and it runs under the creator's ceiling.
        if (body.kind === 'agentTurn') requirePermission(request.identity, 'agent:run');
        const owner = access.requireSession(request, body.sessionKey);
        const added = await cron.add({
          ...body,
          ownerSessionKey: owner.sessionKey,
          agentId: owner.agentId,
          createdBy: request.identity.credentialId,
        });
        if (!added.ok) throw new GatewayError('invalid_request', added.error, { field: scheduleField(body) });
        audit.target = `cron:${added.job.id}`;
        return cron.view(added.job);
      });
      return reply.status(201).send(created);
    },
  );

  app.get(
    '/v1/cron/:id',
    {
      schema: {
        operationId: 'getCronJob',
        summary: 'One cron job.',
        tags,
        ...scoped,
        response: { 200: CronJobViewSchema, ...errorResponses(403, 404) },
      },
    },
    async (request) =>
      access.run(request, 'cron:read', undefined, async () => {
        await cron.sync();
        return cron.view(cron.require(request.params.id, access.scope(request, request.query.sessionKey)));
      }),
  );

  app.get(
    '/v1/cron/:id/runs',
    {
      schema: {
        operationId: 'listCronJobRuns',
        summary: 'Run history of a job, newest first.',
        tags,
        ...scoped,
        response: { 200: CronRunsSchema, ...errorResponses(403, 404) },
      },
    },
    async (request) =>
      access.run(request, 'cron:read', undefined, async () => {
        await cron.sync();
        const job = cron.require(request.params.id, access.scope(request, request.query.sessionKey));
        return { id: job.id, runs: cron.runs(job) };
      }),
  );

  app.post(
    '/v1/cron/:id/run',
    {
      schema: {
        operationId: 'runCronJobNow',
        summary: 'Run a job now (schedule unchanged); answers with the run record.',
        tags,
        ...scoped,
        response: { 200: CronRunNowSchema, ...errorResponses(403, 404) },
      },
    },
    async (request) =>
      access.run(request, 'cron:write', { action: 'cron.run', target: `cron:${request.params.id}` }, async () => {
        await cron.sync();
        const job = cron.require(request.params.id, access.scope(request, request.query.sessionKey));
        return { id: job.id, run: await cron.scheduler.runNow(job.id) };
      }),
  );

  app.delete(
    '/v1/cron/:id',
    {
      schema: {
        operationId: 'deleteCronJob',
        summary: 'Delete a cron job.',
        tags,
        ...scoped,
        response: { 200: CronDeletedSchema, ...errorResponses(403, 404) },
      },
    },
    async (request) =>
      access.run(request, 'cron:write', { action: 'cron.delete', target: `cron:${request.params.id}` }, async () => {
        await cron.sync();
        const job = cron.require(request.params.id, access.scope(request, request.query.sessionKey));
        await cron.scheduler.remove(job.id);
        return { deleted: true as const, id: job.id };
      }),
  );
};
