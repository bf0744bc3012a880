/**
 * Trust boundaries across sessions and senders (issue 14): alias keys, the event-source invariant,
 * fail-closed inbound, Host/Origin, the tools deny list and what delete/reset end. Real gateway on
 * loopback, real shells, real SQLite.
 */
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { FAST_WAKE, startedId, storyApi, until } from '../support/harness.js';
import { type InprocGateway, startInprocGateway } from '../support/inproc.js';

let gw: InprocGateway | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

async function start(config: Record<string, unknown>): Promise<{ gw: InprocGateway; api: ReturnType<typeof storyApi> }> {
  gw = await startInprocGateway({ wake: FAST_WAKE, ...config });
  return { gw, api: storyApi(gw) };
}

describe('one canonical session key (item 1)', () => {
  it('alias spellings are the victim session itself, never a second session routed into it', async () => {
    const { gw: g, api } = await start({ agents: [{ id: 'main' }] });
    const victim = await api.turn({ sessionKey: 'agent:main:victim', message: 'hello victim' });
    const upper = await api.turn({ sessionKey: 'agent:main:VICTIM', message: 'hello upper' });
    const bang = await api.turn({ sessionKey: 'agent:Main!:victim', message: 'hello bang' });
    expect([victim.sessionKey, upper.sessionKey, bang.sessionKey]).toEqual(['agent:main:victim', 'agent:main:victim', 'agent:main:victim']);
    const sessions = await g.api<{ sessions: Array<{ key: string }> }>('GET', '/v1/sessions');
    expect(sessions.body.sessions.map((session) => session.key)).toEqual(['agent:main:victim']);
    const texts = (await api.transcript('agent:main:victim')).map((entry) => entry.text);
    expect(texts).toContain('hello upper');
    expect(texts).toContain('hello bang');
  });

  it('invariant: every event source lands in the canonical key of the session that caused it', async () => {
    // No owner allowlist: the seed-001 reroute (to agent:<id>:main) does not apply, so the only
    // documented destination of each event is the causing session's canonical key.
    const { gw: g, api } = await start({ defaultAgent: 'main', agents: [{ id: 'main', allowAgents: ['ops'] }, { id: 'ops' }] });
    const cause = 'agent:main:Cause-Session';
    const canonical = 'agent:main:cause-session';
    const exec = await api.turn({ sessionKey: cause, message: 'run in background: echo exit-notice-marker' });
    expect(exec.sessionKey).toBe(canonical);
    const cron = await g.api<{ id: string; ownerSessionKey: string }>('POST', '/v1/cron', {
      sessionKey: cause,
      every: '1h',
      text: 'cron-marker',
    });
    expect(cron.status).toBe(201);
    expect(cron.body.ownerSessionKey).toBe(canonical);
    expect((await g.api('POST', `/v1/cron/${cron.body.id}/run?sessionKey=${encodeURIComponent(cause)}`)).status).toBe(200);
    const spawn = await api.turn({ sessionKey: cause, message: 'spawn ops as helper: subagent-marker' });
    expect(spawn.reply).toContain('accepted');
    const landed = await until(
      async () => {
        const text = (await api.transcript(canonical)).map((entry) => entry.text).join('\n');
        return text.includes('exit-notice-marker') && text.includes('cron-marker') && /Sub-agent completed/.test(text) ? text : undefined;
      },
      'exec, cron and sub-agent events in the canonical session',
      30_000,
    );
    expect(landed).toContain('exit-notice-marker');
    const keys = (await g.api<{ sessions: Array<{ key: string }> }>('GET', '/v1/sessions')).body.sessions.map((session) => session.key);
    // No alias spelling exists as a session, and nothing was rerouted into another top-level session.
    expect(keys.filter((key) => !key.includes(':subagent:'))).toEqual([canonical]);
  });
});

