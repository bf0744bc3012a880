import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { notFound } from '../errors.js';
import { BODY_ERRORS, errorResponses } from '../http/route-schema.js';
import type { RequestAccess } from '../http/scope.js';
import type { AuditLog } from './audit-log.js';
import { AuditQuerySchema, AuditRecordSchema } from './audit-record.js';
import { CredentialViewSchema, TokenCreatedSchema, TokenCreateSchema, type CredentialService } from './credential-service.js';

const TokenIdParamsSchema = z.object({ id: z.string().min(1).max(64) }).strict();
const TokenListSchema = z.object({ count: z.number().int(), tokens: z.array(CredentialViewSchema) });
const TokenRevokedSchema = z.object({ credential: CredentialViewSchema });
const AuditListSchema = z.object({ count: z.number().int(), entries: z.array(AuditRecordSchema) });

/** `/v1/tokens…` (mint, list, read, revoke) and `GET /v1/audit`: the operator credential only. */
export const credentialRoutes: FastifyPluginAsyncZod<{ credentials: CredentialService; audit: AuditLog; access: RequestAccess }> = async (
  app,
  { credentials, audit, access },
) => {
  const tags = ['credentials'];

  app.post(
    '/v1/tokens',
    {
      schema: {
        operationId: 'createToken',
        summary: 'Mint a scoped token bound to an agent, a session key or a key prefix; the token is in this answer only.',
        tags,
        body: TokenCreateSchema,
        response: { 201: TokenCreatedSchema, ...errorResponses(BODY_ERRORS, 403, 409) },
      },
    },
    async (request, reply) => {
      const note = { action: 'token.create' as const, target: null as string | null, detail: request.body.name };
      const created = await access.run(request, 'tokens:admin', note, () => {
        const result = credentials.create(request.body, request.identity);
        note.target = `token:${result.credential.id}`;
        return result;
      });
      return reply.status(201).send(created);
    },
  );

  app.get(
    '/v1/tokens',
    {
      schema: {
        operationId: 'listTokens',
        summary: 'Every token, newest first (never a secret).',
        tags,
        response: { 200: TokenListSchema, ...errorResponses(403) },
      },
    },
    async (request) =>
      access.run(request, 'tokens:admin', undefined, () => {
        const tokens = credentials.list();
        return { count: tokens.length, tokens };
      }),
  );

  app.get(
    '/v1/tokens/:id',
    {
      schema: {
        operationId: 'getToken',
        summary: 'One token (never its secret).',
        tags,
        params: TokenIdParamsSchema,
        response: { 200: CredentialViewSchema, ...errorResponses(403, 404) },
      },
    },
    async (request) =>
      access.run(request, 'tokens:admin', undefined, () => {
        const view = credentials.get(request.params.id);
        if (!view) throw notFound(`Token ${request.params.id}`);
        return view;
      }),
  );

  app.delete(
    '/v1/tokens/:id',
    {
      schema: {
        operationId: 'revokeToken',
        summary: 'Revoke a token at once; its open event streams close before this answers.',
        tags,
        params: TokenIdParamsSchema,
        response: { 200: TokenRevokedSchema, ...errorResponses(403, 404) },
      },
    },
    async (request) => {
      const note = { action: 'token.revoke' as const, target: `token:${request.params.id}`, detail: null as string | null };
      return access.run(request, 'tokens:admin', note, () => {
        const credential = credentials.revoke(request.params.id, request.identity);
        if (!credential) throw notFound(`Token ${request.params.id}`);
        note.detail = credential.name;
        return { credential };
      });
    },
  );

  app.get(
    '/v1/audit',
    {
      schema: {
        operationId: 'listAudit',
        summary: 'Audit rows (state-changing actions), oldest first: since a time (epoch ms), after a seq, or the newest `limit`.',
        tags,
        querystring: AuditQuerySchema,
        response: { 200: AuditListSchema, ...errorResponses(403) },
      },
    },
    async (request) =>
      access.run(request, 'audit:read', undefined, () => {
        const entries = audit.list(request.query);
        return { count: entries.length, entries };
      }),
  );
};
