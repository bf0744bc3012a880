import type { FastifyReply } from 'fastify';
import { createSessionQuota, DEFAULT_SESSION_CAPS } from '../security/session-quota.js';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { GatewayError } from '../errors.js';
import { errorResponses } from '../http/route-schema.js';
import { EventsQuerySchema } from '../http/schemas.js';
import type { CredentialStreams } from '../credentials/credential-streams.js';
import type { RequestAccess } from '../http/scope.js';
import {
  DEFAULT_REPLAY_MAX_AGE_MS,
  DEFAULT_REPLAY_MAX_EVENTS,
  DEFAULT_REPLAY_MAX_EVENTS_PER_SESSION,
  type EventBus,
  type GatewayEventData,
  type ResetEventData,
  type StampedEvent,
} from './event-bus.js';

/** Default of `gateway.maxEventStreams`: open SSE streams before `GET /v1/events` answers 503. */
export const DEFAULT_MAX_EVENT_STREAMS = 64;
/** An SSE client this far behind (bytes buffered, unread) is disconnected rather than buffered without bound. */
export const SSE_MAX_BUFFERED_BYTES = 1_048_576;
/** Comment line sent to keep idle streams open, ms. */
const PING_INTERVAL_MS = 15_000;
/** Longest `Last-Event-ID` looked at (longer ones are unknown ids). */
const MAX_EVENT_ID_CHARS = 64;

const EventIdSchema = z.string().max(MAX_EVENT_ID_CHARS);

/** `GET /v1/events` query: the sessions, and a resume point for clients that cannot set headers. */
export const EventsStreamQuerySchema = z
  .object({
    sessionKey: EventsQuerySchema.shape.sessionKey,
    lastEventId: EventIdSchema.optional().describe(
      'Resume after this event id (as the `Last-Event-ID` header, which wins when both are given).',
    ),
  })
  .strict();

/** `GET /v1/events` headers the route reads (others pass). */
export const EventsStreamHeadersSchema = z.looseObject({
  'last-event-id': EventIdSchema.optional().describe(
    'EventSource sends it on reconnect: the buffered events of the named sessions after it are replayed first.',
  ),
});

/** The `data:` of every event: the event's JSON plus its id and time. */
export function formatEventFrame(stamped: StampedEvent): string {
  const data: GatewayEventData = { ...stamped.event, eventId: stamped.eventId, ts: stamped.ts };
  return `id: ${stamped.eventId}\nevent: ${stamped.event.type}\ndata: ${JSON.stringify(data)}\n\n`;
}

const STREAM_DESCRIPTION = [
  'text/event-stream. Every event: `id: <bootId>-<n>` (n strictly increasing within one gateway process),',
  '`event: <type>`, `data: <GatewayEvent JSON + eventId + ts (epoch ms)>`.',
  "Reconnecting with `Last-Event-ID` (or `?lastEventId=`) first replays the named sessions' buffered events after it,",
  'then continues live, without duplicates or gaps. The replay buffer keeps the last',
  `${DEFAULT_REPLAY_MAX_EVENTS} events of all sessions, ${DEFAULT_REPLAY_MAX_EVENTS_PER_SESSION} per session, for ${DEFAULT_REPLAY_MAX_AGE_MS} ms.`,
  'An id of another gateway process, an unknown id, or one whose successors (in the named sessions) have left the buffer',
  'gets `event: reset` with `data: { reason: "unknown"|"expired", eventId, ts }` (its `id:` is the latest event id),',
  'then live events: refetch state (transcript, runs) to cover the gap.',
].join(' ');

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
        summary: 'SSE stream of run/process/system events for the named sessions, resumable with Last-Event-ID.',
        tags: ['events'],
        querystring: EventsStreamQuerySchema,
        headers: EventsStreamHeadersSchema,
        response: {
          200: {
            description: STREAM_DESCRIPTION,
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
      const send = (frame: string) => {
        if (raw.destroyed) return;
        // A reader that stopped reading is dropped, not buffered without bound.
        if (raw.writableLength > SSE_MAX_BUFFERED_BYTES) {
          raw.destroy();
          return;
        }
        raw.write(frame);
      };
      const header = request.headers['last-event-id'];
      const lastEventId = (typeof header === 'string' && header.length > 0 ? header : undefined) ?? request.query.lastEventId;
      // Replay and subscription happen in one synchronous step: no event falls between them.
      if (lastEventId !== undefined) {
        const replay = options.bus.replayAfter(lastEventId, keys);
        if (replay.ok) {
          for (const stamped of replay.events) send(formatEventFrame(stamped));
        } else {
          const eventId = options.bus.latestEventId();
          const data: ResetEventData = { reason: replay.reason, eventId, ts: Date.now() };
          send(`id: ${eventId}\nevent: reset\ndata: ${JSON.stringify(data)}\n\n`);
        }
      }
      const unsubscribe = options.bus.subscribe((stamped: StampedEvent) => {
        if (keys.has(stamped.event.sessionKey)) send(formatEventFrame(stamped));
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
