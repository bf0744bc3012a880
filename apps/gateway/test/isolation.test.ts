import { afterEach, describe, expect, it } from 'vitest';
import { FAST, startTestGateway, type TestGateway } from './helpers.js';

let t: TestGateway | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const A = 'agent:main:alpha';
const B = 'agent:main:beta';
const q = (k: string) => `sessionKey=${encodeURIComponent(k)}`;

describe('cross-session attempts fail closed, answering exactly like not-found', () => {
  it('runs, processes, cron, tools and events of session A are invisible to session B', async () => {
    t = await startTestGateway({ ...FAST, agents: [{ id: 'main' }, { id: 'ops' }] });
    const g = t;
    // Session A owns a run, a running process and a cron job.
    const run = await g.turn({ message: 'run in background: sleep 30', sessionKey: A });
    const pid = /as (\S+) \(running\)/.exec(run.reply ?? '')?.[1] ?? '';
    expect(pid).not.toBe('');
    const job = await g.api<{ id: string }>('POST', '/v1/cron', { sessionKey: A, every: '1h', text: 'a-only' });
    await g.turn({ message: 'hello', sessionKey: B });

    const same = (a: { status: number; body: unknown }, b: { status: number; body: unknown }, realId: string, fakeId: string) => {
      expect(a.status).toBe(404);
      expect(b.status).toBe(404);
      expect(JSON.stringify(a.body).replaceAll(realId, 'X')).toBe(JSON.stringify(b.body).replaceAll(fakeId, 'X'));
    };

    // GET /v1/runs/:id
    same(await g.api('GET', `/v1/runs/${run.runId}?${q(B)}`), await g.api('GET', `/v1/runs/no-such-run?${q(B)}`), run.runId, 'no-such-run');
    expect((await g.api('GET', `/v1/runs/${run.runId}?${q(A)}`)).status).toBe(200);
    // process log / kill
    same(
      await g.api('GET', `/v1/processes/${pid}/log?${q(B)}`),
      await g.api('GET', `/v1/processes/nope-nope/log?${q(B)}`),
      pid,
      'nope-nope',
    );
    same(
      await g.api('POST', `/v1/processes/${pid}/kill?${q(B)}`),
      await g.api('POST', `/v1/processes/nope-nope/kill?${q(B)}`),
      pid,
      'nope-nope',
    );
    const listB = await g.api<{ processes: unknown[] }>('GET', `/v1/processes?${q(B)}`);
    expect(listB.body.processes).toEqual([]);
    // cron
    same(await g.api('GET', `/v1/cron/${job.body.id}?${q(B)}`), await g.api('GET', `/v1/cron/nope?${q(B)}`), job.body.id, 'nope');
    same(await g.api('DELETE', `/v1/cron/${job.body.id}?${q(B)}`), await g.api('DELETE', `/v1/cron/nope?${q(B)}`), job.body.id, 'nope');
    same(await g.api('GET', `/v1/cron/${job.body.id}/runs?${q(B)}`), await g.api('GET', `/v1/cron/nope/runs?${q(B)}`), job.body.id, 'nope');
    expect((await g.api<{ jobs: unknown[] }>('GET', `/v1/cron?${q(B)}`)).body.jobs).toEqual([]);
    expect((await g.api('GET', `/v1/cron/${job.body.id}?${q(A)}`)).status).toBe(200);
    // tools/invoke: process actions of B on A's process answer like a missing id
    for (const action of ['log', 'poll', 'kill', 'clear', 'remove']) {
      const real = await g.api<{ result: unknown }>('POST', '/v1/tools/invoke', {
        tool: 'process',
        args: { action, id: pid },
        sessionKey: B,
      });
      const fake = await g.api<{ result: unknown }>('POST', '/v1/tools/invoke', {
        tool: 'process',
        args: { action, id: 'nope-nope' },
        sessionKey: B,
      });
      expect(real.status, action).toBe(200);
      expect(JSON.stringify(real.body).replaceAll(pid, 'X'), action).toBe(JSON.stringify(fake.body).replaceAll('nope-nope', 'X'));
    }
    // sessions_history of another agent's session answers like a missing session
    await g.turn({ message: 'secret', sessionKey: 'agent:ops:vault' });
    const hist = await g.api('POST', '/v1/tools/invoke', {
      tool: 'sessions_history',
      args: { sessionKey: 'agent:ops:vault' },
      sessionKey: B,
    });
    const histMissing = await g.api('POST', '/v1/tools/invoke', {
      tool: 'sessions_history',
      args: { sessionKey: 'agent:ops:nothing' },
      sessionKey: B,
    });
    expect(JSON.stringify(hist.body).replace('vault', 'X')).toBe(JSON.stringify(histMissing.body).replace('nothing', 'X'));
    const listed = await g.api<{ result: { sessions: Array<{ key: string }> } }>('POST', '/v1/tools/invoke', {
      tool: 'sessions_list',
      sessionKey: B,
    });
    expect(listed.body.result.sessions.map((s) => s.key)).toEqual([B]);
    // The same agent's other session (A) is not visible to B either (default visibility: own tree).
    const sameAgent = await g.api('POST', '/v1/tools/invoke', { tool: 'sessions_history', args: { sessionKey: A }, sessionKey: B });
    const sameAgentMissing = await g.api('POST', '/v1/tools/invoke', {
      tool: 'sessions_history',
      args: { sessionKey: 'agent:main:gamma' },
      sessionKey: B,
    });
    expect(JSON.stringify(sameAgent.body).replace('alpha', 'X')).toBe(JSON.stringify(sameAgentMissing.body).replace('gamma', 'X'));
    const own = await g.api<{ result: { messages: unknown[] } }>('POST', '/v1/tools/invoke', {
      tool: 'sessions_history',
      args: { sessionKey: B },
      sessionKey: B,
    });
    expect(own.body.result.messages.length).toBeGreaterThan(0);
    // Through the model: B's agent asking to kill A's process
    const viaModel = await g.turn({ message: `kill ${pid}`, sessionKey: B });
    expect(viaModel.reply).toContain('in this session');
    // A's process is untouched by all of the above
    const procs = await g.api<{ processes: Array<{ id: string; status: string }> }>('GET', `/v1/processes?${q(A)}`);
    expect(procs.body.processes).toMatchObject([{ id: pid, status: 'running' }]);
    expect((await g.api('GET', `/v1/cron/${job.body.id}`)).status).toBe(200);
  });

  it('the SSE stream only carries the sessions the caller names', async () => {
    t = await startTestGateway(FAST);
    const g = t;
    const ctrl = new AbortController();
    const res = await fetch(`${g.gw.url}/v1/events?${q(B)}`, { headers: { authorization: `Bearer ${g.gw.token}` }, signal: ctrl.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    let text = '';
    const read = (async () => {
      const dec = new TextDecoder();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += dec.decode(value);
        if (text.includes('run.finished')) break;
      }
    })();
    await g.turn({ message: 'for alpha only', sessionKey: A });
    await g.turn({ message: 'for beta', sessionKey: B });
    await read;
    ctrl.abort();
    expect(text).toContain('"sessionKey":"agent:main:beta"');
    expect(text).not.toContain('alpha');
    const noKey = await g.api('GET', '/v1/events');
    expect(noKey).toMatchObject({ status: 400, body: { error: { field: 'sessionKey' } } });
  });
});

describe('session routes and idempotency keys fail closed across sessions', () => {
  it('GET/transcript/reset/DELETE of session A with ?sessionKey=B answer exactly like a missing session', async () => {
    t = await startTestGateway(FAST);
    const g = t;
    await g.turn({ message: 'alpha-secret', sessionKey: A });
    await g.turn({ message: 'hello', sessionKey: B });
    const enc = encodeURIComponent;
    const G = 'agent:main:gamma'; // never existed
    const like = async (method: string, suffix: string) => {
      const real = await g.api(method, `/v1/sessions/${enc(A)}${suffix}?${q(B)}`);
      const missing = await g.api(method, `/v1/sessions/${enc(G)}${suffix}?${q(B)}`);
      expect(real.status, `${method} ${suffix}`).toBe(404);
      expect(JSON.stringify(real.body).replaceAll(A, 'X'), `${method} ${suffix}`).toBe(JSON.stringify(missing.body).replaceAll(G, 'X'));
      expect(JSON.stringify(real.body)).not.toContain('alpha-secret');
    };
    await like('GET', '');
    await like('GET', '/transcript');
    await like('POST', '/reset');
    await like('DELETE', '');
    // A is untouched, and readable by its own caller.
    const own = await g.api<{ entries: Array<{ text: string }> }>('GET', `/v1/sessions/${enc(A)}/transcript?${q(A)}`);
    expect(own.status).toBe(200);
    expect(own.body.entries.map((e) => e.text)).toContain('alpha-secret');
    expect((await g.api('GET', `/v1/sessions/${enc(A)}?${q(A)}`)).status).toBe(200);
    // The list, scoped to B, shows only B.
    const list = await g.api<{ sessions: Array<{ key: string }> }>('GET', `/v1/sessions?${q(B)}`);
    expect(list.body.sessions.map((s) => s.key)).toEqual([B]);
  });

  it('an idempotency key used by session A is unknown to session B (no 409 oracle)', async () => {
    t = await startTestGateway(FAST);
    const g = t;
    const a = await g.api<{ runId: string; sessionKey: string }>('POST', '/v1/agent', {
      message: 'x',
      sessionKey: A,
      idempotencyKey: 'shared-key',
    });
    expect(a.status).toBe(202);
    const b = await g.api<{ runId: string; sessionKey: string }>('POST', '/v1/agent', {
      message: 'x',
      sessionKey: B,
      idempotencyKey: 'shared-key',
    });
    const fresh = await g.api<{ runId: string; sessionKey: string }>('POST', '/v1/agent', {
      message: 'x',
      sessionKey: B,
      idempotencyKey: 'never-used',
    });
    expect(b.status).toBe(fresh.status);
    expect(b.body.sessionKey).toBe(B);
    expect(b.body.runId).not.toBe(a.body.runId);
    const replay = await g.api<{ runId: string }>('POST', '/v1/agent', { message: 'x', sessionKey: A, idempotencyKey: 'shared-key' });
    expect(replay).toMatchObject({ status: 200, body: { runId: a.body.runId } });
    await g.api('GET', `/v1/runs/${fresh.body.runId}?waitMs=10000`);
  });
});
