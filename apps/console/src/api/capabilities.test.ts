import { describe, expect, it } from 'vitest';
import { createApiClient } from './api-client.js';
import { createCapabilityStore, fetchIdentity, parseIdentity } from './capabilities.js';
import { ConsoleError } from './console-error.js';

const answering =
  (status: number, body: unknown): typeof fetch =>
  async () =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

describe('fetchIdentity', () => {
  it('degrades to unknown on a gateway without /v1/whoami (404)', async () => {
    const api = createApiClient({
      token: 't',
      baseUrl: 'http://gateway.test',
      fetch: answering(404, { error: { code: 'not_found', message: 'Route GET /v1/whoami not found' } }),
    });
    expect(await fetchIdentity(api)).toEqual({ kind: 'unknown' });
  });

  it('rethrows a refused token (401)', async () => {
    const api = createApiClient({
      token: 't',
      baseUrl: 'http://gateway.test',
      fetch: answering(401, { error: { code: 'unauthorized', message: 'Invalid bearer token.' } }),
    });
    await expect(fetchIdentity(api)).rejects.toMatchObject({ code: 'unauthorized', status: 401 });
  });

  it("reads the gateway's whoami answer for a prefix-scoped token", () => {
    expect(
      parseIdentity({
        kind: 'token',
        credentialId: 'tk_2',
        name: 'tenant',
        scope: { kind: 'prefix', prefix: 'agent:ops:tenant-a' },
        capabilities: ['sessions:read'],
        expiresAt: 1,
      }),
    ).toEqual({ kind: 'scoped', id: 'tk_2', name: 'tenant', scope: 'prefix agent:ops:tenant-a', capabilities: ['sessions:read'] });
  });

  it('reads a scoped identity with its capabilities', async () => {
    const api = createApiClient({
      token: 't',
      baseUrl: 'http://gateway.test',
      fetch: answering(200, {
        kind: 'scoped',
        id: 'tok_1',
        name: 'dashboard',
        scope: { sessionKey: 'agent:main:x' },
        capabilities: ['sessions:read', 'processes:read'],
      }),
    });
    expect(await fetchIdentity(api)).toEqual({
      kind: 'scoped',
      id: 'tok_1',
      name: 'dashboard',
      scope: 'session agent:main:x',
      capabilities: ['sessions:read', 'processes:read'],
    });
  });
});

describe('createCapabilityStore', () => {
  it('offers only granted capabilities to a scoped token', () => {
    const store = createCapabilityStore(parseIdentity({ kind: 'scoped', capabilities: ['processes:read'] }));
    expect(store.may('processes:read')).toBe(true);
    expect(store.may('processes:kill')).toBe(false);
    // Operator-only powers are never offered to a scoped token unless whoami names them.
    expect(store.may('audit:read')).toBe(false);
  });

  it('offers everything to the operator', () => {
    const store = createCapabilityStore(parseIdentity({ kind: 'operator', credentialId: 'operator', name: 'operator', capabilities: [] }));
    expect(store.may('processes:kill')).toBe(true);
    expect(store.may('audit:read')).toBe(true);
  });

  it('offers everything when the gateway does not say, until the API answers 403', async () => {
    const store = createCapabilityStore({ kind: 'unknown' });
    let changes = 0;
    store.subscribe(() => (changes += 1));
    expect(store.may('processes:kill')).toBe(true);
    await expect(
      store.guard('processes:kill', async () => Promise.reject(new ConsoleError('forbidden', 'no', { status: 403 }))),
    ).rejects.toMatchObject({ code: 'forbidden' });
    expect(store.may('processes:kill')).toBe(false);
    expect(changes).toBe(1);
    await expect(
      store.guard('cron:write', async () => Promise.reject(new ConsoleError('not_found', 'gone', { status: 404 }))),
    ).rejects.toMatchObject({ code: 'not_found' });
    expect(store.may('cron:write')).toBe(true);
  });
});
