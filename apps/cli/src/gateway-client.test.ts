import { describe, expect, it } from 'vitest';
import { CliError } from './errors.js';
import { createGatewayClient, errorFromResponse, parseBody, RunViewSchema } from './gateway-client.js';

interface Seen {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
}

function fakeFetch(answer: (seen: Seen) => Response | Promise<Response>, seen: Seen[] = []): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const record: Seen = {
      url: String(input),
      method: init?.method ?? 'GET',
      headers: { ...(init?.headers as Record<string, string>) },
      body: typeof init?.body === 'string' ? init.body : undefined,
    };
    seen.push(record);
    return answer(record);
  }) as typeof fetch;
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

describe('createGatewayClient', () => {
  it('sends JSON with the bearer token and the query string', async () => {
    const seen: Seen[] = [];
    const client = createGatewayClient({
      url: 'http://127.0.0.1:1/',
      token: 'tok',
      fetch: fakeFetch(() => json(202, { runId: 'r1' }), seen),
    });
    const body = await client.request('POST', '/v1/agent', { body: { message: 'hi' }, query: { a: 1, b: undefined } });
    expect(body).toEqual({ runId: 'r1' });
    expect(seen[0]).toMatchObject({
      url: 'http://127.0.0.1:1/v1/agent?a=1',
      method: 'POST',
      body: '{"message":"hi"}',
      headers: { authorization: 'Bearer tok', 'content-type': 'application/json' },
    });
  });

  it('does not send the token to /healthz', async () => {
    const seen: Seen[] = [];
    const client = createGatewayClient({ url: 'http://127.0.0.1:1', token: 'tok', fetch: fakeFetch(() => json(200, { ok: true }), seen) });
    await client.health();
    expect(seen[0]?.headers.authorization).toBeUndefined();
  });

  it('maps a connection failure to GATEWAY_UNAVAILABLE naming the cause', async () => {
    const refused = Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }) });
    const client = createGatewayClient({
      url: 'http://127.0.0.1:1',
      token: undefined,
      fetch: (() => Promise.reject(refused)) as typeof fetch,
    });
    const error = await client.health().catch((e: unknown) => e);
    expect(CliError.isInstance(error) && error.code).toBe('GATEWAY_UNAVAILABLE');
    expect((error as Error).message).toBe('No gateway answered at http://127.0.0.1:1 (ECONNREFUSED).');
  });

  it('maps the gateway error body to a CliError with the gateway message and field', async () => {
    const client = createGatewayClient({
      url: 'http://127.0.0.1:1',
      token: 't',
      fetch: fakeFetch(() => json(400, { error: { code: 'invalid_request', message: 'message is required', field: 'message' } })),
    });
    const error = await client.request('POST', '/v1/agent', { body: {} }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'VALIDATION', message: 'message is required', field: 'message' });
  });

  it('rejects a success body that is not JSON', async () => {
    const client = createGatewayClient({
      url: 'http://127.0.0.1:1',
      token: 't',
      fetch: fakeFetch(() => new Response('<html>', { status: 200 })),
    });
    await expect(client.request('GET', '/v1/sessions')).rejects.toMatchObject({ code: 'GATEWAY_ERROR' });
  });
});

describe('errorFromResponse', () => {
  it('maps statuses to codes (exit 2 only for the request-validation statuses 400/413/422)', () => {
    const body = { error: { code: 'x', message: 'm' } };
    expect(errorFromResponse(400, body, 'x').code).toBe('VALIDATION');
    // The gateway's body limit answers 413 (field "body"): the user's input was refused.
    expect(
      errorFromResponse(413, { error: { code: 'invalid_request', message: 'Request body is too large', field: 'body' } }, 'x'),
    ).toMatchObject({
      code: 'VALIDATION',
      message: 'Request body is too large',
      field: 'body',
    });
    expect(errorFromResponse(409, body, 'x').code).toBe('GATEWAY_ERROR');
    expect(errorFromResponse(401, body, 'x').code).toBe('UNAUTHORIZED');
    expect(errorFromResponse(401, body, 'x').message).toMatch(/PINCER_GATEWAY_TOKEN/);
    expect(errorFromResponse(403, body, 'x').code).toBe('FORBIDDEN');
    expect(errorFromResponse(404, body, 'x').code).toBe('NOT_FOUND');
    expect(errorFromResponse(429, body, 'x').code).toBe('RATE_LIMITED');
    expect(errorFromResponse(500, body, 'x').code).toBe('GATEWAY_ERROR');
    expect(errorFromResponse(502, 'oops', 'GET /x').message).toBe('Gateway answered HTTP 502 to GET /x.');
  });
});

describe('parseBody', () => {
  it('names the call and the path of a mismatch', () => {
    expect(() =>
      parseBody(
        RunViewSchema,
        { runId: 'r', sessionKey: 'k', agentId: 'main', kind: 'user', createdAt: 0, status: 'weird' },
        'GET /v1/runs/:id',
      ),
    ).toThrow(/GET \/v1\/runs\/:id at status/);
  });
});
