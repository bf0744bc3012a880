import { afterEach, describe, expect, it } from 'vitest';
import { FAST, startTestGateway, type TestGateway } from './helpers.js';

const opened: TestGateway[] = [];
afterEach(async () => {
  for (const g of opened.splice(0)) await g.close();
});
async function gateway(config: Record<string, unknown>): Promise<TestGateway> {
  const g = await startTestGateway({ ...FAST, ...config });
  opened.push(g);
  return g;
}
type Run = { runId: string; sessionKey: string; agentId?: string };
async function inbound(g: TestGateway, body: Record<string, unknown>) {
  const r = await g.api<Run>('POST', '/v1/inbound', body);
  if (r.status !== 202) return { status: r.status, body: r.body as unknown };
  const done = await g.api<{ reply: string; status: string }>('GET', `/v1/runs/${r.body.runId}?waitMs=20000`);
  return { status: r.status, sessionKey: r.body.sessionKey, reply: done.body.reply ?? '', runStatus: done.body.status };
}
const idFrom = (reply: string) => /as (\S+) \(running\)/.exec(reply)?.[1] ?? '';
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('seed 000: processes are scoped to the session key', () => {
  it("a group session of the same agent can neither see nor kill the DM session's process", async () => {
    // Issue 14 item 8: a non-owner in a group has no process tool unless granted; granted here so the scope rule is what is tested.
    const g = await gateway({ owners: ['alice'], security: { guestTools: ['process'] } });
    const dm = await inbound(g, {
      channel: 'telegram',
      peer: { kind: 'direct', id: 'alice' },
      sender: 'alice',
      text: 'run in background: sleep 30',
    });
    expect(dm.sessionKey).toBe('agent:main:main');
    const id = idFrom(dm.reply ?? '');
    expect(id).not.toBe('');
    const group = { channel: 'telegram', peer: { kind: 'group', id: 'g1' }, sender: 'bob' };
    const ps = await inbound(g, { ...group, text: 'ps' });
    expect(ps.sessionKey).toBe('agent:main:telegram:group:g1');
    expect(ps.reply).toBe('[scripted] Processes: {"processes":[]}');
    const kill = await inbound(g, { ...group, text: `kill ${id}` });
    expect(kill.reply).toContain(`No process \\"${id}\\" in this session.`);
    const missing = await inbound(g, { ...group, text: 'kill no-such-thing' });
    expect(missing.reply?.replaceAll('no-such-thing', id)).toBe(kill.reply);
    const log = await inbound(g, { ...group, text: `log ${id}` });
    expect(log.reply).toContain('in this session');
    const procs = await g.api<{ processes: Array<{ id: string; status: string; pid: number; sessionKey: string }> }>(
      'GET',
      '/v1/processes',
    );
    const p = procs.body.processes.find((x) => x.id === id)!;
    expect(p).toMatchObject({ status: 'running', sessionKey: 'agent:main:main' });
    expect(pidAlive(p.pid)).toBe(true);
    const own = await inbound(g, { channel: 'telegram', peer: { kind: 'direct', id: 'alice' }, sender: 'alice', text: `kill ${id}` });
    expect(own.reply).toContain('"status":"killed"');
    expect(pidAlive(p.pid)).toBe(false);
  });
});

describe('seed 001: dmScope=main routes exec wakes to the main session', () => {
  const launch = 'agent:main:telegram:default:direct:alice';
  async function runScenario(config: Record<string, unknown>) {
    const g = await gateway(config);
    const r = await g.turn({ message: 'run in background: echo finished-001', sessionKey: launch });
    expect(r.reply).toContain('in the background as');
    return g;
  }
  it('single owner + dmScope main: the notice and the heartbeat turn land in agent:main:main', async () => {
    const g = await runScenario({ owners: ['alice'], session: { dmScope: 'main' } });
    const main = await g.until(async () => {
      const t = await g.transcript('agent:main:main');
      return t.some((e) => e.role === 'assistant' && e.text.includes('noted system events')) ? t : undefined;
    }, 'heartbeat in main');
    expect(main.find((e) => e.role === 'user')?.text).toMatch(
      /^System: \[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\] Exec completed \([a-z0-9-]+, code 0\) :: finished-001\n\n\[heartbeat\]/,
    );
    const orig = await g.transcript(launch);
    expect(orig.some((e) => e.text.includes('Exec completed'))).toBe(false);
  });
  it('two owners: the notice stays in the launching session', async () => {
    const g = await runScenario({ owners: ['alice', 'bob'], session: { dmScope: 'main' } });
    await g.until(async () => (await g.transcript(launch)).some((e) => e.text.includes('Exec completed')), 'notice in launching session');
    expect(await g.transcript('agent:main:main')).toEqual([]);
  });
  it('dmScope per-channel-peer: the notice stays in the launching session', async () => {
    const g = await runScenario({ owners: ['alice'], session: { dmScope: 'per-channel-peer' } });
    await g.until(async () => (await g.transcript(launch)).some((e) => e.text.includes('Exec completed')), 'notice in launching session');
    expect(await g.transcript('agent:main:main')).toEqual([]);
  });
});

