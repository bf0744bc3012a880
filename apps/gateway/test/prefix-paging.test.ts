import { afterEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './helpers.js';

let gateway: TestGateway | undefined;
afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
});

const row = (key: string, updatedAt: number) => ({
  key,
  agentId: key.split(':')[1]!,
  sessionId: `sid-${updatedAt}`,
  kind: 'direct',
  label: null,
  spawnedBy: null,
  spawnDepth: 0,
  channel: null,
  peerKind: null,
  peerId: null,
  now: updatedAt,
});

describe('GET /v1/sessions with a prefix-scoped token', () => {
  it('pages through every session under the prefix (more than one scan of 1 000), and never a sibling', async () => {
    gateway = await startTestGateway({ agents: [{ id: 'main' }, { id: 'ops' }], defaultAgent: 'main' });
    const store = gateway.gw.runtime.store;
    const under = 1_205;
    store.transaction(() => {
      // Siblings first and last, so they are interleaved in time with the prefix's sessions.
      for (let index = 0; index < 300; index++) store.sessions.upsert(row(`agent:ops:tenant-ab:${index}`, index * 10));
      for (let index = 0; index < under; index++) store.sessions.upsert(row(`agent:ops:tenant-a:s${index}`, index * 10 + 5));
      store.sessions.upsert(row('agent:ops:tenant-a', 20_000));
      store.sessions.upsert(row('agent:main:tenant-a:x', 20_001));
    });
    const minted = await gateway.api<{ token: string }>('POST', '/v1/tokens', {
      name: 'tenant-a',
      prefix: 'agent:ops:tenant-a',
      capabilities: ['sessions:read'],
    });
    expect(minted.status).toBe(201);
    const seen: string[] = [];
    let cursor: string | undefined;
    let count = -1;
    for (let page = 0; page < 10; page++) {
      const query = `/v1/sessions?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const answer = await gateway.api<{ count: number; sessions: Array<{ key: string }>; nextCursor?: string }>(
        'GET',
        query,
        undefined,
        minted.body.token,
      );
      expect(answer.status).toBe(200);
      count = answer.body.count;
      seen.push(...answer.body.sessions.map((session) => session.key));
      cursor = answer.body.nextCursor;
      if (cursor === undefined) break;
    }
    expect(cursor).toBeUndefined();
    expect(count).toBe(under + 1);
    expect(seen).toHaveLength(under + 1);
    expect(new Set(seen).size).toBe(under + 1);
    expect(seen[0]).toBe('agent:ops:tenant-a');
    expect(seen.every((key) => key === 'agent:ops:tenant-a' || key.startsWith('agent:ops:tenant-a:'))).toBe(true);
  });
});
