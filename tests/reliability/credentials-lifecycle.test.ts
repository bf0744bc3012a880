/**
 * Credential lifecycle on a real gateway: revoked and expired tokens are refused at once without a
 * restart and their open SSE streams close; the auth limiter never locks out a valid credential
 * and is not bypassed by rotating loopback source addresses; state-changing actions land in the
 * audit log; `/metrics` counts per credential id; a weak `PINCER_GATEWAY_TOKEN` is refused.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '@pincer/gateway';
import {
  callApi,
  cleanEnv,
  FAST_WAKE,
  GATEWAY_MAIN,
  makeStateDir,
  requireBuiltApps,
  type StateDir,
  sleep,
  startedId,
  storyApi,
  until,
} from '../support/harness.js';

const OWN = 'agent:ops:dm-1';
const OTHER = 'agent:ops:dm-2';

let state: StateDir;
let gateway: RunningGateway;
let operatorToken: string;
let clockOffsetMs = 0;
const api = <T = Record<string, unknown>>(token: string | null, method: string, path: string, body?: unknown) =>
  callApi<T>(gateway.url, token, method, path, body);

beforeAll(async () => {
  state = makeStateDir({ wake: FAST_WAKE, agents: [{ id: 'main' }, { id: 'ops' }] }, 'pincer-cred-life-');
  operatorToken = randomBytes(32).toString('hex');
  gateway = await startGateway({
    port: 0,
    host: '127.0.0.1',
    stateDir: state.dir,
    configPath: state.configPath,
    token: operatorToken,
    logLevel: 'silent',
    authLimit: { maxAttempts: 3, maxFailuresGlobal: 20 },
    credentials: { now: () => Date.now() + clockOffsetMs },
  });
});

afterAll(async () => {
  await gateway?.close();
  state?.remove();
});

async function mint(body: Record<string, unknown>): Promise<{ token: string; id: string }> {
  const created = await api(operatorToken, 'POST', '/v1/tokens', body);
  expect(created.status, created.text).toBe(201);
  const parsed = created.body as { token: string; credential: { id: string } };
  return { token: parsed.token, id: parsed.credential.id };
}

/** Open an SSE stream; resolves once the subscription comment arrived. */
async function openStream(token: string, sessionKey: string) {
  const controller = new AbortController();
  const response = await fetch(`${gateway.url}/v1/events?sessionKey=${encodeURIComponent(sessionKey)}`, {
    headers: { authorization: `Bearer ${token}` },
    signal: controller.signal,
  });
  expect(response.status).toBe(200);
  const reader = response.body!.getReader();
  let text = '';
  let isClosed = false;
  const reading = (async () => {
    const decoder = new TextDecoder();
    for (;;) {
      const chunk = await reader.read().catch(() => ({ value: undefined, done: true as const }));
      if (chunk.done) break;
      text += decoder.decode(chunk.value, { stream: true });
    }
    isClosed = true;
  })();
  await until(() => text.includes(': subscribed'), 'the subscription line');
  return {
    text: () => text,
    isClosed: () => isClosed,
    async close() {
      controller.abort();
      await reading;
    },
  };
}

const streamsOf = async (credentialId: string): Promise<number> => {
  const status = await api(operatorToken, 'GET', '/v1/status');
  const body = status.body as { events: { streamsByCredential: Record<string, number> } };
  return body.events.streamsByCredential[credentialId] ?? 0;
};

