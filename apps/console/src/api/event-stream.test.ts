import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { openEventStream } from './event-stream.js';
import type { GatewayEvent } from './types.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A loopback SSE server: `answer(n, request, response)` serves the n-th connection (from 0). */
async function serve(answer: (connection: number, request: IncomingMessage, response: ServerResponse) => void): Promise<string> {
  let connection = 0;
  server = createServer((request, response) => answer(connection++, request, response));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', () => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  return new Promise((resolve, reject) => {
    const poll = () => {
      if (check()) resolve();
      else if (Date.now() > deadline) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(poll, 10);
    };
    poll();
  });
}

const frame = (id: string, data: object, event = 'transcript') => `id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

describe('openEventStream', () => {
  it('resumes after a drop with Last-Event-ID, and reports a reset instead of passing it on as an event', async () => {
    const seenLastIds: Array<string | undefined> = [];
    const baseUrl = await serve((connection, request, response) => {
      seenLastIds.push(request.headers['last-event-id'] as string | undefined);
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      if (connection === 0) {
        response.write(frame('b00t-1', { type: 'transcript', sessionKey: 'agent:main:a', role: 'user', text: 'one' }));
        response.end(frame('b00t-2', { type: 'transcript', sessionKey: 'agent:main:a', role: 'user', text: 'two' }));
      } else if (connection === 1) {
        response.end(frame('b00t-3', { reason: 'expired', eventId: 'b00t-3', ts: 1 }, 'reset'));
      } else {
        response.write(frame('b00t-4', { type: 'transcript', sessionKey: 'agent:main:a', role: 'user', text: 'four' }));
      }
    });
    const events: GatewayEvent[] = [];
    let resets = 0;
    const stream = openEventStream({
      baseUrl,
      headers: { authorization: 'Bearer test' },
      sessionKeys: ['agent:main:a'],
      retryMs: 20,
      onEvent: (event) => events.push(event),
      onReset: () => {
        resets += 1;
      },
    });
    try {
      await until(() => events.length === 3, 'the event after the reset');
    } finally {
      stream.close();
    }
    expect(seenLastIds).toEqual([undefined, 'b00t-2', 'b00t-3']);
    expect(resets).toBe(1);
    expect(events.map((event) => (event.type === 'transcript' ? event.text : event.type))).toEqual(['one', 'two', 'four']);
  });
});
