import type { FastifyReply } from 'fastify';
import { createSessionQuota, DEFAULT_SESSION_CAPS } from '../security/session-quota.js';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { GatewayError } from '../errors.js';
import { errorResponses } from '../http/route-schema.js';
import { EventsQuerySchema } from '../http/schemas.js';
import type { CredentialStreams } from '../credentials/credential-streams.js';
import type { RequestAccess } from '../http/scope.js';
import type { EventBus, GatewayEvent } from './event-bus.js';

/** Default of `gateway.maxEventStreams`: open SSE streams before `GET /v1/events` answers 503. */
export const DEFAULT_MAX_EVENT_STREAMS = 64;
/** An SSE client this far behind (bytes buffered, unread) is disconnected rather than buffered without bound. */
export const SSE_MAX_BUFFERED_BYTES = 1_048_576;
/** Comment line sent to keep idle streams open, ms. */
const PING_INTERVAL_MS = 15_000;

/** `GET /v1/events`: a server-sent-events stream of the named sessions' events. */
export const eventRoutes: FastifyPluginAsyncZod<{
  bus: EventBus;
  access: RequestAccess;
  credentialStreams: CredentialStreams;
  maxEventStreams: number;
  maxStreamsPerSession?: number | undefined;
}> = async (app, options) => {
  // Issue 14 item 12: one session cannot hold every stream slot.
  const perSession = createSessionQuota(options.maxStreamsPerSession ?? DEFAULT_SESSION_CAPS.maxStreamsPerSession);
  const streams = new Set<FastifyReply>();
  app.get(
    '/v1/events',
    {
      schema: {
        operationId: 'streamEvents',
        summary: 'SSE stream of run/process/system events for the named sessions.',
        tags: ['events'],
        querystring: EventsQuerySchema,
        response: {
          200: {
            description: 'text/event-stream: `event: <type>` and `data: <GatewayEvent JSON>` per event.',
            content: { 'text/event-stream': { schema: z.string() } },
          },
          ...errorResponses(403, 404, 503),
        },
      },
    },
    async (request, reply) => {
      const requested = request.query.sessionKey;
      // Every named session must be inside the caller's scope (else: exactly a missing session's 404).
      const keys = await options.access.run(
        request,
        'events:read',
        undefined,
        () =>
          new Set(
            (Array.isArray(requested) ? requested : [requested]).map((key) => options.access.requireSession(request, key).sessionKey),
          ),
      );
      if (streams.size >= options.maxEventStreams) {
        throw new GatewayError(
          'unavailable',
          `Too many open event streams (${options.maxEventStreams}, gateway.maxEventStreams); close one and retry.`,
        );
      }
      const releases: Array<() => void> = [];
      for (const key of keys) {
        const release = perSession.tryAcquire(key);
        if (!release) {
          for (const held of releases) held();
          throw new GatewayError(
            'unavailable',
            `Session ${key} already has ${perSession.limit} open event streams (security.perSession.maxEventStreams); close one and retry.`,
          );
        }
        releases.push(release);
      }
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      raw.write(`: subscribed ${[...keys].join(' ')}\n\n`);
      let sequence = 0;
      const unsubscribe = options.bus.subscribe((event: GatewayEvent) => {
        if (!keys.has(event.sessionKey)) return;
        // A reader that stopped reading is dropped, not buffered without bound.
        if (raw.writableLength > SSE_MAX_BUFFERED_BYTES) {
          raw.destroy();
          return;
        }
        sequence += 1;
        raw.write(`id: ${sequence}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
      });
      const ping = setInterval(() => raw.write(': ping\n\n'), PING_INTERVAL_MS);
      ping.unref();
      streams.add(reply);
      // A revoked or expired credential's stream is ended by the gateway (see credentials/credential-streams.ts).
      const forget = options.credentialStreams.add(request.identity, () => {
        raw.end();
        raw.destroy();
      });
      raw.on('close', () => {
        clearInterval(ping);
        unsubscribe();
        streams.delete(reply);
        for (const release of releases) release();
        forget();
      });
    },
  );
  app.addHook('onClose', async () => {
    for (const stream of streams) stream.raw.end();
    streams.clear();
  });
};
