import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FAST, startTestGateway, type TestGateway } from './helpers.js';

let t: TestGateway | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('auth', () => {
  it('serves /healthz without a token and refuses everything else without one', async () => {
    t = await startTestGateway(FAST);
    expect((await t.api('GET', '/healthz', undefined, null)).status).toBe(200);
    const missing = await t.api('GET', '/v1/sessions', undefined, null);
    expect(missing.status).toBe(401);
    expect(missing.body).toEqual({ error: { code: 'unauthorized', message: expect.stringContaining('Missing bearer token') } });
    const wrong = await t.api('GET', '/metrics', undefined, 'nope');
    expect(wrong.status).toBe(401);
    expect((wrong.body as { error: { message: string } }).error.message).toBe('Invalid bearer token.');
    expect((await t.api('GET', '/openapi.json', undefined, null)).status).toBe(401);
    expect((await t.api('GET', '/v1/sessions')).status).toBe(200);
  });

  it('answers 429 to a bad token repeated 10 times, and never locks out the right token', async () => {
    t = await startTestGateway(FAST);
    for (let i = 0; i < 10; i++) expect((await t.api('GET', '/v1/sessions', undefined, 'bad')).status).toBe(401);
    const locked = await t.api('GET', '/v1/sessions', undefined, 'bad');
    expect(locked.status).toBe(429);
    expect((locked.body as { error: { code: string } }).error.code).toBe('rate_limited');
    // Ten bad requests from this same client lock out neither it nor anyone else holding the right token.
    expect((await t.api('GET', '/v1/sessions')).status).toBe(200);
    for (let i = 0; i < 20; i++) expect((await t.api('GET', '/v1/sessions', undefined, `bad-${i}`)).status).toBe(401);
    expect((await t.api('GET', '/v1/sessions')).status).toBe(200);
    expect((await t.api('GET', '/healthz', undefined, null)).status).toBe(200);
  });

  it('generates a 0600 token file on first start and writes/removes gateway.json', async () => {
    const { startGateway } = await import('../src/index.js');
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'pincer-tok-'));
    const prev = process.env.PINCER_GATEWAY_TOKEN;
    delete process.env.PINCER_GATEWAY_TOKEN;
    try {
      const gw = await startGateway({ port: 0, stateDir: dir });
      // Loopback by default.
      expect(new URL(gw.url).hostname).toBe('127.0.0.1');
      const token = readFileSync(join(dir, 'token'), 'utf8').trim();
      expect(token).toMatch(/^[0-9a-f]{64}$/);
      expect(gw.token).toBe(token);
      expect(statSync(join(dir, 'token')).mode & 0o777).toBe(0o600);
      const disc = JSON.parse(readFileSync(join(dir, 'gateway.json'), 'utf8')) as { url: string; port: number; pid: number };
      expect(disc).toMatchObject({ url: gw.url, port: gw.port, pid: process.pid });
      await gw.close();
      expect(existsSync(join(dir, 'gateway.json'))).toBe(false);
      const again = await startGateway({ port: 0, stateDir: dir });
      expect(again.token).toBe(token);
      await again.close();
    } finally {
      if (prev !== undefined) process.env.PINCER_GATEWAY_TOKEN = prev;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('validation', () => {
  it('answers 400 naming the field', async () => {
    t = await startTestGateway(FAST);
    const empty = await t.api('POST', '/v1/agent', {});
    expect(empty.status).toBe(400);
    expect(empty.body).toMatchObject({ error: { code: 'invalid_request', field: 'message' } });
    const wrongType = await t.api('POST', '/v1/agent', { message: 'x', sessionKey: 42 });
    expect(wrongType.body).toMatchObject({ error: { field: 'sessionKey' } });
    const extra = await t.api('POST', '/v1/agent', { message: 'x', bogus: 1 });
    expect(extra.status).toBe(400);
    expect(extra.body).toMatchObject({ error: { field: 'bogus' } });
    const inbound = await t.api('POST', '/v1/inbound', { channel: 'telegram', peer: { kind: 'dm', id: 'x' }, sender: 'a', text: 'hi' });
    expect(inbound.status).toBe(400);
    expect(inbound.body).toMatchObject({ error: { field: 'peer.kind' } });
    const badJson = await fetch(`${t.gw.url}/v1/agent`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.gw.token}`, 'content-type': 'application/json' },
      body: '{nope',
    });
    expect(badJson.status).toBe(400);
    expect(((await badJson.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
    const waitMs = await t.api('GET', '/v1/runs/x?waitMs=abc');
    expect(waitMs.status).toBe(400);
    expect(waitMs.body).toMatchObject({ error: { field: 'waitMs' } });
  });

  it('applies the seed-003 session-key rules with the exact messages', async () => {
    t = await startTestGateway({ ...FAST, agents: [{ id: 'main' }, { id: 'ops' }] });
    const malformed = await t.api('POST', '/v1/agent', { message: 'hi', sessionKey: 'agent:main' });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toEqual({
      error: {
        code: 'invalid_request',
        field: 'sessionKey',
        message: 'Invalid --session-key "agent:main". Agent-prefixed session keys must use agent:<agent-id>:<session-key>.',
      },
    });
    const mismatch = await t.api('POST', '/v1/agent', { message: 'hi', agentId: 'ops', sessionKey: 'agent:main:incident-42' });
    expect(mismatch.status).toBe(400);
    expect((mismatch.body as { error: { message: string } }).error.message).toBe('Agent id "ops" does not match session key agent "main".');
    const order = await t.api('POST', '/v1/agent', { message: 'hi', agentId: 'nobody', sessionKey: 'agent:main' });
    expect((order.body as { error: { message: string } }).error.message).toContain('Invalid --session-key "agent:main"');
    const unknown = await t.api('POST', '/v1/agent', { message: 'hi', agentId: 'nobody', sessionKey: 'x' });
    expect((unknown.body as { error: { message: string } }).error.message).toBe('Unknown agent id "nobody".');
    const blank = await t.api('POST', '/v1/agent', { message: 'hi', sessionKey: '  ' });
    expect((blank.body as { error: { message: string } }).error.message).toBe('--session-key must not be blank');
    const scoped = await t.turn({ message: 'hello', agentId: 'ops', sessionKey: 'Incident-42' });
    expect(scoped).toMatchObject({ sessionKey: 'agent:ops:incident-42', status: 'ok', reply: '[scripted] echo: hello' });
    const exact = await t.turn({ message: 'again', sessionKey: 'agent:ops:incident-42' });
    expect(exact.sessionKey).toBe('agent:ops:incident-42');
    // Issue 14 item 3 (behaviour change): two agents and no defaultAgent — a turn naming no agent
    // (a bare key, or nothing) is refused before dispatch with OpenClaw's message, ids in config order.
    const ambiguous =
      'Multiple agents are configured, but agent turn has no explicit owner. Pass --agent <id> to select one of: main, ops.';
    const bare = await t.api('POST', '/v1/agent', { message: 'x', sessionKey: 'notes' });
    expect(bare).toMatchObject({ status: 400, body: { error: { code: 'invalid_request', field: 'agentId', message: ambiguous } } });
    const def = await t.api('POST', '/v1/agent', { message: 'x' });
    expect(def).toMatchObject({ status: 400, body: { error: { message: ambiguous } } });
    const sessions = await t.api<{ sessions: Array<{ key: string }> }>('GET', '/v1/sessions');
    expect(sessions.body.sessions.map((session) => session.key)).not.toContain('agent:main:notes');
    const transcript = await t.transcript('agent:ops:incident-42');
    expect(transcript.map((e) => e.text)).toEqual(['hello', '[scripted] echo: hello', 'again', '[scripted] echo: again']);
  });

  it('reports config errors with the JSON path', async () => {
    const { parseConfig } = await import('../src/index.js');
    expect(() => parseConfig({ agents: [{ id: 'main', model: 42 }] })).toThrow(/agents\[0\]\.model/);
    expect(() => parseConfig({ bindings: [{ agentId: 'ghost', match: { channel: 'x' } }] })).toThrow(/bindings\[0\]\.agentId/);
    expect(() => parseConfig({ session: { dmScope: 'bogus' } })).toThrow(/session\.dmScope/);
  });
});

describe('POST /v1/tools/invoke', () => {
  it('refuses exec, sessions_spawn, sessions_send, cron and process input actions with 403 saying why', async () => {
    t = await startTestGateway(FAST);
    for (const tool of ['exec', 'sessions_spawn', 'sessions_send', 'cron']) {
      const r = await t.api('POST', '/v1/tools/invoke', { tool, args: {}, sessionKey: 'agent:main:main' });
      expect(r.status, tool).toBe(403);
      expect((r.body as { error: { code: string; message: string } }).error).toMatchObject({
        code: 'forbidden',
        message: expect.stringContaining(`${tool} is refused over HTTP`),
      });
    }
    for (const action of ['write', 'send-keys', 'paste', 'submit']) {
      const r = await t.api('POST', '/v1/tools/invoke', { tool: 'process', args: { action, id: 'x' }, sessionKey: 'agent:main:main' });
      expect(r.status, action).toBe(403);
      expect((r.body as { error: { message: string } }).error.message).toContain('stdin');
    }
    expect((await t.api('POST', '/v1/tools/invoke', { tool: 'nope', sessionKey: 'agent:main:main' })).status).toBe(404);
    const ok = await t.api('POST', '/v1/tools/invoke', { tool: 'process', args: { action: 'list' }, sessionKey: 'agent:main:main' });
    expect(ok).toMatchObject({ status: 200, body: { ok: true, result: { processes: [] } } });
  });
});

describe('sessions routes and idempotency', () => {
  it('lists, reads, resets and deletes sessions; replays an idempotency key', async () => {
    t = await startTestGateway(FAST);
    const g = t;
    const first = await g.api<{ runId: string }>('POST', '/v1/agent', {
      message: 'once',
      sessionKey: 'agent:main:s1',
      idempotencyKey: 'k-1',
    });
    const replay = await g.api<{ runId: string }>('POST', '/v1/agent', {
      message: 'once',
      sessionKey: 'agent:main:s1',
      idempotencyKey: 'k-1',
    });
    expect(first.status).toBe(202);
    expect(replay.status).toBe(200);
    expect(replay.body.runId).toBe(first.body.runId);
    await g.api('GET', `/v1/runs/${first.body.runId}?waitMs=10000`);
    const key = encodeURIComponent('agent:main:s1');
    const list = await g.api<{ sessions: Array<{ key: string }> }>('GET', '/v1/sessions');
    expect(list.body.sessions.map((x) => x.key)).toEqual(['agent:main:s1']);
    const one = await g.api<{ sessionId: string; agentId: string }>('GET', `/v1/sessions/${key}`);
    expect(one.body.agentId).toBe('main');
    expect((await g.transcript('agent:main:s1')).length).toBe(2);
    const reset = await g.api<{ sessionId: string; previousSessionId: string }>('POST', `/v1/sessions/${key}/reset`);
    expect(reset.body.previousSessionId).toBe(one.body.sessionId);
    expect(reset.body.sessionId).not.toBe(one.body.sessionId);
    expect(await g.transcript('agent:main:s1')).toEqual([]);
    expect((await g.api('DELETE', `/v1/sessions/${key}`)).body).toEqual({ deleted: true, sessionKey: 'agent:main:s1' });
    expect((await g.api('GET', `/v1/sessions/${key}`)).status).toBe(404);
    expect((await g.api('DELETE', `/v1/sessions/${key}`)).status).toBe(404);
    const long = `agent:main:${'k'.repeat(4000)}`;
    await g.turn({ message: 'long', sessionKey: long });
    expect((await g.api('GET', `/v1/sessions/${encodeURIComponent(long)}`)).status).toBe(200);
    const badEncoding = await g.api('GET', '/v1/sessions/%E0%A4%A');
    expect(badEncoding.status).toBe(400);
    expect(badEncoding.body).toMatchObject({ error: { code: 'invalid_request' } });
  });
});

describe('interval heartbeats', () => {
  it('runs heartbeats for agents with a heartbeat block and keeps HEARTBEAT_OK acks out of the transcript', async () => {
    t = await startTestGateway({ ...FAST, agents: [{ id: 'main', heartbeat: { every: '1s' } }] });
    const g = t;
    await g.until(async () => {
      const m = await g.api<string>('GET', '/metrics');
      return m.body.includes('pincer_runs_total{kind="heartbeat",status="ok"}');
    }, 'an interval heartbeat');
    expect(await g.transcript('agent:main:main')).toEqual([]);
  });
});

describe('metrics and openapi', () => {
  it('serves Prometheus metrics and an OpenAPI document built from the schemas', async () => {
    t = await startTestGateway(FAST);
    await t.turn({ message: 'hi' });
    const m = await t.api<string>('GET', '/metrics');
    expect(m.body).toContain('pincer_runs_total{kind="user",status="ok"} 1');
    expect(m.body).toContain('pincer_system_event_queue_depth');
    const o = await t.api<{ openapi: string; paths: Record<string, Record<string, { requestBody?: unknown }>> }>('GET', '/openapi.json');
    expect(o.body.openapi).toBe('3.1.0');
    expect(o.body.paths['/v1/agent']?.post?.requestBody).toBeDefined();
    expect(Object.keys(o.body.paths)).toContain('/v1/events');
  });
});

describe('auth limiter defaults (injected clock)', () => {
  it('forgets failures older than a minute, a lockout lasts 5 minutes, and the right token passes throughout', async () => {
    let clock = 1_000_000;
    t = await startTestGateway(FAST, { authLimit: { now: () => clock } });
    const g = t;
    const status = async (token?: string) => (await g.api('GET', '/v1/sessions', undefined, token)).status;
    for (let i = 0; i < 9; i++) expect(await status('bad')).toBe(401);
    clock += 60_001; // a new window: those nine no longer count
    for (let i = 0; i < 9; i++) expect(await status('bad')).toBe(401);
    expect(await status()).toBe(200);
    expect(await status('bad')).toBe(401); // the 10th failure within a minute locks that value
    clock += 299_000;
    const locked = await g.api('GET', '/v1/sessions', undefined, 'bad');
    expect(locked.status).toBe(429);
    expect(locked.body).toMatchObject({ error: { code: 'rate_limited' } });
    expect(await status()).toBe(200);
    clock += 1_001;
    expect(await status('bad')).toBe(401);
  });
});

describe('bounded resources', () => {
  it('answers 503 beyond gateway.maxEventStreams open SSE streams, and frees the slot when one closes', async () => {
    t = await startTestGateway({ ...FAST, gateway: { maxEventStreams: 1 } });
    const g = t;
    const open = () => {
      const ctrl = new AbortController();
      return {
        ctrl,
        res: fetch(`${g.gw.url}/v1/events?sessionKey=agent%3Amain%3Amain`, {
          headers: { authorization: `Bearer ${g.gw.token}` },
          signal: ctrl.signal,
        }),
      };
    };
    const first = open();
    expect((await first.res).status).toBe(200);
    const second = await g.api('GET', '/v1/events?sessionKey=agent%3Amain%3Amain');
    expect(second).toMatchObject({
      status: 503,
      body: { error: { code: 'unavailable', message: expect.stringContaining('maxEventStreams') } },
    });
    first.ctrl.abort();
    const third = await g.until(async () => {
      const o = open();
      const r = await o.res;
      if (r.status === 200) return o;
      await r.text();
      return undefined;
    }, 'a freed stream slot');
    third.ctrl.abort();
  });

  it('answers 503 to HTTP turns beyond gateway.maxQueuedRuns', async () => {
    t = await startTestGateway({ ...FAST, gateway: { maxQueuedRuns: 1, shutdownGraceMs: 0 } });
    const busy = await t.api('POST', '/v1/agent', { message: 'run: sleep 20', sessionKey: 'agent:main:busy' });
    expect(busy.status).toBe(202);
    const over = await t.api('POST', '/v1/agent', { message: 'hi', sessionKey: 'agent:main:other' });
    expect(over).toMatchObject({
      status: 503,
      body: { error: { code: 'unavailable', message: expect.stringContaining('maxQueuedRuns') } },
    });
    const inbound = await t.api('POST', '/v1/inbound', { channel: 'slack', peer: { kind: 'group', id: 'g' }, sender: 'x', text: 'hi' });
    expect(inbound.status).toBe(503);
  });
});

describe('POST /v1/agent with sessionId', () => {
  it('targets the session holding that session id, even among more than 1 000 sessions; an unknown id gets its own session', async () => {
    t = await startTestGateway(FAST);
    const store = t.gw.runtime.store;
    const base = {
      agentId: 'main',
      kind: 'direct',
      label: null,
      spawnedBy: null,
      spawnDepth: 0,
      channel: null,
      peerKind: null,
      peerId: null,
    };
    store.sessions.upsert({ ...base, key: 'agent:main:oldest', sessionId: 'sid-oldest', now: 1 });
    store.transaction(() => {
      for (let i = 0; i < 1_050; i++)
        store.sessions.upsert({ ...base, key: `agent:main:filler-${i}`, sessionId: `sid-${i}`, now: 1_000 + i });
    });
    const old = await t.turn({ message: 'hi', sessionId: 'sid-oldest' });
    expect(old).toMatchObject({ sessionKey: 'agent:main:oldest', status: 'ok' });
    const fresh = await t.turn({ message: 'hi', sessionId: 'Brand-New' });
    expect(fresh.sessionKey).toBe('agent:main:explicit:brand-new');
  });
});
