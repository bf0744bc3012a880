import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { GatewayError } from '../errors.js';
import { BODY_ERRORS, errorResponses } from '../http/route-schema.js';
import { CronCreateSchema, CronDeletedSchema, CronJobViewSchema, CronListSchema, CronRunNowSchema, CronRunsSchema, IdParamsSchema, ScopedQuerySchema } from '../http/schemas.js';
import { requireScope, type ScopeResolver } from '../http/scope.js';
import { scheduleField } from './cron-shorthand.js';
import type { CronService } from './cron.js';

/** `/v1/cron…`: jobs owned by sessions (other sessions' jobs answer 404). */
export const cronRoutes: FastifyPluginAsyncZod<{ cron: CronService; resolveScope: ScopeResolver }> = async (app, { cron, resolveScope }) => {
  const tags = ['cron'];
  const scoped = { params: IdParamsSchema, querystring: ScopedQuerySchema };
  app.get(
    '/v1/cron',
    { schema: { operationId: 'listCronJobs', summary: 'List cron jobs.', tags, querystring: ScopedQuerySchema, response: { 200: CronListSchema, ...errorResponses() } } },
    async (request) => {
      const jobs = cron.list(resolveScope(request.query.sessionKey)).map(cron.view);
      return { count: jobs.length, jobs };
    },
  );

  app.post(
    '/v1/cron',
    {
      schema: {
        operationId: 'createCronJob',
        summary: 'Add a cron job (exactly one of every / at / in / cron expression).',
        tags,
        body: CronCreateSchema,
        response: { 201: CronJobViewSchema, ...errorResponses(BODY_ERRORS) },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const ownerSessionKey = requireScope(resolveScope, body.sessionKey);
      const agentId = ownerSessionKey.split(':')[1]!;
      const added = await cron.add({ ...body, ownerSessionKey, agentId });
      if (!added.ok) throw new GatewayError('invalid_request', added.error, { field: scheduleField(body) });
      return reply.status(201).send({ ...added.job, ownerSessionKey });
    },
  );

  app.get(
    '/v1/cron/:id',
    { schema: { operationId: 'getCronJob', summary: 'One cron job.', tags, ...scoped, response: { 200: CronJobViewSchema, ...errorResponses(404) } } },
    async (request) => cron.view(cron.require(request.params.id, resolveScope(request.query.sessionKey))),
  );

  app.get(
    '/v1/cron/:id/runs',
    { schema: { operationId: 'listCronJobRuns', summary: 'Run history of a job, newest first.', tags, ...scoped, response: { 200: CronRunsSchema, ...errorResponses(404) } } },
    async (request) => {
      const job = cron.require(request.params.id, resolveScope(request.query.sessionKey));
      return { id: job.id, runs: cron.runs(job) };
    },
  );

  app.post(
    '/v1/cron/:id/run',
    {
      schema: { operationId: 'runCronJobNow', summary: 'Run a job now (schedule unchanged); answers with the run record.', tags, ...scoped, response: { 200: CronRunNowSchema, ...errorResponses(404) } },
    },
    async (request) => {
      const job = cron.require(request.params.id, resolveScope(request.query.sessionKey));
      return { id: job.id, run: await cron.scheduler.runNow(job.id) };
    },
  );

  app.delete(
    '/v1/cron/:id',
    { schema: { operationId: 'deleteCronJob', summary: 'Delete a cron job.', tags, ...scoped, response: { 200: CronDeletedSchema, ...errorResponses(404) } } },
    async (request) => {
      const job = cron.require(request.params.id, resolveScope(request.query.sessionKey));
      await cron.scheduler.remove(job.id);
      return { deleted: true as const, id: job.id };
    },
  );
};