describe('seed 002: sessions_spawn with agentId + sessionKey', () => {
  it('runs the child in agent:<target>:subagent:<key>, announces exactly once, and reuses the history', async () => {
    // Issue 14 item 3: two agents need a defaultAgent for turns that name none.
    const g = await gateway({ defaultAgent: 'main', agents: [{ id: 'main', allowAgents: ['ops'] }, { id: 'ops' }] });
    const r = await g.turn({ message: 'spawn ops as worker-1: collect the logs' });
    expect(r.reply).toMatch(/^\[scripted\] Spawn: accepted agent:ops:subagent:worker-1 \S+/);
    const runId = r.reply!.split(' ')[4]!;
    const child = await g.until(async () => {
      const t = await g.transcript('agent:ops:subagent:worker-1');
      return t.length >= 2 ? t : undefined;
    }, 'child transcript');
    expect(child.map((e) => e.text)).toEqual(['collect the logs', '[scripted] echo: collect the logs']);
    const announced = await g.until(async () => {
      const t = await g.transcript('agent:main:main');
      return t.some((e) => e.role === 'assistant' && e.text.includes(runId)) ? t : undefined;
    }, 'announcement');
    const notice = `Sub-agent completed (agent:ops:subagent:worker-1, run ${runId}) :: [scripted] echo: collect the logs`;
    expect(announced.filter((e) => e.role === 'user' && e.text.includes(notice))).toHaveLength(1);
    const session = await g.api<{ spawnedBy: string; spawnDepth: number }>(
      'GET',
      `/v1/sessions/${encodeURIComponent('agent:ops:subagent:worker-1')}`,
    );
    expect(session.body).toMatchObject({ spawnedBy: 'agent:main:main', spawnDepth: 1 });
    // Same key again: the child continues its history.
    const again = await g.turn({ message: 'spawn ops as worker-1: second task' });
    expect(again.reply).toContain('accepted agent:ops:subagent:worker-1');
    await g.until(async () => (await g.transcript('agent:ops:subagent:worker-1')).length >= 4, 'history reuse');
    // The requester sees its child through sessions_list / sessions_history (own tree).
    const tree = await g.api<{ result: { sessions: Array<{ key: string }> } }>('POST', '/v1/tools/invoke', {
      tool: 'sessions_list',
      sessionKey: 'agent:main:main',
    });
    expect(tree.body.result.sessions.map((s) => s.key).sort()).toEqual(['agent:main:main', 'agent:ops:subagent:worker-1']);
    const uuid = await g.turn({ message: 'spawn ops: fresh one' });
    expect(uuid.reply).toMatch(/accepted agent:ops:subagent:[0-9a-f-]{36} /);
  });

  it('refuses a fully-qualified key of another agent and agents outside allowAgents', async () => {
    const g = await gateway({ defaultAgent: 'main', agents: [{ id: 'main', allowAgents: ['ops'] }, { id: 'ops' }, { id: 'research' }] });
    const cross = await g.turn({ message: 'spawn ops as agent:main:subagent:x: sneaky' });
    expect(cross.reply).toContain('forbidden');
    const mixed = await g.turn({ message: 'spawn ops as AGENT:Ops:subagent:Named: fine' });
    expect(mixed.reply).toContain('accepted agent:ops:subagent:named');
    const notAllowed = await g.turn({ message: 'spawn research: nope' });
    expect(notAllowed.reply).toContain('forbidden');
    expect((await g.api('GET', `/v1/sessions/${encodeURIComponent('agent:main:subagent:x')}`)).status).toBe(404);
  });
});