describe('revocation', () => {
  it('refuses a revoked token on the next request and closes its open stream at once', async () => {
    const { token, id } = await mint({ name: 'dashboard', sessionKey: OWN, capabilities: ['sessions:read', 'events:read'] });
    expect((await api(token, 'GET', '/v1/sessions')).status).toBe(200);
    const stream = await openStream(token, OWN);
    expect(await streamsOf(id)).toBe(1);
    const revoked = await api(operatorToken, 'DELETE', `/v1/tokens/${id}`);
    expect(revoked.status, revoked.text).toBe(200);
    // Closed by the revocation itself, before its answer was sent: no polling involved.
    expect(await streamsOf(id)).toBe(0);
    const refused = await api(token, 'GET', '/v1/sessions');
    expect(refused.status).toBe(401);
    expect(refused.text).toBe(
      (await api('pincer.tk_0000000000000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'GET', '/v1/sessions')).text,
    );
    await until(() => stream.isClosed(), 'the client to see the stream end');
    await stream.close();
  });
});

describe('expiry', () => {
  it('refuses a token from its expiry instant and ends its stream, without a restart', async () => {
    const { token, id } = await mint({
      name: 'short',
      sessionKey: OWN,
      capabilities: ['sessions:read', 'events:read'],
      expiresInSeconds: 60,
    });
    const stream = await openStream(token, OWN);
    expect((await api(token, 'GET', '/v1/sessions')).status).toBe(200);
    clockOffsetMs += 61_000;
    try {
      expect((await api(token, 'GET', '/v1/sessions')).status).toBe(401);
      await until(() => stream.isClosed(), 'the expired stream to end');
      expect(await streamsOf(id)).toBe(0);
      const listed = await api(operatorToken, 'GET', '/v1/tokens');
      const view = (listed.body as { tokens: Array<{ id: string; status: string }> }).tokens.find((row) => row.id === id);
      expect(view?.status).toBe('expired');
    } finally {
      clockOffsetMs -= 61_000;
      await stream.close();
    }
  });
});

describe('the audit log', () => {
  it('records state-changing actions with time, credential, source, target and result', async () => {
    const since = Date.now();
    const stories = storyApi({ api: <T>(method: string, path: string, body?: unknown) => api<T>(operatorToken, method, path, body) });
    const started = await stories.turn({ sessionKey: OTHER, message: 'run in background: sleep 60' });
    const processId = startedId(started.reply);
    const { token, id } = await mint({
      name: 'auditor-test',
      sessionKey: OWN,
      capabilities: ['processes:kill', 'sessions:write', 'cron:write', 'agent:run'],
    });
    await stories.turn({ sessionKey: OWN, message: 'hello' });
    // A foreign kill by the token: refused like a missing process, and recorded.
    expect((await api(token, 'POST', `/v1/processes/${processId}/kill`, {})).status).toBe(404);
    expect((await api(operatorToken, 'POST', `/v1/processes/${processId}/kill`, {})).status).toBe(200);
    const job = await api(token, 'POST', '/v1/cron', { sessionKey: OWN, every: '1h', text: 'x' });
    const jobId = (job.body as { id: string }).id;
    expect((await api(token, 'POST', `/v1/cron/${jobId}/run`, {})).status).toBe(200);
    expect((await api(token, 'DELETE', `/v1/cron/${jobId}`)).status).toBe(200);
    expect((await api(token, 'POST', `/v1/sessions/${encodeURIComponent(OWN)}/reset`, {})).status).toBe(200);
    expect((await api(operatorToken, 'DELETE', `/v1/tokens/${id}`)).status).toBe(200);
    const audit = await api(operatorToken, 'GET', `/v1/audit?since=${since}`);
    expect(audit.status, audit.text).toBe(200);
    const rows = (audit.body as { entries: Array<Record<string, unknown>> }).entries;
    const summary = rows.map(
      (row) =>
        `${row.credentialId === 'operator' ? 'operator' : row.credentialId === id ? 'token' : row.credentialId} ${row.action} ${row.result}`,
    );
    expect(summary).toEqual([
      'operator token.create ok',
      'token process.kill not_found',
      'operator process.kill ok',
      'token cron.add ok',
      'token cron.run ok',
      'token cron.delete ok',
      'token session.reset ok',
      'operator token.revoke ok',
    ]);
    for (const row of rows) {
      expect(row.sourceAddress).toBe('127.0.0.1');
      expect(typeof row.at).toBe('number');
    }
    expect(rows[2]?.target).toBe(`process:${processId}`);
    expect(rows[6]?.target).toBe(`session:${OWN}`);
    expect(rows[0]?.target).toBe(`token:${id}`);
    expect((await api(token, 'GET', '/v1/audit')).status).toBe(401);
  });
});

describe('/metrics', () => {
  it('counts requests, refusals and auth failures per credential id', async () => {
    const { token, id } = await mint({ name: 'metered', sessionKey: OWN, capabilities: ['sessions:read'] });
    await api(token, 'GET', '/v1/sessions');
    await api(token, 'GET', `/v1/sessions/${encodeURIComponent(OTHER)}`);
    await api(token, 'POST', '/v1/agent', { sessionKey: OWN, message: 'x' });
    await api(operatorToken, 'DELETE', `/v1/tokens/${id}`);
    await api(token, 'GET', '/v1/sessions');
    const metrics = (await api(operatorToken, 'GET', '/metrics')).text;
    expect(metrics).toMatch(new RegExp(`pincer_credential_requests_total\\{credential="${id}"\\} [3-9]`));
    expect(metrics).toMatch(new RegExp(`pincer_credential_refusals_total\\{credential="${id}",reason="capability"\\} 1`));
    expect(metrics).toMatch(new RegExp(`pincer_credential_refusals_total\\{credential="${id}",reason="scope"\\} 1`));
    expect(metrics).toMatch(new RegExp(`pincer_credential_auth_failures_total\\{credential="${id}",reason="revoked"\\} 1`));
    expect(metrics).toMatch(/pincer_credential_requests_total\{credential="operator"\}/);
  });
});

describe('PINCER_GATEWAY_TOKEN', () => {
  const run = (token: string): Promise<{ code: number | null; output: string }> => {
    requireBuiltApps();
    const dir = makeStateDir({}, 'pincer-weak-token-');
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [GATEWAY_MAIN, '--port', '0', '--host', '127.0.0.1', '--state-dir', dir.dir], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: cleanEnv({ PINCER_GATEWAY_TOKEN: token }),
      });
      let output = '';
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('listening on')) child.kill('SIGTERM');
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.once('close', (code) => {
        clearTimeout(timer);
        dir.remove();
        resolve({ code, output });
      });
    });
  };

  it('is refused below 128 bits, naming the variable and never the token', async () => {
    const weak = await run('hunter2hunter2');
    expect(weak.code).toBe(1);
    expect(weak.output).toMatch(/PINCER_GATEWAY_TOKEN is too weak/);
    expect(weak.output).not.toContain('hunter2');
  });

  it('is accepted at 128 bits and more', async () => {
    const strong = await run(randomBytes(16).toString('hex'));
    expect(strong.output).toContain('listening on');
    await sleep(0);
  });
});

