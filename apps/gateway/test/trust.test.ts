/**
 * Issue 14 gateway items tested against the real gateway on loopback: session paging past 1 000
 * (cursor, total count), journal logs paged like live ones, the exec timeout clamp, and the
 * embedded runtime beside a running gateway.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createGatewayRuntime, startGateway } from '../src/index.js';
import { FAST, startTestGateway, wrap, type TestGateway } from './helpers.js';

let t: TestGateway | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('GET /v1/sessions pages with a cursor (item 24)', () => {
  it('pages past 1 000 sessions with nextCursor; count is the total; every session appears once', async () => {
    t = await startTestGateway({ ...FAST });
    const total = 1_205;
    const sessions = t.gw.runtime.store.sessions;
    t.gw.runtime.store.transaction(() => {
      for (let index = 0; index < total; index++) {
        sessions.upsert({
          key: `agent:main:bulk-${index}`,
          agentId: 'main',
          sessionId: `sid-${index}`,
          kind: 'direct',
          label: null,
          spawnedBy: null,
          spawnDepth: 0,
          channel: null,
          peerKind: null,
          peerId: null,
          // Many rows share an updatedAt: ties must neither repeat nor skip rows.
          now: 1_000 + Math.floor(index / 7),
        });
      }
    });
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const query = `?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const answer = await t.api<{ count: number; sessions: Array<{ key: string }>; nextCursor?: string }>('GET', `/v1/sessions${query}`);
      expect(answer.status).toBe(200);
      expect(answer.body.count).toBe(total);
      seen.push(...answer.body.sessions.map((session) => session.key));
      cursor = answer.body.nextCursor;
      if (!cursor) break;
    }
    expect(seen.length).toBe(total);
    expect(new Set(seen).size).toBe(total);
    const bad = await t.api('GET', '/v1/sessions?cursor=not-a-cursor');
    expect(bad).toMatchObject({ status: 400, body: { error: { field: 'cursor' } } });
  });
});

describe('journal logs page like live ones (item 25)', () => {
  it('?limit=N gives the last N lines from the journal after a restart, as from the registry before it', async () => {
    t = await startTestGateway({ ...FAST });
    const run = await t.turn({ sessionKey: 'agent:main:logs', message: 'run in background: seq 1 50; sleep 60' });
    const processId = /as (\S+) \(running\)/.exec(run.reply ?? '')?.[1] ?? '';
    expect(processId).not.toBe('');
    const live = await t.until(async () => {
      const answer = await t!.api<{ output: string; source: string }>('GET', `/v1/processes/${processId}/log?limit=3`);
      return answer.body.output === '48\n49\n50' ? answer.body : undefined;
    }, 'the live log');
    expect(live.source).toBe('registry');
    const dir = t.dir;
    await t.gw.close();
    const again = await startGateway({
      port: 0,
      stateDir: dir,
      configPath: `${dir}/pincer.config.json`,
      token: 'test-token',
      logLevel: 'error',
    });
    t = wrap(again, dir);
    const journal = await t.api<{ output: string; source: string }>('GET', `/v1/processes/${processId}/log?limit=3`);
    expect(journal.body).toMatchObject({ output: '48\n49\n50', source: 'journal' });
  });
});

describe('the model cannot lift the exec timeout (item 10)', () => {
  it('a requested timeout above exec.timeoutMs is clamped: the shell is killed at the configured one', async () => {
    t = await startTestGateway({
      ...FAST,
      exec: { timeoutMs: 1_000 },
    });
    // The model's call (through the agent's tool, as a model step would make it) asks for no timeout.
    const tool = t.gw.runtime.toolbox.get('exec')!;
    const context = { agentId: 'main', sessionKey: 'agent:main:clamp', sessionId: 'x', depth: 0, via: 'model' as const };
    const prepared = tool.prepare({ command: 'sleep 30', timeoutMs: 0 }, context);
    expect(prepared.ok).toBe(true);
    if (!prepared.ok) throw new Error('exec arguments refused');
    const result = (await prepared.run()) as { status: string };
    expect(result.status).toBe('timeout');
  });
});

describe('the embedded runtime beside a running gateway (item 14)', () => {
  it('runs a turn on the same state dir while the gateway keeps its lock and its runs', async () => {
    t = await startTestGateway({ ...FAST });
    const embedded = await createGatewayRuntime({ stateDir: t.dir, configPath: `${t.dir}/pincer.config.json` });
    try {
      const result = await embedded.runAgentTurn({ message: 'hello beside', sessionKey: 'agent:main:beside' });
      expect(result).toMatchObject({ status: 'ok', reply: '[scripted] echo: hello beside' });
    } finally {
      await embedded.close();
    }
    const own = await t.turn({ sessionKey: 'agent:main:own', message: 'still here' });
    expect(own.status).toBe('ok');
  });
});
