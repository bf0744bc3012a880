/**
 * Credential × route × object matrix. The operator mints agent-, session- and prefix-scoped tokens;
 * each token, against every route that names an object (path, query or body), gets its own
 * object, a foreign object and a missing one. Foreign and missing answers are byte-identical (the
 * id substituted); lists show only what the token may see. Then every path that can reach a
 * capability (HTTP route, SSE, plugin route, `/v1/agent "run: …"`, cron agentTurn, inbound,
 * spawn) is tried with a token that lacks it. Real gateway on loopback, real shells, real SQLite.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiResponse, callApi, FAST_WAKE, startedId, storyApi, until } from '../support/harness.js';
import { type InprocGateway, startInprocGateway } from '../support/inproc.js';

const ALL_CAPABILITIES = [
  'sessions:read',
  'sessions:write',
  'transcripts:read',
  'agent:run',
  'agent:spawn',
  'processes:read',
  'processes:exec',
  'processes:kill',
  'events:read',
  'cron:read',
  'cron:write',
  'tools:invoke',
  'plugins:call',
];

/** In every token's scope. */
const OWN = 'agent:ops:tenant-a:dm-1';
/** In the prefix and agent scopes, outside the session scope. */
const SIBLING = 'agent:ops:tenant-a:dm-2';
/** In the agent scope only. */
const SAME_AGENT = 'agent:ops:tenant-b';
/** Outside every token's scope. */
const OTHER_AGENT = 'agent:main:alpha';
const MISSING_ID = 'zz-missing-0000';
const MISSING_KEY = 'agent:main:zz-missing-0000';

const SESSIONS = [OWN, SIBLING, SAME_AGENT, OTHER_AGENT] as const;
type SessionName = (typeof SESSIONS)[number];

interface Objects {
  running: string;
  runId: string;
  cronId: string;
}

let gw: InprocGateway;
let api: ReturnType<typeof storyApi>;
const objects = new Map<SessionName, Objects>();
const tokens: Record<'agent' | 'session' | 'prefix', string> = { agent: '', session: '', prefix: '' };

const FOREIGN: Record<keyof typeof tokens, SessionName[]> = {
  agent: [OTHER_AGENT],
  session: [SIBLING, SAME_AGENT, OTHER_AGENT],
  prefix: [SAME_AGENT, OTHER_AGENT],
};
const VISIBLE: Record<keyof typeof tokens, SessionName[]> = {
  agent: [OWN, SIBLING, SAME_AGENT],
  session: [OWN],
  prefix: [OWN, SIBLING],
};

const e = encodeURIComponent;

async function mint(body: Record<string, unknown>): Promise<{ token: string; id: string }> {
  const created = await gw.api<{ token: string; credential: { id: string } }>('POST', '/v1/tokens', body);
  expect(created.status, created.text).toBe(201);
  return { token: created.body.token, id: created.body.credential.id };
}

const as = (token: string) => ({
  api: <T = Record<string, unknown>>(method: string, path: string, body?: unknown) => callApi<T>(gw.url, token, method, path, body),
});

/** The answer with `id` replaced by a placeholder, for comparing with a missing id's answer. */
function shape(response: ApiResponse, id: string): { status: number; body: string } {
  return { status: response.status, body: response.text.split(id).join('<ID>') };
}

/** `status`: what a missing object gets (404 on routes; a tool answers 200 with its own "no such process" result). */
async function expectLikeMissing(
  call: (id: string) => Promise<ApiResponse>,
  id: string,
  missing: string,
  what: string,
  status = 404,
): Promise<void> {
  const real = shape(await call(id), id);
  const absent = shape(await call(missing), missing);
  expect(real, what).toEqual(absent);
  expect(real.status, `${what}: ${real.body}`).toBe(status);
}

beforeAll(async () => {
  gw = await startInprocGateway({
    wake: FAST_WAKE,
    agents: [
      { id: 'main', owners: ['*'] },
      { id: 'ops', allowAgents: ['ops'], owners: ['*'] },
    ],
    defaultAgent: 'main',
    bindings: [{ agentId: 'ops', match: { channel: 'telegram' } }],
    plugins: [{ module: join(import.meta.dirname, '..', '..', 'apps', 'gateway', 'test', 'fixtures', 'echo-plugin.mjs') }],
    // The fixture plugin lives in the repo, not in the temp state dir (issue 14 item 13 needs the opt-in).
    security: { allowPluginsOutsideStateDir: true },
  });
  api = storyApi(gw);
  for (const key of SESSIONS) {
    const started = await api.turn({ sessionKey: key, message: 'run in background: sleep 120' });
    const job = await gw.api<{ id: string }>('POST', '/v1/cron', { sessionKey: key, every: '1h', text: `cron of ${key}` });
    expect(job.status).toBe(201);
    objects.set(key, { running: startedId(started.reply), runId: started.runId, cronId: job.body.id });
  }
  tokens.agent = (await mint({ name: 'agent-wide', agentId: 'ops', capabilities: ALL_CAPABILITIES })).token;
  tokens.session = (await mint({ name: 'one-session', sessionKey: OWN, capabilities: ALL_CAPABILITIES })).token;
  tokens.prefix = (await mint({ name: 'tenant-a', prefix: 'agent:ops:tenant-a', capabilities: ALL_CAPABILITIES })).token;
});

