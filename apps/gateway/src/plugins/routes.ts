import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { notFound } from '../errors.js';
import type { PluginHost } from '@pincer/plugin-sdk/host';

/** The request path without its query string. */
export const pathOf = (request: FastifyRequest): string => request.url.split('?')[0] ?? '';

/**
 * `/plugins/<id>/…`: plugin-declared routes, matched by the plugin host (hidden from the OpenAPI
 * document: plugins describe their own routes). `auth: 'gateway'` routes went through the auth
 * plugin; `auth: 'plugin'` routes are public here and authenticate themselves.
 */
export const pluginRoutes: FastifyPluginAsync<{ host: PluginHost }> = async (app, { host }) => {
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const path = pathOf(request);
    const match = host.matchRoute(request.method, path);
    if (!match) throw notFound(`Route ${request.method} ${path}`);
    const headers: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(request.headers)) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    const response = await match.handle({ headers, query: request.query as Record<string, string>, body: request.body });
    return reply.status(response.status).headers(response.headers).send(response.body);
  };
  app.route({ method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], url: '/plugins/*', schema: { hide: true }, handler });
};