describe('seed 004: operator shells over HTTP (list, log, kill; never stdin)', () => {
  it('lists a running shell, reads its log and kills its tree', async () => {
    const g = await gateway({});
    const r = await g.turn({ message: 'run in background: echo ready; sleep 30', sessionKey: 'agent:main:ops' });
    const id = idFrom(r.reply!);
    const listed = await g.until(async () => {
      const l = await g.api<{ processes: Array<{ id: string; status: string; pid: number; tail: string; scopeKey: string }> }>(
        'GET',
        '/v1/processes',
      );
      const p = l.body.processes.find((x) => x.id === id);
      return p && p.tail.includes('ready') ? p : undefined;
    }, 'ready');
    expect(listed).toMatchObject({ status: 'running', scopeKey: 'agent:main:ops' });
    const log = await g.api<{ output: string }>('GET', `/v1/processes/${id}/log`);
    expect(log.body.output).toContain('ready');
    const killed = await g.api('POST', `/v1/processes/${id}/kill`);
    expect(killed).toMatchObject({ status: 200, body: { id, status: 'killed' } });
    expect(pidAlive(listed.pid)).toBe(false);
    expect((await g.api('POST', '/v1/processes/nope/kill')).status).toBe(404);
    const stdin = await g.api('POST', '/v1/tools/invoke', {
      tool: 'process',
      args: { action: 'write', id, data: 'x' },
      sessionKey: 'agent:main:ops',
    });
    expect(stdin.status).toBe(403);
  });
});

describe('POST /v1/inbound', () => {
  it('routes by bindings, separates DM and group sessions, and refuses DMs from non-owners', async () => {
    const g = await gateway({
      // Issue 14 item 7: DMs need an allowlist; `main` opts in to anyone.
      agents: [
        { id: 'main', owners: ['*'] },
        { id: 'ops', owners: ['U1'], session: { dmScope: 'per-channel-peer' } },
      ],
      bindings: [{ agentId: 'ops', match: { channel: 'slack' } }],
    });
    const refused = await g.api('POST', '/v1/inbound', { channel: 'slack', peer: { kind: 'direct', id: 'u2' }, sender: 'u2', text: 'hi' });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error: { code: 'forbidden', field: 'sender' } });
    const dm = await inbound(g, { channel: 'slack', peer: { kind: 'direct', id: 'u1' }, sender: 'u1', text: 'hi' });
    expect(dm).toMatchObject({ sessionKey: 'agent:ops:slack:direct:u1', reply: '[scripted] echo: hi' });
    const group = await inbound(g, { channel: 'slack', peer: { kind: 'group', id: 'G7' }, sender: 'u2', text: 'hey' });
    expect(group.sessionKey).toBe('agent:ops:slack:group:g7');
    const other = await inbound(g, { channel: 'discord', peer: { kind: 'direct', id: 'z' }, sender: 'z', text: 'yo' });
    expect(other.sessionKey).toBe('agent:main:main');
    const thread = await inbound(g, {
      channel: 'slack',
      peer: { kind: 'group', id: 'G7' },
      sender: 'u2',
      text: 'in thread',
      threadId: 'T1',
    });
    expect(thread.sessionKey).toBe('agent:ops:slack:group:g7:thread:t1');
  });
});