afterAll(async () => {
  await gw?.close();
});

const objectOf = (key: SessionName): Objects => objects.get(key)!;

describe.each(['agent', 'session', 'prefix'] as const)('a %s-scoped token with every capability', (kind) => {
  const caller = () => as(tokens[kind]);

  it('reads its own objects on every object route', async () => {
    const own = objectOf(OWN);
    const client = caller();
    for (const [method, path] of [
      ['GET', `/v1/sessions/${e(OWN)}`],
      ['GET', `/v1/sessions/${e(OWN)}/transcript`],
      ['GET', `/v1/runs/${own.runId}`],
      ['GET', `/v1/processes/${own.running}/log`],
      ['GET', `/v1/cron/${own.cronId}`],
      ['GET', `/v1/cron/${own.cronId}/runs`],
    ] as const) {
      const response = await client.api(method, path);
      expect(response.status, `${method} ${path}: ${response.text}`).toBe(200);
    }
  });

  it.each([
    ['GET /v1/sessions/:key', (token: string, key: string) => callApi(gw.url, token, 'GET', `/v1/sessions/${e(key)}`)],
    [
      'GET /v1/sessions/:key/transcript',
      (token: string, key: string) => callApi(gw.url, token, 'GET', `/v1/sessions/${e(key)}/transcript`),
    ],
    ['POST /v1/sessions/:key/reset', (token: string, key: string) => callApi(gw.url, token, 'POST', `/v1/sessions/${e(key)}/reset`, {})],
    ['DELETE /v1/sessions/:key', (token: string, key: string) => callApi(gw.url, token, 'DELETE', `/v1/sessions/${e(key)}`)],
    ['POST /v1/agent', (token: string, key: string) => callApi(gw.url, token, 'POST', '/v1/agent', { sessionKey: key, message: 'hello' })],
    [
      'POST /v1/cron',
      (token: string, key: string) => callApi(gw.url, token, 'POST', '/v1/cron', { sessionKey: key, every: '1h', text: 'x' }),
    ],
    [
      'POST /v1/tools/invoke',
      (token: string, key: string) =>
        callApi(gw.url, token, 'POST', '/v1/tools/invoke', { tool: 'process', args: { action: 'list' }, sessionKey: key }),
    ],
    ['GET /v1/events?sessionKey=', (token: string, key: string) => callApi(gw.url, token, 'GET', `/v1/events?sessionKey=${e(key)}`)],
    [
      'GET /v1/sessions/:own?sessionKey=',
      (token: string, key: string) => callApi(gw.url, token, 'GET', `/v1/sessions/${e(OWN)}?sessionKey=${e(key)}`),
    ],
  ])('%s naming a foreign session answers exactly like a missing one', async (_route, call) => {
    for (const foreign of FOREIGN[kind]) {
      await expectLikeMissing((key) => call(tokens[kind], key), foreign, MISSING_KEY, `${kind} → ${foreign}`);
    }
  });

  it('object routes naming a foreign process, run or cron job answer exactly like a missing one', async () => {
    const token = tokens[kind];
    for (const foreign of FOREIGN[kind]) {
      const theirs = objectOf(foreign);
      const checks: Array<[string, string, (id: string) => Promise<ApiResponse>, number?]> = [
        ['log', theirs.running, (id) => callApi(gw.url, token, 'GET', `/v1/processes/${id}/log`)],
        ['kill', theirs.running, (id) => callApi(gw.url, token, 'POST', `/v1/processes/${id}/kill`, {})],
        ['run', theirs.runId, (id) => callApi(gw.url, token, 'GET', `/v1/runs/${id}`)],
        ['run wait', theirs.runId, (id) => callApi(gw.url, token, 'GET', `/v1/runs/${id}?waitMs=10`)],
        ['cron get', theirs.cronId, (id) => callApi(gw.url, token, 'GET', `/v1/cron/${id}`)],
        ['cron runs', theirs.cronId, (id) => callApi(gw.url, token, 'GET', `/v1/cron/${id}/runs`)],
        ['cron run now', theirs.cronId, (id) => callApi(gw.url, token, 'POST', `/v1/cron/${id}/run`, {})],
        ['cron delete', theirs.cronId, (id) => callApi(gw.url, token, 'DELETE', `/v1/cron/${id}`)],
        [
          'process tool kill',
          theirs.running,
          (id) => callApi(gw.url, token, 'POST', '/v1/tools/invoke', { tool: 'process', args: { action: 'kill', id }, sessionKey: OWN }),
          200,
        ],
      ];
      for (const [what, id, call, status] of checks)
        await expectLikeMissing(call, id, MISSING_ID, `${kind}: ${what} of ${foreign}`, status);
    }
    // Nothing of theirs was touched.
    for (const foreign of FOREIGN[kind]) {
      const theirs = objectOf(foreign);
      expect((await api.processes()).find((process) => process.id === theirs.running)?.status).toBe('running');
      expect((await gw.api('GET', `/v1/cron/${theirs.cronId}`)).status).toBe(200);
      expect((await gw.api<{ runs: unknown[] }>('GET', `/v1/cron/${theirs.cronId}/runs`)).body.runs).toEqual([]);
    }
  });

  it('lists show only what it may see, and ?sessionKey= is a filter inside the scope', async () => {
    const client = caller();
    const sessions = await client.api<{ sessions: Array<{ key: string }> }>('GET', '/v1/sessions');
    expect(sessions.status).toBe(200);
    const listed = sessions.body.sessions.map((session) => session.key);
    for (const key of VISIBLE[kind]) expect(listed).toContain(key);
    for (const key of FOREIGN[kind]) expect(listed).not.toContain(key);
    const processes = await client.api<{ processes: Array<{ id: string; sessionKey?: string }> }>('GET', '/v1/processes');
    const processIds = processes.body.processes.map((process) => process.id);
    for (const key of VISIBLE[kind]) expect(processIds).toContain(objectOf(key).running);
    for (const key of FOREIGN[kind]) expect(processIds).not.toContain(objectOf(key).running);
    const cron = await client.api<{ jobs: Array<{ id: string }> }>('GET', '/v1/cron');
    const jobIds = cron.body.jobs.map((job) => job.id);
    for (const key of VISIBLE[kind]) expect(jobIds).toContain(objectOf(key).cronId);
    for (const key of FOREIGN[kind]) expect(jobIds).not.toContain(objectOf(key).cronId);
    // A filter narrows inside the scope…
    const filtered = await client.api<{ sessions: Array<{ key: string }> }>('GET', `/v1/sessions?sessionKey=${e(OWN)}`);
    expect(filtered.body.sessions.map((session) => session.key)).toEqual([OWN]);
    // …and a foreign filter gives exactly what a missing one gives.
    for (const foreign of FOREIGN[kind]) {
      for (const path of ['/v1/sessions', '/v1/processes', '/v1/cron']) {
        const real = await client.api('GET', `${path}?sessionKey=${e(foreign)}`);
        const absent = await client.api('GET', `${path}?sessionKey=${e(MISSING_KEY)}`);
        expect(shape(real, foreign), `${kind} ${path} filter ${foreign}`).toEqual(shape(absent, MISSING_KEY));
      }
    }
  });

  it('the model\u2019s tools in its runs see only its scope (sessions_list, sessions_history, process list)', async () => {
    const client = caller();
    const run = async (message: string) => {
      const accepted = await client.api<{ runId: string }>('POST', '/v1/agent', { sessionKey: OWN, message });
      expect(accepted.status, accepted.text).toBe(202);
      const done = await client.api<{ reply?: string }>('GET', `/v1/runs/${accepted.body.runId}?waitMs=20000`);
      return done.body.reply ?? '';
    };
    const listed = await run('list sessions');
    for (const foreign of FOREIGN[kind]) expect(listed).not.toContain(foreign);
    for (const foreign of FOREIGN[kind]) {
      const real = await run(`history ${foreign}`);
      const absent = await run(`history ${MISSING_KEY}`);
      expect(real.split(foreign).join('<ID>')).toBe(absent.split(MISSING_KEY).join('<ID>'));
    }
  });

  it('operator-only routes answer 403 to it', async () => {
    const client = caller();
    for (const [method, path] of [
      ['GET', '/v1/tokens'],
      ['POST', '/v1/tokens'],
      ['GET', '/v1/audit'],
      ['GET', '/metrics'],
    ] as const) {
      const response = await client.api(
        method,
        path,
        method === 'POST' ? { name: 'x', agentId: 'ops', capabilities: ['sessions:read'] } : undefined,
      );
      expect(response.status, `${method} ${path}`).toBe(403);
    }
  });
});

