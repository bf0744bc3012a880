import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CAPABILITIES, OPERATOR_ONLY } from '../credentials/capabilities.js';
import { toCallerView } from '../credentials/identity.js';
import { TokenScopeSchema } from '../credentials/scope.js';
import { errorResponses } from '../http/route-schema.js';

/** GET /v1/whoami response: the caller's own credential (never a secret). */
const WhoamiSchema = z
  .object({
    kind: z.enum(['operator', 'token', 'anonymous']),
    credentialId: z.string(),
    name: z.string(),
    scope: TokenScopeSchema.optional().describe('Scoped tokens: the sessions they may see.'),
    capabilities: z
      .array(z.enum([...CAPABILITIES, ...OPERATOR_ONLY]))
      .describe('What this credential may do: a scoped token’s grants; the operator has every capability and operator-only power.'),
    expiresAt: z.number().int().optional().describe('Scoped tokens: epoch ms after which the token is refused.'),
  })
  .describe('Who the bearer token is (what the console shows and offers).');

/**
 * `GET /v1/whoami`: who the bearer is — kind, id, name, scope and capabilities — so a UI offers
 * only what the token may do. Any valid credential may ask about itself; it reveals nothing
 * about other credentials.
 */
export const whoamiRoute: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/v1/whoami',
    {
      schema: {
        operationId: 'getWhoami',
        summary: 'The calling credential: kind, id, name, scope and capabilities (never a secret).',
        tags: ['credentials'],
        response: { 200: WhoamiSchema, ...errorResponses() },
      },
    },
    async (request) => {
      const view = toCallerView(request.identity);
      const capabilities = view.kind === 'operator' ? [...CAPABILITIES, ...OPERATOR_ONLY] : (view.capabilities ?? []);
      return {
        kind: view.kind,
        credentialId: view.credentialId,
        name: view.name,
        ...(view.scope ? { scope: view.scope } : {}),
        capabilities,
        ...(view.expiresAt !== undefined ? { expiresAt: view.expiresAt } : {}),
      };
    },
  );
};
