/**
 * Isolation matrix: for every route and tool that reaches a session's processes, runs, cron jobs,
 * session record, transcript or events, a caller speaking for session B (or for another agent's session C) and
 * touching session A's objects fails closed — with exactly the status and body a truly missing id
 * gets (the id itself substituted). Real gateway, real shells, real SQLite.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAST_WAKE, type ApiResponse, startedId, storyApi, until } from '../support/harness.js';
import { type InprocGateway, startInprocGateway } from '../support/inproc.js';

const A = 'agent:main:alpha';
const B = 'agent:main:beta';
const C = 'agent:ops:gamma';
const MISSING = 'zz-missing-0000';

let gw: InprocGateway;
let api: ReturnType<typeof storyApi>;
const a = { running: '', finished: '', runId: '', cronId: '' };

beforeAll(async () => {
  gw = await startInprocGateway({ wake: FAST_WAKE, agents: [{ id: 'main' }, { id: 'ops' }] });
  api = storyApi(gw);
  a.running = startedId((await api.turn({ sessionKey: A, message: 'run in background: sleep 120' })).reply);
  const fin = await api.turn({ sessionKey: A, message: 'run in background: echo alpha-secret-output' });
  a.finished = startedId(fin.reply);
  a.runId = fin.runId;
  await until(async () => (await api.processes()).find((p) => p.id === a.finished && p.status === 'completed'), 'the finished shell');
  const job = await gw.api<{ id: string }>('POST', '/v1/cron', { sessionKey: A, every: '1h', text: 'alpha-cron' });
  expect(job.status).toBe(201);
  a.cronId = job.body.id;
  // Give B and C sessions of their own so they are real callers.
  await api.turn({ sessionKey: B, message: 'hello from beta' });
  await api.turn({ sessionKey: C, message: 'hello from gamma' });
});

afterAll(async () => {
  await gw?.close();
});

/** The answer with `id` replaced by a placeholder, for comparing with a missing id's answer. */
function shape(r: ApiResponse, id: string): { status: number; body: string } {
  return { status: r.status, body: r.text.split(id).join('<ID>') };
}

async function expectLikeMissing(call: (id: string) => Promise<ApiResponse>, id: string, what: string): Promise<void> {
  const real = shape(await call(id), id);
  const missing = shape(await call(MISSING), MISSING);
  expect(real, what).toEqual(missing);
  expect(real.status, `${what}: ${real.body}`).toBe(real.status === 200 ? 200 : 404);
}

const q = (k: string) => `sessionKey=${encodeURIComponent(k)}`;

