import { z } from 'zod';
import {
  AgentAcceptedSchema,
  AgentRequestSchema,
  CronCreateSchema,
  ErrorBodySchema,
  InboundAcceptedSchema,
  InboundRequestSchema,
  RunViewSchema,
  SessionViewSchema,
  ToolInvokeSchema,
} from './schemas.js';

interface RouteDoc {
  method: 'get' | 'post' | 'delete';
  path: string;
  summary: string;
  body?: z.ZodType;
  response?: z.ZodType;
  status?: number;
  query?: Record<string, string>;
  isPublic?: boolean;
}

/** Every HTTP route of the gateway (also the README's API table). */
export const ROUTES: ReadonlyArray<RouteDoc> = [
  { method: 'get', path: '/healthz', summary: 'Liveness (no auth).', isPublic: true },
  { method: 'get', path: '/openapi.json', summary: 'This document.' },
  { method: 'get', path: '/metrics', summary: 'Prometheus metrics (runs, processes, queue depth, wakes, errors).' },
  { method: 'post', path: '/v1/agent', summary: 'Queue an agent turn; session key normalized with the seed-003 rules.', body: AgentRequestSchema, response: AgentAcceptedSchema, status: 202 },
  { method: 'get', path: '/v1/runs/{id}', summary: 'Run status and reply; waits up to waitMs for it to finish.', response: RunViewSchema, query: { waitMs: 'ms to wait (≤120000)', sessionKey: 'scope: other sessions answer 404' } },
  { method: 'post', path: '/v1/inbound', summary: 'A chat message from a bot platform: bindings → agent, dmScope/groupScope → session.', body: InboundRequestSchema, response: InboundAcceptedSchema, status: 202 },
  { method: 'get', path: '/v1/sessions', summary: 'List sessions.', query: { agentId: 'filter', limit: '≤1000', sessionKey: 'scope: only this session' } },
  { method: 'get', path: '/v1/sessions/{key}', summary: 'One session (URL-encode the key).', response: SessionViewSchema, query: { sessionKey: 'scope: other sessions answer 404' } },
  { method: 'get', path: '/v1/sessions/{key}/transcript', summary: 'Transcript of the current session id.', query: { limit: '≤2000', afterSeq: 'cursor', sessionKey: 'scope: other sessions answer 404' } },
  { method: 'post', path: '/v1/sessions/{key}/reset', summary: 'New session id; queued events dropped.', query: { sessionKey: 'scope: other sessions answer 404' } },
  { method: 'delete', path: '/v1/sessions/{key}', summary: 'Delete the session, its transcript and queued events.', query: { sessionKey: 'scope: other sessions answer 404' } },
  { method: 'get', path: '/v1/processes', summary: 'Operator view of shells (plugin-sdk bash-sessions snapshot + journal).', query: { sessionKey: 'scope' } },
  { method: 'get', path: '/v1/processes/{id}/log', summary: 'Retained output by lines (registry, else journal).', query: { offset: 'line', limit: 'lines', sessionKey: 'scope' } },
  { method: 'post', path: '/v1/processes/{id}/kill', summary: 'Kill a shell tree through the registry kill ceremony.', query: { sessionKey: 'scope' } },
  { method: 'post', path: '/v1/tools/invoke', summary: 'Invoke a read-only tool for a session; exec, process input actions, sessions_spawn, sessions_send, cron → 403.', body: ToolInvokeSchema },
  { method: 'get', path: '/v1/cron', summary: 'List cron jobs.', query: { sessionKey: 'scope' } },
  { method: 'post', path: '/v1/cron', summary: 'Add a cron job (every / at / in / cron expression).', body: CronCreateSchema, status: 201 },
  { method: 'get', path: '/v1/cron/{id}', summary: 'One cron job.', query: { sessionKey: 'scope' } },
  { method: 'get', path: '/v1/cron/{id}/runs', summary: 'Run history of a job.', query: { sessionKey: 'scope' } },
  { method: 'post', path: '/v1/cron/{id}/run', summary: 'Run a job now (schedule unchanged); answers with the run record.', query: { sessionKey: 'scope' } },
  { method: 'delete', path: '/v1/cron/{id}', summary: 'Delete a cron job.', query: { sessionKey: 'scope' } },
  { method: 'get', path: '/v1/events', summary: 'SSE stream of run/process/system events for the named sessions.', query: { sessionKey: 'repeatable; required' } },
];

const js = (s: z.ZodType, io: 'input' | 'output') => z.toJSONSchema(s, { io, unrepresentable: 'any' }) as Record<string, unknown>;

/** The OpenAPI 3.1 document, generated from the zod schemas. */
export function buildOpenApi(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const error = { description: 'Error', content: { 'application/json': { schema: js(ErrorBodySchema, 'output') } } };
  for (const r of ROUTES) {
    const op: Record<string, unknown> = {
      summary: r.summary,
      ...(r.isPublic ? { security: [] } : {}),
      parameters: [
        ...[...r.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } })),
        ...Object.entries(r.query ?? {}).map(([name, description]) => ({ name, in: 'query', required: r.path === '/v1/events' && name === 'sessionKey', description, schema: { type: 'string' } })),
      ],
      responses: {
        [String(r.status ?? 200)]: {
          description: 'OK',
          ...(r.response ? { content: { 'application/json': { schema: js(r.response, 'output') } } } : {}),
        },
        '400': error,
        '401': error,
        '403': error,
        '404': error,
        '429': error,
        '503': error,
      },
    };
    if (r.body) op.requestBody = { required: true, content: { 'application/json': { schema: js(r.body, 'input') } } };
    (paths[r.path] ??= {})[r.method] = op;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Pincer gateway', version: '0.0.0' },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ bearer: [] }],
    paths,
  };
}