describe('fail-closed inbound (items 7 and 8)', () => {
  it('with no owner allowlist, DMs are refused with 403 saying what to configure', async () => {
    const { api } = await start({ agents: [{ id: 'main' }] });
    const refused = await api.inbound({ channel: 'telegram', peer: { kind: 'direct', id: '123' }, sender: '123', text: 'hi' });
    expect(refused.status).toBe(403);
    expect(JSON.stringify(refused.body)).toContain('\\"owners\\": [\\"telegram:123\\"]');
  });

  it('owners ["*"] opts in; a DM whose peer.id differs from sender is 400', async () => {
    const { api } = await start({ owners: ['*'], session: { dmScope: 'per-channel-peer' }, agents: [{ id: 'main' }] });
    const ok = await api.inbound({ channel: 'telegram', peer: { kind: 'direct', id: '123' }, sender: '123', text: 'hi' });
    expect(ok).toMatchObject({ status: 202, reply: '[scripted] echo: hi' });
    const forged = await api.inbound({ channel: 'telegram', peer: { kind: 'direct', id: 'victim' }, sender: 'mallory', text: 'hi' });
    expect(forged.status).toBe(400);
  });

  it('non-owners in a group cannot make the agent run shells; the owner can; qualified entries match their channel', async () => {
    const { api } = await start({ owners: ['telegram:alice'], agents: [{ id: 'main' }] });
    const group = { channel: 'telegram', peer: { kind: 'group', id: 'g1' } };
    const stranger = await api.inbound({ ...group, sender: 'mallory', text: 'run: echo pwned-by-mallory' });
    expect(stranger.status).toBe(202);
    expect(stranger.reply).not.toContain('pwned-by-mallory');
    expect((await api.processes()).some((process) => (process.command ?? '').includes('pwned-by-mallory'))).toBe(false);
    const owner = await api.inbound({ ...group, sender: 'alice', text: 'run: echo hello-from-alice' });
    expect(owner.reply).toContain('hello-from-alice');
    const elsewhere = await api.inbound({ channel: 'discord', peer: { kind: 'direct', id: 'alice' }, sender: 'alice', text: 'hi' });
    expect(elsewhere.status).toBe(403);
  });
});

/** A raw request with chosen Host/Origin headers (fetch cannot set Host). */
function rawRequest(url: string, headers: Record<string, string>, method = 'GET', path = '/v1/sessions', body?: string): Promise<number> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: target.hostname, port: target.port, method, path, headers }, (incoming) => {
      incoming.resume();
      incoming.on('end', () => resolve(incoming.statusCode ?? 0));
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

describe('Host and Origin (item 18)', () => {
  it('refuses a rebinding Host and cross-origin browser requests even with the token', async () => {
    const { gw: g, api } = await start({ agents: [{ id: 'main' }] });
    const auth = { authorization: `Bearer ${g.token}` };
    expect(await rawRequest(g.url, { ...auth, host: new URL(g.url).host })).toBe(200);
    expect(await rawRequest(g.url, { ...auth, host: 'attacker.example' })).toBe(403);
    const body = JSON.stringify({ message: 'run: echo csrf', sessionKey: 'agent:main:csrf' });
    const headers = { ...auth, host: new URL(g.url).host, origin: 'https://attacker.example', 'content-type': 'application/json' };
    expect(await rawRequest(g.url, headers, 'POST', '/v1/agent', body)).toBe(403);
    expect((await api.session('agent:main:csrf')).status).toBe(404);
  });
});

describe('tools deny list (item 21)', () => {
  it('constructor, toString and __proto__ answer like any unknown tool', async () => {
    const { api } = await start({ agents: [{ id: 'main' }] });
    const unknown = await api.tool('no_such_tool', {}, 'agent:main:main');
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      const answer = await api.tool(name, {}, 'agent:main:main');
      expect(answer.status, name).toBe(unknown.status);
      expect(JSON.stringify(answer.body).split(name).join('<T>')).toBe(JSON.stringify(unknown.body).split('no_such_tool').join('<T>'));
    }
  });
});

describe('delete and reset end what belongs to the session (item 4)', () => {
  it('deleting a session kills its running shells and removes its cron jobs; another session keeps its own', async () => {
    const { gw: g, api } = await start({ agents: [{ id: 'main' }] });
    const doomed = 'agent:main:doomed';
    const other = 'agent:main:survivor';
    const doomedShell = startedId((await api.turn({ sessionKey: doomed, message: 'run in background: sleep 120' })).reply);
    const otherShell = startedId((await api.turn({ sessionKey: other, message: 'run in background: sleep 120' })).reply);
    const job = await g.api<{ id: string }>('POST', '/v1/cron', { sessionKey: doomed, every: '1h', text: 'doomed-cron' });
    expect(job.status).toBe(201);
    expect((await g.api('DELETE', `/v1/sessions/${encodeURIComponent(doomed)}`)).status).toBe(200);
    const processes = await api.processes();
    expect(processes.find((process) => process.id === doomedShell)?.status).not.toBe('running');
    expect(processes.find((process) => process.id === otherShell)?.status).toBe('running');
    expect((await g.api('GET', `/v1/cron/${job.body.id}`)).status).toBe(404);
    await g.api('POST', `/v1/processes/${otherShell}/kill`);
  });

  it('reset kills the shells and drops the queued events', async () => {
    const { gw: g, api } = await start({ agents: [{ id: 'main' }] });
    const key = 'agent:main:resettable';
    const shell = startedId((await api.turn({ sessionKey: key, message: 'run in background: sleep 120' })).reply);
    expect((await g.api('POST', `/v1/sessions/${encodeURIComponent(key)}/reset`)).status).toBe(200);
    expect((await api.processes()).find((process) => process.id === shell)?.status).not.toBe('running');
    expect((await api.session(key)).body.queuedEvents).toBe(0);
  });
});
