import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { CredentialStreams } from '../credentials/credential-streams.js';
import { GatewayError } from '../errors.js';
import { SSE_MAX_BUFFERED_BYTES } from '../events/routes.js';
import { errorResponses } from '../http/route-schema.js';
import { IdParamsSchema, ScopedQuerySchema } from '../http/schemas.js';
import type { RequestAccess } from '../http/scope.js';
import type { ProcessService } from './processes.js';

/** How often a streamed log looks for new output, ms. */
export const LOG_STREAM_POLL_MS = 250;
/** Open log streams of the whole gateway before `GET /v1/processes/:id/log/stream` answers 503. */
export const MAX_LOG_STREAMS = 64;
/** Lines one frame carries at most (a longer backlog arrives over the next frames). */
const LOG_STREAM_MAX_LINES = 100_000;

const LogStreamQuerySchema = z
  .object({
    offset: z.coerce.number().int().min(0).optional().describe('First line to send (default 0: everything retained).'),
    sessionKey: ScopedQuerySchema.shape.sessionKey,
  })
  .strict();

const STREAM_DESCRIPTION = [
  'Server-sent events of one shell’s output by lines, as it is printed.',
  '`event: log` carries `{ offset, output, status }`: the lines from line `offset` on, joined by `\\n`',
  '(the last one may be partial: a later frame with the same offset replaces it).',
  '`event: end` carries `{ status }` once the shell has ended, then the stream closes.',
  'Reconnect with `?offset=` = the last frame’s offset + its line count − 1 to continue.',
].join(' ');

/** `GET /v1/processes/:id/log/stream`: a shell's log over SSE (the console's live tail). */
export const processLogStreamRoute: FastifyPluginAsyncZod<{
  processes: ProcessService;
  access: RequestAccess;
  credentialStreams: CredentialStreams;
}> = async (app, { processes, access, credentialStreams }) => {
  const streams = new Set<() => void>();
  app.get(
    '/v1/processes/:id/log/stream',
    {
      schema: {
        operationId: 'streamProcessLog',
        summary: 'SSE stream of a shell’s output by lines, until it ends.',
        tags: ['processes'],
        params: IdParamsSchema,
        querystring: LogStreamQuerySchema,
        response: {
          200: { description: STREAM_DESCRIPTION, content: { 'text/event-stream': { schema: z.string() } } },
          ...errorResponses(403, 404, 503),
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const scope = access.scope(request, request.query.sessionKey);
      // The first read is the access check: a foreign shell gets exactly a missing one's 404.
      const firstOffset = request.query.offset ?? 0;
      const first = await access.run(request, 'processes:read', undefined, () =>
        processes.log(id, scope, { offset: firstOffset, limit: LOG_STREAM_MAX_LINES }),
      );
      if (streams.size >= MAX_LOG_STREAMS) {
        throw new GatewayError('unavailable', `Too many open log streams (${MAX_LOG_STREAMS}); close one and retry.`);
      }
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      const send = (event: string, data: object) => {
        if (raw.destroyed) return;
        // A reader that stopped reading is dropped, not buffered without bound.
        if (raw.writableLength > SSE_MAX_BUFFERED_BYTES) {
          raw.destroy();
          return;
        }
        raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      };
      const countLines = (output: string) => (output === '' ? 0 : output.split('\n').length);
      let offset = firstOffset;
      let sent = first.output;
      send('log', { offset, output: sent, status: first.status });
      let timer: ReturnType<typeof setTimeout> | undefined;
      const stop = () => {
        if (timer !== undefined) clearTimeout(timer);
        timer = undefined;
        if (!raw.destroyed) raw.end();
      };
      const finish = (status: string) => {
        send('end', { status });
        stop();
      };
      const tick = async () => {
        timer = undefined;
        if (raw.destroyed) return;
        // Continue from the last line sent (it may have been partial and grown since).
        const next = offset + Math.max(0, countLines(sent) - 1);
        let view: Awaited<ReturnType<ProcessService['log']>>;
        try {
          view = await processes.log(id, scope, { offset: next, limit: LOG_STREAM_MAX_LINES });
        } catch {
          // Gone (its session was deleted, the journal pruned it): nothing more will come.
          finish('gone');
          return;
        }
        // What the client holds from line `next` on: the last line already sent (or nothing).
        const held = next === offset ? sent : (sent.split('\n').at(-1) ?? '');
        offset = next;
        sent = view.output;
        if (view.output !== held) send('log', { offset, output: view.output, status: view.status });
        if (view.status !== 'running') finish(view.status);
        else schedule();
      };
      const schedule = () => {
        if (!raw.destroyed) timer = setTimeout(() => void tick(), LOG_STREAM_POLL_MS);
      };
      if (first.status !== 'running') finish(first.status);
      else schedule();
      streams.add(stop);
      // A revoked or expired credential's stream is ended by the gateway, like /v1/events.
      const forget = credentialStreams.add(request.identity, () => {
        stop();
        raw.destroy();
      });
      raw.on('close', () => {
        if (timer !== undefined) clearTimeout(timer);
        streams.delete(stop);
        forget();
      });
    },
  );
  app.addHook('onClose', async () => {
    for (const stop of streams) stop();
    streams.clear();
  });
};