/** One request from a chosen loopback source address. */
function requestFrom(localAddress: string, token: string): Promise<number> {
  const url = new URL(`${gateway.url}/v1/sessions`);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'GET',
        localAddress,
        headers: { authorization: `Bearer ${token}` },
      },
      (incoming) => {
        incoming.resume();
        incoming.on('end', () => resolve(incoming.statusCode ?? 0));
      },
    );
    outgoing.on('error', reject);
    outgoing.end();
  });
}

describe('the auth limiter', () => {
  it('never locks out a valid credential, even from the address that failed', async () => {
    const { token } = await mint({ name: 'bystander', agentId: 'ops', capabilities: ['sessions:read'] });
    for (let attempt = 0; attempt < 10; attempt += 1) await requestFrom('127.0.0.1', 'wrong-token');
    expect(await requestFrom('127.0.0.1', 'wrong-token')).toBe(429);
    expect(await requestFrom('127.0.0.1', operatorToken)).toBe(200);
    expect(await requestFrom('127.0.0.1', token)).toBe(200);
  });

  it('is not bypassed by rotating loopback source addresses and guesses', async () => {
    const statuses: number[] = [];
    for (let index = 0; index < 30; index += 1)
      statuses.push(await requestFrom(`127.0.0.${10 + index}`, `guess-${index}-${randomBytes(4).toString('hex')}`));
    expect(statuses.slice(-5)).toEqual([429, 429, 429, 429, 429]);
    expect(await requestFrom('127.0.0.77', `fresh-${randomBytes(4).toString('hex')}`)).toBe(429);
    expect(await requestFrom('127.0.0.77', operatorToken)).toBe(200);
  });
});
