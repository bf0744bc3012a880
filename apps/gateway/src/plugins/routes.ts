import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { notFound } from '../errors.js';
import type { PluginHost, PluginRouteRequestInput } from '@pincer/plugin-sdk/host';
import { toCallerView, type CallerView } from '../credentials/identity.js';
import type { RequestAccess } from '../http/scope.js';

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
    // `caller` is plugin-sdk's route-context field for the caller's identity and scope (added on the
    // plugin-sdk side); built as a variable so it passes through until that field is declared.
    const input: PluginRouteRequestInput & { caller: CallerView } = {
      headers,
      query: request.query as Record<string, string>,
      body: request.body,
      caller: toCallerView(request.identity),
    };
    const response = await match.handle(input);
    return reply.status(response.status).headers(response.headers).send(response.body);
  };
  app.route({ method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], url: '/plugins/*', schema: { hide: true }, handler });
};
