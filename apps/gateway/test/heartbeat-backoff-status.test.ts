/**
 * Issue 14 item 26: a heartbeat turn that keeps failing (a provider outage) backs off; its events
 * stay queued, and the gateway's status shows the session as backing off. The provider is a real
 * loopback server that answers every request with a 503 (an outage), so the test can also show
 * that a healthy provider leaves nothing backing off.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FAST, startTestGateway, type TestGateway } from './helpers.js';

let t: TestGateway | undefined;
let server: Server | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** An OpenAI-compatible endpoint in an outage: every request gets 503. */
async function outageProvider(): Promise<{ baseUrl: string; requests: () => number }> {
  let count = 0;
  server = createServer((request, response) => {
    count += 1;
    request.resume();
    response.writeHead(503, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ error: { message: 'upstream unavailable', type: 'server_error' } }));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', () => resolve()));
  return { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, requests: () => count };
}

interface StatusBody {
  heartbeats: { backingOffCount: number; backingOff: Array<{ sessionKey: string; consecutiveFailures: number; nextAttemptAt: number }> };
}

describe('heartbeat backoff in GET /v1/status', () => {
  it('lists a session whose heartbeat turns fail, with its retry time; its events stay queued', async () => {
    const provider = await outageProvider();
    t = await startTestGateway({
      ...FAST,
      providers: { down: { type: 'openai-compatible', baseUrl: provider.baseUrl } },
      agents: [{ id: 'main', model: 'down/test-model', heartbeat: { every: '1h' } }],
    });
    const before = await t.api<StatusBody>('GET', '/v1/status');
    expect(before.status).toBe(200);
    expect(before.body.heartbeats).toEqual({ backingOffCount: 0, backingOff: [] });

    // A systemEvent cron job fired now queues an event and wakes a heartbeat: the provider fails it.
    const job = await t.api<{ id: string }>('POST', '/v1/cron', { sessionKey: 'agent:main:main', every: '1h', text: 'check the build' });
    expect(job.status, JSON.stringify(job.body)).toBe(201);
    expect((await t.api('POST', `/v1/cron/${job.body.id}/run`, {})).status).toBe(200);

    const status = await t.until(async () => {
      const answer = await t!.api<StatusBody>('GET', '/v1/status');
      return answer.body.heartbeats.backingOffCount > 0 ? answer.body : undefined;
    }, 'the session to back off');
    expect(provider.requests()).toBeGreaterThan(0);
    expect(status.heartbeats.backingOff).toEqual([
      expect.objectContaining({ sessionKey: 'agent:main:main', consecutiveFailures: expect.any(Number) }),
    ]);
    expect(status.heartbeats.backingOff[0]!.nextAttemptAt).toBeGreaterThan(Date.now());
    const session = await t.api<{ queuedEvents: number }>('GET', `/v1/sessions/${encodeURIComponent('agent:main:main')}`);
    expect(session.body.queuedEvents).toBeGreaterThanOrEqual(1);
  });
});