describe('POST /v1/inbound with a scoped token', () => {
  it('is refused like a missing session when the binding routes outside its scope, and runs nothing', async () => {
    const session = as(tokens.session);
    const before = (await gw.api<{ sessions: unknown[] }>('GET', '/v1/sessions')).body.sessions.length;
    const refused = await session.api('POST', '/v1/inbound', {
      channel: 'telegram',
      peer: { kind: 'direct', id: 'mallory' },
      sender: 'mallory',
      text: 'hi',
    });
    const otherPeer = await session.api('POST', '/v1/inbound', {
      channel: 'telegram',
      peer: { kind: 'direct', id: 'eve' },
      sender: 'eve',
      text: 'hi',
    });
    expect(refused.status, refused.text).toBe(404);
    expect(shape(refused, 'mallory')).toEqual(shape(otherPeer, 'eve'));
    expect((await gw.api<{ sessions: unknown[] }>('GET', '/v1/sessions')).body.sessions.length).toBe(before);
  });

  it('is accepted for the agent token when the binding routes into its agent', async () => {
    const accepted = await as(tokens.agent).api<{ sessionKey: string }>('POST', '/v1/inbound', {
      channel: 'telegram',
      peer: { kind: 'direct', id: 'alice' },
      sender: 'alice',
      text: 'hi',
    });
    expect(accepted.status, accepted.text).toBe(202);
    expect(accepted.body.sessionKey.startsWith('agent:ops:')).toBe(true);
  });
});

