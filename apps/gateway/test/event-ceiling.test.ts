/**
 * Issue 15's known limit: a token's capability ceiling follows the system events it causes into
 * the heartbeat turns that show them. A token with `cron:write` but no `processes:exec` creates a
 * `systemEvent` cron job whose text a scripted rule executes in the heartbeat turn (`run: …` in an
 * event → `exec`): the command never runs. The same job created by the operator does run (so the
 * test can fail). Real gateway on loopback, real shells, real SQLite.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startScriptedOpsGateway, type TestGateway } from './helpers.js';

const SESSION = 'agent:ops:main';

/** Heartbeats act on `run: <command>` lines in their events; everything else as by default. */
const RULES = {
  rules: [
    {
      name: 'act-on-event',
      match: '^\\[heartbeat\\]',
      event: 'run: ([^\\n]+)',
      toolCalls: [{ tool: 'exec', args: { command: '$e1' } }],
      after: '[scripted] acted on the event: {{result.status}} {{result.output}}{{result.error}}',
    },
    { name: 'idle', match: '^\\[heartbeat\\]', reply: 'HEARTBEAT_OK' },
    { name: 'echo', match: '^([\\s\\S]*)$', reply: '[scripted] echo: $1' },
  ],
};

let t: TestGateway | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const start = (): Promise<TestGateway> => startScriptedOpsGateway(RULES, 'pincer-gw-ceiling-');

interface RunView {
  runId: string;
  kind: string;
  status: string;
  reply?: string;
  error?: string;
}

/** Fires a systemEvent job now and waits for the heartbeat turn it wakes. */
async function fireAndAwaitHeartbeat(gateway: TestGateway, jobId: string, token?: string): Promise<RunView> {
  const before = new Set((await heartbeatRuns(gateway)).map((run) => run.runId));
  const fired = await gateway.api('POST', `/v1/cron/${jobId}/run`, {}, token);
  expect(fired.status, JSON.stringify(fired.body)).toBe(200);
  return gateway.until(async () => {
    const runs = await heartbeatRuns(gateway);
    return runs.find((run) => !before.has(run.runId) && run.status !== 'queued' && run.status !== 'running');
  }, 'the heartbeat turn');
}

/** The heartbeat runs of the session, from its SSE replay (every event since the gateway started). */
async function heartbeatRuns(gateway: TestGateway): Promise<RunView[]> {
  const bus = gateway.gw.runtime.bus;
  const replay = bus.replayAfter(`${bus.bootId}-0`, new Set([SESSION]));
  if (!replay.ok) throw new Error(`replay: ${replay.reason}`);
  const ids = [
    ...new Set(
      replay.events.flatMap(({ event }) =>
        event.type.startsWith('run.') && 'kind' in event && event.kind === 'heartbeat' ? [event.runId] : [],
      ),
    ),
  ];
  const runs: RunView[] = [];
  for (const id of ids) runs.push((await gateway.api<RunView>('GET', `/v1/runs/${id}`)).body);
  return runs;
}

async function transcriptText(gateway: TestGateway): Promise<string> {
  return (await gateway.transcript(SESSION)).map((entry) => entry.text).join('\n');
}

async function mint(gateway: TestGateway, capabilities: string[]): Promise<{ token: string; id: string }> {
  const created = await gateway.api<{ token: string; credential: { id: string } }>('POST', '/v1/tokens', {
    name: 'cron-only',
    agentId: 'ops',
    capabilities,
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return { token: created.body.token, id: created.body.credential.id };
}

describe("a token's ceiling follows its system events into heartbeat turns", () => {
  it('a cron:write token without processes:exec cannot get a command run by a heartbeat; the operator can', async () => {
    t = await start();
    const scoped = await mint(t, ['cron:write', 'cron:read']);
    // `$((6*7))-marker` prints `42-marker` only when a shell evaluates it; the event text never contains that.
    const tokenJob = await t.api<{ id: string }>(
      'POST',
      '/v1/cron',
      { sessionKey: SESSION, every: '1h', text: 'run: echo $((6*7))-marker' },
      scoped.token,
    );
    expect(tokenJob.status, JSON.stringify(tokenJob.body)).toBe(201);
    const refused = await fireAndAwaitHeartbeat(t, tokenJob.body.id, scoped.token);
    const afterToken = await transcriptText(t);
    expect(afterToken).not.toContain('42-marker');
    expect(JSON.stringify(refused)).not.toContain('42-marker');
    expect((await t.api<{ processes: unknown[] }>('GET', '/v1/processes')).body.processes).toEqual([]);

    // Revoked, the token's job (fired by the operator now) carries no capabilities at all.
    expect((await t.api('DELETE', `/v1/tokens/${scoped.id}`)).status).toBe(200);
    await fireAndAwaitHeartbeat(t, tokenJob.body.id);
    expect(await transcriptText(t)).not.toContain('42-marker');
    expect((await t.api<{ processes: unknown[] }>('GET', '/v1/processes')).body.processes).toEqual([]);

    // The same job created by the operator: the heartbeat runs the command.
    const operatorJob = await t.api<{ id: string }>('POST', '/v1/cron', {
      sessionKey: SESSION,
      every: '1h',
      text: 'run: echo $((7*8))-marker',
    });
    expect(operatorJob.status).toBe(201);
    const ran = await fireAndAwaitHeartbeat(t, operatorJob.body.id);
    expect(ran.status).toBe('ok');
    expect(await transcriptText(t)).toContain('56-marker');
  });

  it('a token with processes:exec gets its command run (the ceiling is its own, not none)', async () => {
    t = await start();
    const scoped = await mint(t, ['cron:write', 'cron:read', 'processes:exec']);
    const job = await t.api<{ id: string }>(
      'POST',
      '/v1/cron',
      { sessionKey: SESSION, every: '1h', text: 'run: echo $((8*9))-marker' },
      scoped.token,
    );
    expect(job.status).toBe(201);
    const ran = await fireAndAwaitHeartbeat(t, job.body.id, scoped.token);
    expect(ran.status).toBe('ok');
    expect(await transcriptText(t)).toContain('72-marker');
  });
});
