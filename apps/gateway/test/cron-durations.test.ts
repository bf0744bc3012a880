import { afterEach, describe, expect, it } from 'vitest';
import { FAST, startTestGateway, type TestGateway } from './helpers.js';

let gateway: TestGateway | undefined;
afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
});

describe('cron durations over HTTP use the config grammar', () => {
  it('refuses a bare number for every and in, asking for a unit, and accepts a number with a unit', async () => {
    gateway = await startTestGateway(FAST);
    const sessionKey = 'agent:main:cron-durations';
    for (const schedule of [{ every: '5' }, { in: '30' }]) {
      const refused = await gateway.api('POST', '/v1/cron', { sessionKey, text: 'tick', ...schedule });
      expect(refused.status).toBe(400);
      const body = refused.body as { error: { code: string; message: string } };
      expect(body.error.message).toContain('has no unit');
    }
    const listed = await gateway.api('GET', '/v1/cron', undefined);
    expect((listed.body as { count: number }).count).toBe(0);
    const accepted = await gateway.api('POST', '/v1/cron', { sessionKey, text: 'tick', every: '5s' });
    expect(accepted.status).toBeLessThan(300);
    expect((accepted.body as { schedule: { kind: string; every: number } }).schedule).toMatchObject({ kind: 'every', every: 5_000 });
  });
});
