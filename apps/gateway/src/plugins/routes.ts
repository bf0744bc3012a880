import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { notFound } from '../errors.js';
import type { PluginCaller } from '@pincer/plugin-sdk';
import type { PluginHost, PluginRouteRequestInput } from '@pincer/plugin-sdk/host';
import { CAPABILITIES } from '../credentials/capabilities.js';
import type { Identity } from '../credentials/identity.js';
import type { RequestAccess } from '../http/scope.js';

/**
 * The caller as plugin-sdk's route context describes it (`pluginCallerSchema`): the operator with
 * every capability and no scope, or a scoped token with its scope and capabilities. Anonymous
 * requests only reach `auth: 'plugin'` routes, whose handlers see `null`.
 */
export function toPluginCaller(identity: Identity): PluginCaller | null {
  if (identity.kind === 'anonymous') return null;
  if (identity.kind === 'operator')
    return { credentialId: identity.credentialId, kind: 'operator', scope: null, capabilities: [...CAPABILITIES] };
  const scope =
    identity.scope.kind === 'agent'
      ? { agentId: identity.scope.agentId }
      : identity.scope.kind === 'session'
        ? { sessionKey: identity.scope.sessionKey }
        : { sessionKeyPrefix: identity.scope.prefix };
  return {
    credentialId: identity.credentialId,
    kind: 'scoped',
    scope,
    capabilities: CAPABILITIES.filter((capability) => identity.capabilities.has(capability)),
  };
}

/** The request path without its query string. */
export const pathOf = (request: FastifyRequest): string => request.url.split('?')[0] ?? '';

/**
 * `/plugins/<id>/…`: plugin-declared routes, matched by the plugin host (hidden from the OpenAPI
 * document: plugins describe their own routes). `auth: 'gateway'` routes went through the auth
 * plugin; `auth: 'plugin'` routes are public here and authenticate themselves.
 */
export const pluginRoutes: FastifyPluginAsync<{ host: PluginHost; access: RequestAccess }> = async (app, { host, access }) => {
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const path = pathOf(request);
    const match = host.matchRoute(request.method, path);
    if (!match) throw notFound(`Route ${request.method} ${path}`);
    // Gateway-auth routes: a scoped token needs plugins:call; the plugin gets the caller to filter by.
    if (match.route.auth === 'gateway') await access.run(request, 'plugins:call', undefined, () => undefined);
    const headers: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(request.headers)) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    const input: PluginRouteRequestInput = {
      headers,
      query: request.query as Record<string, string>,
      body: request.body,
      caller: toPluginCaller(request.identity),
    };
    const response = await match.handle(input);
    return reply.status(response.status).headers(response.headers).send(response.body);
  };
  app.route({ method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], url: '/plugins/*', schema: { hide: true }, handler });
};