describe('cron', () => {
  it('a cron event fires into its session and wakes it; the scripted model adds jobs through the tool', async () => {
    const g = await gateway({});
    const add = await g.api<{ id: string }>('POST', '/v1/cron', { sessionKey: 'agent:main:main', in: '1s', text: 'stand-up time' });
    expect(add.status).toBe(201);
    await g.until(
      async () =>
        (await g.transcript('agent:main:main')).some(
          (e) => e.role === 'user' && e.text.includes('Cron (') && e.text.includes('): stand-up time'),
        ),
      'cron event',
    );
    const runs = await g.api<{ runs: Array<{ status: string }> }>('GET', `/v1/cron/${add.body.id}/runs`);
    expect(runs.body.runs).toHaveLength(1);
    const manual = await g.api<{ run: { status: string; trigger: string } }>('POST', `/v1/cron/${add.body.id}/run`, {});
    expect(manual.body.run).toMatchObject({ status: 'ok', trigger: 'manual' });
    const viaTool = await g.turn({ message: 'remind me every 1h: drink water', sessionKey: 'agent:main:chat' });
    expect(viaTool.reply).toMatch(/^\[scripted\] Cron: added \S+/);
    const list = await g.api<{ jobs: Array<{ ownerSessionKey: string; payload: { text: string } }> }>(
      'GET',
      `/v1/cron?sessionKey=${encodeURIComponent('agent:main:chat')}`,
    );
    expect(list.body.jobs).toMatchObject([{ ownerSessionKey: 'agent:main:chat', payload: { text: 'drink water' } }]);
    const expr = await g.api<{ schedule: { kind: string }; state: { nextRunAtMs: number } }>('POST', '/v1/cron', {
      sessionKey: 'agent:main:main',
      cron: '0 9 * * 1',
      tz: 'Europe/Paris',
      text: 'weekly',
    });
    expect(expr.status).toBe(201);
    expect(expr.body.schedule.kind).toBe('cron');
    expect(expr.body.state.nextRunAtMs).toBeGreaterThan(Date.now());
    const bad = await g.api('POST', '/v1/cron', { sessionKey: 'agent:main:main', every: 'soon', text: 'x' });
    expect(bad).toMatchObject({ status: 400, body: { error: { field: 'every' } } });
  });
});

describe('seed 001 for cron-event wakes', () => {
  it('dmScope=main + single owner: a cron event created in a per-channel DM session lands in agent:main:main', async () => {
    const g = await gateway({ owners: ['alice'], session: { dmScope: 'main' } });
    const launch = 'agent:main:telegram:default:direct:alice';
    const add = await g.api('POST', '/v1/cron', { sessionKey: launch, in: '1s', text: 'cron-seed-001' });
    expect(add.status).toBe(201);
    await g.until(
      async () => (await g.transcript('agent:main:main')).some((e) => e.role === 'user' && e.text.includes('cron-seed-001')),
      'cron event in main',
    );
    expect((await g.transcript(launch)).some((e) => e.text.includes('cron-seed-001'))).toBe(false);
  });
});

describe('cron agentTurn jobs', () => {
  it('a job of kind agentTurn runs a turn in its session; target isolated runs it in a session of its own', async () => {
    const g = await gateway({});
    const inSession = await g.api<{ id: string }>('POST', '/v1/cron', {
      sessionKey: 'agent:main:ops',
      in: '1s',
      kind: 'agentTurn',
      text: 'cron-turn-here',
    });
    expect(inSession.status).toBe(201);
    const isolated = await g.api<{ id: string }>('POST', '/v1/cron', {
      sessionKey: 'agent:main:ops',
      in: '1s',
      kind: 'agentTurn',
      target: 'isolated',
      text: 'cron-turn-apart',
    });
    expect(isolated.status).toBe(201);
    const t = await g.until(async () => {
      const tr = await g.transcript('agent:main:ops');
      return tr.some((e) => e.role === 'assistant' && e.text === '[scripted] echo: cron-turn-here') ? tr : undefined;
    }, 'the agentTurn in its session');
    expect(t.some((e) => e.text.includes('cron-turn-apart'))).toBe(false);
    const apart = await g.until(async () => {
      const runs = await g.api<{ runs: Array<{ status: string }> }>('GET', `/v1/cron/${isolated.body.id}/runs`);
      return runs.body.runs.length > 0 ? runs.body.runs : undefined;
    }, 'the isolated run');
    expect(apart[0]).toMatchObject({ status: 'ok' });
    const sessions = await g.api<{ sessions: Array<{ key: string }> }>('GET', '/v1/sessions');
    const own = sessions.body.sessions.map((s) => s.key).filter((k) => k !== 'agent:main:ops');
    const hits = [];
    for (const k of own) if ((await g.transcript(k)).some((e) => e.text === '[scripted] echo: cron-turn-apart')) hits.push(k);
    expect(hits).toHaveLength(1);
    expect(hits[0]).toMatch(/^agent:main:/);
    // The creating session still owns the isolated job.
    expect((await g.api('GET', `/v1/cron/${isolated.body.id}?sessionKey=${encodeURIComponent('agent:main:ops')}`)).status).toBe(200);
  });
});
