import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { errorResponses } from '../http/route-schema.js';
import {
  ScopedQuerySchema,
  SessionDeletedSchema,
  SessionKeyParamsSchema,
  SessionListSchema,
  SessionResetSchema,
  SessionsQuerySchema,
  SessionViewSchema,
  TranscriptQuerySchema,
  TranscriptSchema,
} from '../http/schemas.js';
import type { RequestAccess } from '../http/scope.js';
import type { SessionService } from './sessions.js';

/** `/v1/sessions…`: list, read, transcript, reset, delete (all under the caller's `?sessionKey=` scope). */
export const sessionRoutes: FastifyPluginAsyncZod<{ sessions: SessionService; access: RequestAccess }> = async (
  app,
  { sessions, access },
) => {
  const tags = ['sessions'];
  app.get(
    '/v1/sessions',
    {
      schema: {
        operationId: 'listSessions',
        summary: 'List sessions, most recently updated first.',
        tags,
        querystring: SessionsQuerySchema,
        response: { 200: SessionListSchema, ...errorResponses(403) },
      },
    },
    async (request) =>
      access.run(request, 'sessions:read', undefined, () => {
        const scope = access.scope(request, request.query.sessionKey);
        const page = sessions.page({ agentId: request.query.agentId, limit: request.query.limit, scope, cursor: request.query.cursor });
        return {
          count: page.total,
          sessions: page.sessions.map(sessions.view),
          ...(page.nextCursor !== undefined ? { nextCursor: page.nextCursor } : {}),
        };
      }),
  );

  app.get(
    '/v1/sessions/:key',
    {
      schema: {
        operationId: 'getSession',
        summary: 'One session (URL-encode the key).',
        tags,
        params: SessionKeyParamsSchema,
        querystring: ScopedQuerySchema,
        response: { 200: SessionViewSchema, ...errorResponses(403, 404) },
      },
    },
    async (request) =>
      access.run(request, 'sessions:read', undefined, () =>
        sessions.view(sessions.require(request.params.key, access.scope(request, request.query.sessionKey))),
      ),
  );

  app.get(
    '/v1/sessions/:key/transcript',
    {
      schema: {
        operationId: 'getSessionTranscript',
        summary: 'Transcript of the current session id.',
        tags,
        params: SessionKeyParamsSchema,
        querystring: TranscriptQuerySchema,
        response: { 200: TranscriptSchema, ...errorResponses(403, 404) },
      },
    },
    async (request) =>
      access.run(request, 'transcripts:read', undefined, () => {
        const session = sessions.require(request.params.key, access.scope(request, request.query.sessionKey));
        const entries = sessions
          .transcript(session, { limit: request.query.limit, afterSeq: request.query.afterSeq || undefined })
          .map((entry) => ({ seq: entry.seq, role: entry.role, text: entry.text, runId: entry.runId, createdAt: entry.createdAt }));
        return { sessionKey: session.key, sessionId: session.sessionId, entries };
      }),
  );

  app.post(
    '/v1/sessions/:key/reset',
    {
      schema: {
        operationId: 'resetSession',
        summary: 'New session id; queued events dropped.',
        tags,
        params: SessionKeyParamsSchema,
        querystring: ScopedQuerySchema,
        response: { 200: SessionResetSchema, ...errorResponses(403, 404) },
      },
    },
    async (request) =>
      access.run(request, 'sessions:write', { action: 'session.reset', target: `session:${request.params.key}` }, () =>
        sessions.reset(sessions.require(request.params.key, access.scope(request, request.query.sessionKey))),
      ),
  );

  app.delete(
    '/v1/sessions/:key',
    {
      schema: {
        operationId: 'deleteSession',
        summary: 'Delete the session, its transcript and queued events (409 while a turn runs).',
        tags,
        params: SessionKeyParamsSchema,
        querystring: ScopedQuerySchema,
        response: { 200: SessionDeletedSchema, ...errorResponses(403, 404, 409) },
      },
    },
    async (request) =>
      access.run(request, 'sessions:write', { action: 'session.delete', target: `session:${request.params.key}` }, () =>
        sessions.delete(sessions.require(request.params.key, access.scope(request, request.query.sessionKey))),
      ),
  );
};
