/**
 * The six stories of the newcomer's path (issue 9), as assertions: a real gateway child process
 * on a temp state dir, the real `pincer` binary, real shells, the real SQLite database.
 * The stories run in order on one gateway; story 6 SIGKILLs it and restarts it on the same state.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ChildGateway,
  type StateDir,
  STORY_CONFIG,
  disposeGateway,
  isAlive,
  makeStateDir,
  markedPids,
  pincer,
  startChildGateway,
  startedId,
  storyApi,
  until,
} from '../support/harness.js';

let state: StateDir;
let gw: ChildGateway;
let api: ReturnType<typeof storyApi>;
const cli = (...args: string[]) => pincer(args, { stateDir: state.dir });

// Carried between stories.
const DM = 'agent:ops:telegram:direct:alice';
const GROUP = 'agent:ops:telegram:group:ops-room';
let groupShell = { id: '', pid: 0 };
let finishedShellId = '';

beforeAll(async () => {
  // Story 6 proves that shells a dead gateway left behind are reaped at restart: agent ops runs its
  // shells unsandboxed (sandboxed ones die with the gateway, tested in reliability/os-isolation).
  const config = {
    ...STORY_CONFIG,
    agents: STORY_CONFIG.agents.map((agent) => (agent.id === 'ops' ? { ...agent, sandbox: { mode: 'off' } } : agent)),
  };
  state = makeStateDir(config, 'pincer-e2e-');
  gw = await startChildGateway(state);
  api = storyApi(gw);
});

afterAll(async () => {
  const strays = await disposeGateway(gw, state);
  expect(strays, 'processes left behind by the stories').toEqual([]);
});

/** One stderr line carrying exactly `message` (an `Error: ` prefix allowed). */
function oneLine(message: string): RegExp {
  return new RegExp(`^(?:Error: )?${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
}

async function pidOf(id: string): Promise<number> {
  const p = await until(async () => (await api.processes()).find((x) => x.id === id && typeof x.pid === 'number'), `pid of ${id}`);
  return p.pid!;
}

describe('the newcomer path, end to end', () => {
  it('story 1 (seed 000): a DM and a group of agent ops each see only their own shells; the DM cleanup spares the group', async () => {
    const dm = await api.inbound({
      channel: 'telegram',
      peer: { kind: 'direct', id: 'alice' },
      sender: 'alice',
      text: 'run in background: while :; do echo dm-tick; sleep 0.2; done',
    });
    const group = await api.inbound({
      channel: 'telegram',
      peer: { kind: 'group', id: 'ops-room' },
      sender: 'bob',
      text: 'run in background: while :; do echo group-tick; sleep 0.2; done',
    });
    expect(dm.sessionKey).toBe(DM);
    expect(group.sessionKey).toBe(GROUP);
    const dmId = startedId(dm.reply);
    const groupId = startedId(group.reply);
    const dmPid = await pidOf(dmId);
    groupShell = { id: groupId, pid: await pidOf(groupId) };

    // Each session's own process tool lists only its shell (asked through the agent, as a chat message).
    const dmPs = await api.inbound({ channel: 'telegram', peer: { kind: 'direct', id: 'alice' }, sender: 'alice', text: 'ps' });
    expect(dmPs.reply).toContain(dmId);
    expect(dmPs.reply).not.toContain(groupId);
    const groupPs = await api.inbound({ channel: 'telegram', peer: { kind: 'group', id: 'ops-room' }, sender: 'bob', text: 'ps' });
    expect(groupPs.reply).toContain(groupId);
    expect(groupPs.reply).not.toContain(dmId);
    // The operator's scoped view agrees (the real CLI).
    const ps = await cli('ps', '--session', DM, '--json');
    expect(ps.code).toBe(0);
    expect((JSON.parse(ps.stdout) as { processes: Array<{ id: string }> }).processes.map((p) => p.id)).toEqual([dmId]);

    // The DM cannot touch the group's shell: it answers like a missing one.
    const cross = await api.inbound({
      channel: 'telegram',
      peer: { kind: 'direct', id: 'alice' },
      sender: 'alice',
      text: `kill ${groupId}`,
    });
    const missing = await api.inbound({
      channel: 'telegram',
      peer: { kind: 'direct', id: 'alice' },
      sender: 'alice',
      text: 'kill no-such-shell',
    });
    expect(cross.reply.replaceAll(groupId, 'ID')).toBe(missing.reply.replaceAll('no-such-shell', 'ID'));
    // The DM's cleanup kills its own shells only.
    const cleanup = await api.inbound({
      channel: 'telegram',
      peer: { kind: 'direct', id: 'alice' },
      sender: 'alice',
      text: `kill ${dmId}`,
    });
    expect(cleanup.reply).toContain('killed');
    await until(() => !isAlive(dmPid), 'the DM shell to die');
    expect(isAlive(groupShell.pid)).toBe(true);
    const after = await api.processes();
    expect(after.find((p) => p.id === dmId)?.status).toBe('killed');
    expect(after.find((p) => p.id === groupId)?.status).toBe('running');
  });

  it('story 2 (seed 001): with dmScope=main and a single owner, a background completion lands in agent:main:main', async () => {
    const r = await cli(
      'agent',
      '--agent',
      'main',
      '--session-key',
      'telegram:direct:owner-1',
      '-m',
      'run in background: echo seed-001-done',
      '--json',
    );
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { ok: boolean; sessionKey: string; reply: string };
    expect(out.sessionKey).toBe('agent:main:telegram:direct:owner-1');
    finishedShellId = startedId(out.reply);
    const notice = await until(
      async () => (await api.transcript('agent:main:main')).find((e) => e.text.includes(`Exec completed (${finishedShellId}, code 0)`)),
      'the exit notice in agent:main:main',
    );
    expect(notice.text).toContain('seed-001-done');
    const launching = await api.transcript('agent:main:telegram:direct:owner-1');
    expect(launching.some((e) => e.text.includes('Exec completed'))).toBe(false);
  });

  it('story 3 (seed 002): a sub-agent spawned twice with sessionKey "research" continues one history; another agent\'s key is refused', async () => {
    const first = await cli('agent', '--agent', 'main', '--session-key', 'lab', '-m', 'spawn research as research: remember the number 7');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('accepted agent:research:subagent:research');
    const child = 'agent:research:subagent:research';
    await until(
      async () => (await api.transcript(child)).some((e) => e.text.includes('remember the number 7') && e.role === 'assistant'),
      'first child turn',
    );
    const sessionId = (await api.session(child)).body.sessionId;
    const second = await cli('agent', '--agent', 'main', '--session-key', 'lab', '-m', 'spawn research as research: which number was it?');
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain(`accepted ${child}`);
    await until(
      async () => (await api.transcript(child)).some((e) => e.text.includes('which number was it?') && e.role === 'assistant'),
      'second child turn',
    );
    const history = await api.transcript(child);
    const users = history.filter((e) => e.role === 'user').map((e) => e.text);
    expect(users).toEqual(['remember the number 7', 'which number was it?']);
    expect((await api.session(child)).body.sessionId).toBe(sessionId);
    // Each run is announced exactly once (to the requester's session, which dmScope=main with a
    // single owner routes to agent:main:main, as seed 001 does for every system event).
    const runIds = [...first.stdout.matchAll(/accepted \S+ (\S+)/g), ...second.stdout.matchAll(/accepted \S+ (\S+)/g)].map((m) => m[1]!);
    expect(runIds).toHaveLength(2);
    for (const runId of runIds) {
      const hits = await until(async () => {
        const t = [...(await api.transcript('agent:main:lab')), ...(await api.transcript('agent:main:main'))];
        const n = t.filter((e) => e.role === 'user' && e.text.includes(`run ${runId})`)).length;
        return n > 0 ? n : undefined;
      }, `announcement of ${runId}`);
      expect(hits).toBe(1);
    }

    const refused = await cli(
      'agent',
      '--agent',
      'main',
      '--session-key',
      'lab',
      '-m',
      'spawn research as agent:ops:subagent:research: read their notes',
      '--json',
    );
    expect(refused.code).toBe(0);
    expect((JSON.parse(refused.stdout) as { reply: string }).reply).toMatch(/forbidden[\s\S]*belongs to another agent/);
    expect((await api.session('agent:ops:subagent:research')).status).toBe(404);
  });

  it('story 4 (seed 003): pincer agent --session-key takes exact keys and refuses malformed ones before dispatch', async () => {
    const help = await cli('agent', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--session-key');

    const exact = await cli('agent', '--session-key', 'agent:ops:incident-42', '-m', 'status?', '--json');
    expect(exact.code, exact.stderr).toBe(0);
    expect(JSON.parse(exact.stdout)).toMatchObject({ ok: true, sessionKey: 'agent:ops:incident-42', reply: '[scripted] echo: status?' });
    const scoped = await cli('agent', '--agent', 'ops', '--session-key', 'incident-43', '-m', 'hi', '--json');
    expect(JSON.parse(scoped.stdout)).toMatchObject({ ok: true, sessionKey: 'agent:ops:incident-43' });
    const bare = await cli('agent', '--session-key', 'notes', '-m', 'hi', '--json');
    expect(JSON.parse(bare.stdout)).toMatchObject({ ok: true, sessionKey: 'agent:main:notes' });

    const agentRequests = async () => {
      const m = await gw.api('GET', '/metrics');
      return [...m.text.matchAll(/^pincer_http_requests_total\{[^}]*route="\/v1\/agent"[^}]*\} (\d+)/gm)].reduce(
        (n, x) => n + Number(x[1]),
        0,
      );
    };
    const before = await agentRequests();
    const sessionsBefore = (await gw.api<{ count: number }>('GET', '/v1/sessions')).body.count;
    const malformed = await cli('agent', '--session-key', 'agent:main', '-m', 'x');
    expect(malformed.code).toBe(2);
    expect(malformed.stderr.trim()).toMatch(
      oneLine('Invalid --session-key "agent:main". Agent-prefixed session keys must use agent:<agent-id>:<session-key>.'),
    );
    const mismatch = await cli('agent', '--agent', 'ops', '--session-key', 'agent:main:x', '-m', 'x');
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr.trim()).toMatch(oneLine('Agent id "ops" does not match session key agent "main".'));
    const blank = await cli('agent', '--session-key', '   ', '-m', 'x');
    expect(blank.code).toBe(2);
    expect(blank.stderr.trim()).toMatch(oneLine('--session-key must not be blank'));
    // Nothing reached the gateway.
    expect(await agentRequests()).toBe(before);
    expect((await gw.api<{ count: number }>('GET', '/v1/sessions')).body.count).toBe(sessionsBefore);
  });

  it('story 5 (seed 004): the operator lists every shell and kills runaways with pincer kill and the SDK-backed endpoint', async () => {
    const a = await api.turn({
      sessionKey: 'agent:ops:incident-42',
      message: 'run in background: while :; do echo runaway-a; sleep 0.05; done',
    });
    const b = await api.turn({
      sessionKey: 'agent:main:notes',
      message: 'run in background: while :; do echo runaway-b; sleep 0.05; done',
    });
    const aId = startedId(a.reply);
    const bId = startedId(b.reply);
    const aPid = await pidOf(aId);
    const bPid = await pidOf(bId);

    const ps = await cli('ps', '--json');
    expect(ps.code, ps.stderr).toBe(0);
    const listed = (JSON.parse(ps.stdout) as { processes: Array<{ id: string; sessionKey?: string; status: string }> }).processes;
    for (const [id, key] of [
      [aId, 'agent:ops:incident-42'],
      [bId, 'agent:main:notes'],
      [groupShell.id, GROUP],
    ] as const) {
      expect(listed.find((p) => p.id === id)).toMatchObject({ sessionKey: key, status: 'running' });
    }
    const logs = await until(
      async () => {
        const r = await cli('logs', aId);
        return r.code === 0 && r.stdout.includes('runaway-a') ? r : undefined;
      },
      'pincer logs to show output',
      15_000,
    );
    expect(logs.stdout).toContain('runaway-a');

    const killed = await cli('kill', aId);
    expect(killed.code, killed.stderr).toBe(0);
    expect(killed.stdout).toContain(`Killed ${aId}`);
    expect(isAlive(aPid)).toBe(false);
    const viaEndpoint = await gw.api<{ status: string }>('POST', `/v1/processes/${bId}/kill`, {});
    expect(viaEndpoint.status).toBe(200);
    expect(viaEndpoint.body.status).toBe('killed');
    expect(isAlive(bPid)).toBe(false);
    // Read and lifecycle only: stdin is never reachable over HTTP.
    const write = await api.tool('process', { action: 'write', id: groupShell.id, data: 'x' }, GROUP);
    expect(write.status).toBe(403);
    expect(isAlive(groupShell.pid)).toBe(true);
  });

  it('story 6: SIGKILL and restart keep queued events, finished output and sessions; no orphan survives', async () => {
    // A silent long-running shell: the orphan-to-be (chatty shells die of SIGPIPE with the gateway).
    const long = await api.turn({ sessionKey: 'agent:ops:longjob', message: 'run in background: sleep 300' });
    const longPid = await pidOf(startedId(long.reply));
    // An exit notice queued while its session is busy with a long foreground command (an ops
    // session: ops has per-channel-peer DMs, so the notice stays in the launching session).
    const queuedShell = startedId(
      (await api.turn({ sessionKey: 'agent:ops:busy', message: 'run in background: sleep 0.3; echo queued-event-xyz' })).reply,
    );
    const blockerRun = await gw.api<{ runId: string }>('POST', '/v1/agent', { sessionKey: 'agent:ops:busy', message: 'run: sleep 30' });
    await until(async () => ((await api.session('agent:ops:busy')).body.queuedEvents ?? 0) >= 1, 'a queued event');
    const sessionsBefore = (await gw.api<{ sessions: Array<{ key: string }> }>('GET', '/v1/sessions')).body.sessions
      .map((s) => s.key)
      .sort();
    const oldMark = gw.mark;
    const orphansAtCrash = markedPids(oldMark, [gw.pid]);
    expect(orphansAtCrash).toContain(longPid);

    await gw.kill9();
    expect(isAlive(longPid)).toBe(true); // the dead gateway left it behind
    gw = await startChildGateway(state, { mark: oldMark });
    api = storyApi(gw);

    // No orphan survives the restart.
    await until(() => markedPids(oldMark, [gw.pid]).every((pid) => !orphansAtCrash.includes(pid)), 'orphans reaped', 20_000);
    for (const pid of orphansAtCrash) expect(isAlive(pid)).toBe(false);
    const journaled = await api.processes();
    expect(journaled.find((p) => p.pid === longPid)?.status).toBe('killed');
    expect(journaled.find((p) => p.id === groupShell.id)?.status).not.toBe('running');
    // Sessions are all still there.
    const sessionsAfter = (await gw.api<{ sessions: Array<{ key: string }> }>('GET', '/v1/sessions')).body.sessions.map((s) => s.key);
    for (const key of sessionsBefore) expect(sessionsAfter).toContain(key);
    // A finished shell's output is still readable (through the CLI, from the journal).
    const log = await cli('logs', finishedShellId);
    expect(log.code, log.stderr).toBe(0);
    expect(log.stdout).toContain('seed-001-done');
    // The queued event was not lost: it reaches its session's transcript.
    await until(
      async () =>
        (await api.transcript('agent:ops:busy')).some(
          (e) => e.role === 'user' && e.text.includes(`Exec completed (${queuedShell}, code 0) :: queued-event-xyz`),
        ),
      'the queued event delivered',
    );
    // The interrupted run is reported, not silently replayed.
    const blocker = await gw.api<{ status: string; error?: string }>('GET', `/v1/runs/${blockerRun.body.runId}`);
    expect(blocker.body.status).toBe('error');
    expect(blocker.body.error).toContain('interrupted');

    expect(await gw.stop()).toBe(0);
    expect(markedPids(oldMark)).toEqual([]);
  });
});
