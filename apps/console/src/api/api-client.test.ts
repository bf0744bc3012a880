import { describe, expect, it } from 'vitest';
import { createApiClient, withQuery } from './api-client.js';

describe('withQuery', () => {
  it('encodes values, repeats arrays and drops empty ones', () => {
    expect(withQuery('/v1/events', { sessionKey: ['agent:main:a', 'b&c'] })).toBe(
      '/v1/events?sessionKey=agent%3Amain%3Aa&sessionKey=b%26c',
    );
    expect(withQuery('/v1/sessions', { limit: 5, agentId: undefined, q: '' })).toBe('/v1/sessions?limit=5');
  });
});

describe('createApiClient', () => {
  it('sends the bearer token as a header, never in the URL, and maps errors to codes', async () => {
    const seen: Array<{ url: string; authorization: string | null }> = [];
    let unauthorized = 0;
    const api = createApiClient({
      token: 'secret-token',
      baseUrl: 'http://gateway.test',
      onUnauthorized: () => (unauthorized += 1),
      fetch: async (input, init) => {
        seen.push({ url: String(input), authorization: new Headers(init?.headers).get('authorization') });
        return new Response(JSON.stringify({ error: { code: 'unauthorized', message: 'Invalid bearer token.' } }), { status: 401 });
      },
    });
    await expect(api.get('/v1/sessions', { limit: 1 })).rejects.toMatchObject({
      code: 'unauthorized',
      status: 401,
      message: 'Invalid bearer token.',
    });
    expect(seen).toEqual([{ url: 'http://gateway.test/v1/sessions?limit=1', authorization: 'Bearer secret-token' }]);
    expect(unauthorized).toBe(1);
  });

  it('reports a gateway that does not answer as a network error', async () => {
    const api = createApiClient({ token: 't', fetch: async () => Promise.reject(new TypeError('fetch failed')) });
    await expect(api.get('/v1/cron')).rejects.toMatchObject({ code: 'network', status: 0 });
  });
});
