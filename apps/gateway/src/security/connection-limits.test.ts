import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createLimitedServer, type LimitedServer } from './connection-limits.js';

let limited: LimitedServer | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  if (limited) await new Promise<void>((resolve) => limited?.server.close(() => resolve()));
  limited = undefined;
});

async function listen(limits: Parameters<typeof createLimitedServer>[1]): Promise<number> {
  // Like Fastify: answer once the whole body has arrived.
  limited = createLimitedServer((request, response) => {
    request.resume();
    request.on('end', () => response.end('ok'));
  }, limits);
  await new Promise<void>((resolve) => limited?.server.listen(0, '127.0.0.1', () => resolve()));
  const address = limited.server.address();
  return typeof address === 'object' && address ? address.port : 0;
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.on('error', reject);
    sockets.push(socket);
  });
}

function closed(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    socket.on('close', () => resolve(received));
    socket.on('error', () => undefined);
  });
}

describe('createLimitedServer', () => {
  it('closes a connection whose headers never finish (slowloris)', async () => {
    const port = await listen({ headersTimeoutMs: 300, requestTimeoutMs: 600, checkIntervalMs: 100 });
    const socket = await open(port);
    socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    const answer = await closed(socket);
    expect(answer === '' || answer.startsWith('HTTP/1.1 408')).toBe(true);
  });

  it('closes a request whose body never arrives', async () => {
    const port = await listen({ headersTimeoutMs: 300, requestTimeoutMs: 500, checkIntervalMs: 100 });
    const socket = await open(port);
    socket.write('POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\nabc');
    const answer = await closed(socket);
    expect(answer === '' || answer.startsWith('HTTP/1.1 408')).toBe(true);
  });

  it('closes an idle keep-alive socket after its response', async () => {
    const port = await listen({ keepAliveTimeoutMs: 200 });
    const socket = await open(port);
    const whenClosed = closed(socket);
    socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    expect(await whenClosed).toContain('HTTP/1.1 200');
  });

  it('refuses connections beyond the per-source cap and admits again when one closes', async () => {
    const port = await listen({ maxConnectionsPerSource: 3 });
    const first = await Promise.all([open(port), open(port), open(port)]);
    // Let the server register them before the extra one arrives.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const extra = await open(port);
    await closed(extra);
    expect(limited?.stats.refused).toBe(1);
    expect(limited?.stats.bySource('127.0.0.1')).toBe(3);
    const firstClosed = closed(first[0]!);
    first[0]?.destroy();
    await firstClosed;
    // wait until the server saw the close (bounded)
    for (let attempt = 0; attempt < 50 && (limited?.stats.bySource('127.0.0.1') ?? 0) >= 3; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const again = await open(port);
    const whenClosed = closed(again);
    again.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    expect(await whenClosed).toContain('HTTP/1.1 200');
  });
});