describe.each([
  ['session B of the same agent', B],
  ['session C of another agent', C],
])('a caller of %s touching session A', (_label, caller) => {
  it("GET /v1/processes?sessionKey lists none of A's shells", async () => {
    const ids = (await api.processes(caller)).map((p) => p.id);
    expect(ids).not.toContain(a.running);
    expect(ids).not.toContain(a.finished);
    expect((await api.processes(A)).map((p) => p.id)).toEqual(expect.arrayContaining([a.running, a.finished]));
  });

  it('GET /v1/processes/:id/log answers like a missing process (running and finished)', async () => {
    for (const id of [a.running, a.finished]) {
      await expectLikeMissing((x) => gw.api('GET', `/v1/processes/${x}/log?${q(caller)}`), id, `log ${id}`);
    }
  });

  it('POST /v1/processes/:id/kill answers like a missing process and kills nothing', async () => {
    await expectLikeMissing((x) => gw.api('POST', `/v1/processes/${x}/kill?${q(caller)}`, {}), a.running, 'kill');
    expect((await api.processes()).find((p) => p.id === a.running)?.status).toBe('running');
  });

  it('GET /v1/runs/:id answers like a missing run', async () => {
    await expectLikeMissing((x) => gw.api('GET', `/v1/runs/${x}?${q(caller)}`), a.runId, 'run');
    await expectLikeMissing((x) => gw.api('GET', `/v1/runs/${x}?waitMs=10&${q(caller)}`), a.runId, 'run with waitMs');
  });

  it("cron: A's job is not listed, and get/runs/run-now/delete answer like a missing job", async () => {
    const list = await gw.api<{ jobs: Array<{ id: string }> }>('GET', `/v1/cron?${q(caller)}`);
    expect(list.status).toBe(200);
    expect(list.body.jobs.map((j) => j.id)).not.toContain(a.cronId);
    await expectLikeMissing((x) => gw.api('GET', `/v1/cron/${x}?${q(caller)}`), a.cronId, 'cron get');
    await expectLikeMissing((x) => gw.api('GET', `/v1/cron/${x}/runs?${q(caller)}`), a.cronId, 'cron runs');
    await expectLikeMissing((x) => gw.api('POST', `/v1/cron/${x}/run?${q(caller)}`, {}), a.cronId, 'cron run now');
    await expectLikeMissing((x) => gw.api('DELETE', `/v1/cron/${x}?${q(caller)}`), a.cronId, 'cron delete');
    const runs = await gw.api<{ runs: unknown[] }>('GET', `/v1/cron/${a.cronId}/runs?${q(A)}`);
    expect(runs.body.runs, "A's job was not run by the other caller").toEqual([]);
    expect((await gw.api('GET', `/v1/cron/${a.cronId}?${q(A)}`)).status).toBe(200);
  });

  it("the process tool (list/poll/log/kill/clear/remove) never sees A's shells", async () => {
    const list = await api.tool('process', { action: 'list' }, caller);
    expect(list.status).toBe(200);
    expect(JSON.stringify(list.body)).not.toContain(a.running);
    expect(JSON.stringify(list.body)).not.toContain(a.finished);
    for (const action of ['poll', 'log', 'kill', 'clear', 'remove']) {
      for (const id of [a.running, a.finished]) {
        await expectLikeMissing(
          (x) => gw.api('POST', '/v1/tools/invoke', { tool: 'process', args: { action, id: x }, sessionKey: caller }),
          id,
          `process ${action} ${id}`,
        );
      }
    }
    // A still owns both, untouched.
    const own = await api.tool('process', { action: 'log', id: a.finished }, A);
    expect(JSON.stringify(own.body)).toContain('alpha-secret-output');
    expect((await api.processes()).find((p) => p.id === a.running)?.status).toBe('running');
  });

  it("through the agent (the model's own tools), A's shells and cron jobs answer like missing ones", async () => {
    for (const verb of ['log', 'poll', 'kill']) {
      const real = await api.turn({ sessionKey: caller, message: `${verb} ${a.running}` });
      const missing = await api.turn({ sessionKey: caller, message: `${verb} ${MISSING}` });
      expect(real.reply.split(a.running).join('<ID>'), verb).toBe(missing.reply.split(MISSING).join('<ID>'));
    }
    expect((await api.turn({ sessionKey: caller, message: 'ps' })).reply).not.toContain(a.running);
    expect((await api.turn({ sessionKey: caller, message: 'cron list' })).reply).not.toContain(a.cronId);
    expect((await api.processes()).find((p) => p.id === a.running)?.status).toBe('running');
  });

  it("the process tool's stdin actions are refused over HTTP for everyone", async () => {
    for (const action of ['write', 'send-keys', 'paste', 'submit']) {
      const r = await api.tool('process', { action, id: a.running, data: 'x', text: 'x', keys: ['Enter'] }, caller);
      expect(r.status, action).toBe(403);
    }
  });

  it('session routes (read, transcript, reset, delete) answer like a missing session, and the scoped list omits A', async () => {
    const e = encodeURIComponent;
    await expectLikeMissing((x) => gw.api('GET', `/v1/sessions/${e(x)}?${q(caller)}`), A, 'session get');
    await expectLikeMissing((x) => gw.api('GET', `/v1/sessions/${e(x)}/transcript?${q(caller)}`), A, 'session transcript');
    await expectLikeMissing((x) => gw.api('POST', `/v1/sessions/${e(x)}/reset?${q(caller)}`, {}), A, 'session reset');
    await expectLikeMissing((x) => gw.api('DELETE', `/v1/sessions/${e(x)}?${q(caller)}`), A, 'session delete');
    const list = await gw.api<{ sessions: Array<{ key: string }> }>('GET', `/v1/sessions?${q(caller)}`);
    expect(list.body.sessions.map((s) => s.key)).toEqual([caller]);
    // A is intact: same session id, history still there.
    const own = await gw.api<{ entries: Array<{ text: string }> }>('GET', `/v1/sessions/${e(A)}/transcript?${q(A)}`);
    expect(own.status).toBe(200);
    expect(own.body.entries.map((x) => x.text).join('\n')).toContain('alpha-secret-output');
  });

  it("GET /v1/events?sessionKey streams none of A's events", async () => {
    const controller = new AbortController();
    const res = await fetch(`${gw.url}/v1/events?${q(caller)}`, {
      headers: { authorization: `Bearer ${gw.token}` },
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let text = '';
    const reading = (async () => {
      const decoder = new TextDecoder();
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done) return;
        text += decoder.decode(value, { stream: true });
      }
    })();
    try {
      await api.turn({ sessionKey: A, message: 'alpha speaks' });
      const own = await api.turn({ sessionKey: caller, message: 'caller speaks' });
      await until(() => text.includes(own.runId) && text.includes('run.finished'), "the caller's own events", 10_000);
      expect(text).not.toContain(A);
      expect(text).not.toContain('alpha speaks');
    } finally {
      controller.abort();
      await reading;
    }
  });
});

describe.each([
  ['session B of the same agent', B],
  ['session C of another agent', C],
])('transcripts: a caller of %s', (_label, caller) => {
  it("reads A's history like a missing session (sessions_history) and does not list it (sessions_list)", async () => {
    const missingKey = 'agent:main:zz-missing-0000';
    const real = await api.tool('sessions_history', { sessionKey: A }, caller);
    const missing = await api.tool('sessions_history', { sessionKey: missingKey }, caller);
    expect(shape(real, A)).toEqual(shape(missing, missingKey));
    expect(real.text).not.toContain('alpha-secret-output');
    const list = await api.tool('sessions_list', {}, caller);
    expect(list.status).toBe(200);
    expect(JSON.stringify(list.body)).not.toContain(A);
    // The session itself still reads its own history.
    const own = await api.tool('sessions_history', { sessionKey: A }, A);
    expect(JSON.stringify(own.body)).toContain('alpha-secret-output');
  });
});
