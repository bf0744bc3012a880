import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { FAST, startTestGateway, type TestGateway } from './helpers.js';

const PLUGIN = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'echo-plugin.mjs');

let t: TestGateway | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('plugins from config (through @pincer/plugin-sdk/host)', () => {
  it('mounts plugin routes behind gateway auth, exposes plugin tools and runs before_tool_call', async () => {
    // Issue 14 item 13: the fixture lives outside the state dir, so the test opts in.
    t = await startTestGateway({ ...FAST, security: { allowPluginsOutsideStateDir: true }, plugins: [{ module: PLUGIN }] });
    expect((await t.api('GET', '/plugins/echo/shells', undefined, null)).status).toBe(401);
    expect(await t.api('GET', '/plugins/echo/shells')).toMatchObject({ status: 200, body: { count: 0, greeting: 'none' } });
    const shout = await t.api('POST', '/v1/tools/invoke', { tool: 'shout', args: { text: 'hi' }, sessionKey: 'agent:main:main' });
    expect(shout).toMatchObject({ status: 200, body: { ok: true, result: { shouted: 'HI' } } });
    // before_tool_call also guards HTTP invocations.
    const vetoed = await t.api('POST', '/v1/tools/invoke', { tool: 'shout', args: { text: 'nope' }, sessionKey: 'agent:main:main' });
    expect(vetoed).toMatchObject({
      status: 403,
      body: { error: { code: 'forbidden', field: 'tool', message: 'Blocked by plugin echo: no nope' } },
    });
    const blocked = await t.turn({ message: 'run: echo forbidden' });
    expect(blocked.reply).toContain('`echo forbidden`: blocked');
    const tr = await t.transcript('agent:main:main');
    expect(tr.some((e) => e.role === 'tool' && e.text.includes('Blocked by plugin echo: no forbidden commands'))).toBe(true);
    expect((await t.api<{ processes: unknown[] }>('GET', '/v1/processes')).body.processes).toEqual([]);
    const allowed = await t.turn({ message: 'run: echo fine' });
    expect(allowed.reply).toContain('fine');
  });

  it('refuses to start with a plugin that does not load, naming it', async () => {
    await expect(startTestGateway({ plugins: [{ module: './does-not-exist.mjs' }] })).rejects.toThrow(/plugins\[0\]/);
  });
});