describe('capabilities are enforced where the effect happens', () => {
  let readOnly: string;
  let runner: string;
  let spawner: string;
  let cronWriter: string;
  let marker: (name: string) => string;

  beforeAll(async () => {
    readOnly = (
      await mint({
        name: 'dashboard',
        sessionKey: OWN,
        capabilities: ['sessions:read', 'processes:read', 'transcripts:read', 'events:read', 'cron:read'],
      })
    ).token;
    runner = (await mint({ name: 'runner', sessionKey: OWN, capabilities: ['agent:run', 'transcripts:read', 'processes:read'] })).token;
    spawner = (await mint({ name: 'spawner', agentId: 'ops', capabilities: ['agent:run', 'agent:spawn', 'transcripts:read'] })).token;
    cronWriter = (await mint({ name: 'cron-writer', sessionKey: OWN, capabilities: ['cron:write', 'cron:read', 'agent:run'] })).token;
    marker = (name) => join(gw.state.dir, `pwned-${name}`);
  });

  const runAs = async (token: string, message: string, sessionKey = OWN) => {
    const accepted = await callApi<{ runId: string }>(gw.url, token, 'POST', '/v1/agent', { sessionKey, message });
    expect(accepted.status, accepted.text).toBe(202);
    const done = await gw.api<{ reply?: string; status: string }>('GET', `/v1/runs/${accepted.body.runId}?waitMs=20000`);
    return done.body.reply ?? '';
  };

  it('a read-only dashboard cannot kill even its own session\u2019s shell, start turns, or change cron', async () => {
    const own = objectOf(OWN);
    const client = as(readOnly);
    expect((await client.api('POST', `/v1/processes/${own.running}/kill`, {})).status).toBe(403);
    expect((await client.api('POST', '/v1/agent', { sessionKey: OWN, message: 'run: true' })).status).toBe(403);
    expect((await client.api('POST', '/v1/cron', { sessionKey: OWN, every: '1h', text: 'x' })).status).toBe(403);
    expect((await client.api('DELETE', `/v1/cron/${own.cronId}`)).status).toBe(403);
    expect((await client.api('POST', `/v1/sessions/${e(OWN)}/reset`, {})).status).toBe(403);
    expect((await client.api('POST', '/v1/tools/invoke', { tool: 'process', args: { action: 'list' }, sessionKey: OWN })).status).toBe(403);
    expect((await client.api('GET', '/plugins/echo/shells')).status).toBe(403);
    expect((await api.processes()).find((process) => process.id === own.running)?.status).toBe('running');
    // What it may do, it can.
    expect((await client.api('GET', `/v1/processes/${own.running}/log`)).status).toBe(200);
  });

  it('the same 403 answers an own, a foreign and a missing object when the capability is missing', async () => {
    const client = as(readOnly);
    const own = await client.api('POST', `/v1/processes/${objectOf(OWN).running}/kill`, {});
    const foreign = await client.api('POST', `/v1/processes/${objectOf(OTHER_AGENT).running}/kill`, {});
    const missing = await client.api('POST', `/v1/processes/${MISSING_ID}/kill`, {});
    expect(own.text).toBe(foreign.text);
    expect(own.text).toBe(missing.text);
  });

  it('POST /v1/agent "run: …" cannot reach exec, kill, spawn or cron without those capabilities', async () => {
    const file = marker('agent-run');
    // A tool the ceiling removes is not offered to the model at all…
    const ranExec = await runAs(runner, `run: touch ${file}`);
    expect(ranExec).toContain('tool "exec" is not available');
    expect(existsSync(file)).toBe(false);
    const own = objectOf(OWN);
    // …and an action the ceiling lacks is refused when the call executes.
    const killed = await runAs(runner, `kill ${own.running}`);
    expect(killed).toContain('lacks the \\"processes:kill\\" capability');
    expect((await api.processes()).find((process) => process.id === own.running)?.status).toBe('running');
    expect(await runAs(runner, 'spawn ops: run: true')).toContain('tool "sessions_spawn" is not available');
    const cronBefore = (await gw.api<{ jobs: unknown[] }>('GET', '/v1/cron')).body.jobs.length;
    expect(await runAs(runner, 'cron every 1h: sneaky')).toContain('tool "cron" is not available');
    expect((await gw.api<{ jobs: unknown[] }>('GET', '/v1/cron')).body.jobs.length).toBe(cronBefore);
    // What it holds still works inside the run.
    expect(await runAs(runner, 'ps')).toContain(own.running);
  });

  it('a cron agentTurn job created by a token runs under that token\u2019s ceiling', async () => {
    const file = marker('cron');
    const created = await as(cronWriter).api<{ id: string; createdBy?: string }>('POST', '/v1/cron', {
      sessionKey: OWN,
      every: '1h',
      kind: 'agentTurn',
      text: `run: touch ${file}`,
    });
    expect(created.status, created.text).toBe(201);
    const fired = await as(cronWriter).api('POST', `/v1/cron/${created.body.id}/run`, {});
    expect(fired.status, fired.text).toBe(200);
    const reply = await until(async () => {
      const entries = await api.transcript(OWN);
      const asked = entries.findIndex((entry) => entry.role === 'user' && entry.text.includes(`touch ${file}`));
      return asked >= 0 ? entries.slice(asked + 1).find((entry) => entry.role === 'assistant') : undefined;
    }, 'the cron turn to finish');
    expect(reply.text).toContain('tool "exec" is not available');
    expect(existsSync(file)).toBe(false);
  });

  it('inbound turns started by a token run under its ceiling', async () => {
    const file = marker('inbound');
    const accepted = await callApi<{ runId: string }>(gw.url, spawner, 'POST', '/v1/inbound', {
      channel: 'telegram',
      peer: { kind: 'direct', id: 'alice' },
      sender: 'alice',
      text: `run: touch ${file}`,
    });
    expect(accepted.status, accepted.text).toBe(202);
    const done = await gw.api<{ reply?: string }>('GET', `/v1/runs/${accepted.body.runId}?waitMs=20000`);
    expect(done.body.reply).toContain('tool "exec" is not available');
    expect(existsSync(file)).toBe(false);
  });

  it('a sub-agent spawned in a token\u2019s run inherits its ceiling', async () => {
    const file = marker('spawn');
    const reply = await runAs(spawner, `spawn ops: run: touch ${file}`, 'agent:ops:tenant-a:spawner');
    expect(reply).toContain('accepted');
    const childKey = /(agent:ops:subagent:\S+)/.exec(reply)?.[1];
    expect(childKey, reply).toBeDefined();
    const childTranscript = await until(async () => {
      const entries = await api.transcript(childKey!);
      return entries.some((entry) => entry.role === 'assistant') ? entries : undefined;
    }, 'the child run to finish');
    expect(childTranscript.map((entry) => entry.text).join('\n')).toContain('tool "exec" is not available');
    expect(existsSync(file)).toBe(false);
  });
});

describe('plugin routes', () => {
  it('gateway-auth plugin routes need plugins:call; auth: "plugin" routes are listed in the status', async () => {
    expect((await as(tokens.session).api('GET', '/plugins/echo/shells')).status).toBe(200);
    const status = await gw.api<{ plugins?: { publicRoutes?: unknown[] } }>('GET', '/v1/status');
    expect(status.status, status.text).toBe(200);
    expect(Array.isArray(status.body.plugins?.publicRoutes)).toBe(true);
  });
});
