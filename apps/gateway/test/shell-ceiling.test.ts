/**
 * A background shell's exit notice carries the ceiling of the credential that started it into the
 * turn that shows it. A token with `agent:run` and `processes:exec` but no `cron:write` starts a
 * shell whose output asks the heartbeat (a scripted rule acting on `cron-add: <text>` in an event)
 * to create a cron job: no job is created. The same shell started by the operator does get its job
 * (so the test can fail). Real gateway on loopback, real shells, real SQLite.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startScriptedOpsGateway, type TestGateway } from './helpers.js';

const SESSION = 'agent:ops:main';

const RULES = {
  rules: [
    {
      name: 'cron-from-event',
      match: '^\\[heartbeat\\]',
      event: 'cron-add: (\\S+)',
      toolCalls: [{ tool: 'cron', args: { action: 'add', text: '$e1', every: '1h' } }],
      after: '[scripted] cron from the event: {{result.id}}{{result.error}}',
    },
    { name: 'idle', match: '^\\[heartbeat\\]', reply: 'HEARTBEAT_OK' },
    {
      name: 'background',
      match: '^run in background: ([\\s\\S]+)$',
      toolCalls: [{ tool: 'exec', args: { command: '$1', background: true } }],
      after: '[scripted] started {{result.id}} ({{result.status}})',
    },
    { name: 'echo', match: '^([\\s\\S]*)$', reply: '[scripted] echo: $1' },
  ],
};

let t: TestGateway | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const start = (): Promise<TestGateway> => startScriptedOpsGateway(RULES, 'pincer-gw-shell-ceiling-');

/** Starts `command` in the background through a turn, waits for its heartbeat to finish, returns the session's cron job texts. */
async function runShellAndHeartbeat(gateway: TestGateway, marker: string, token?: string): Promise<string[]> {
  const command = `echo cron-add: ${marker}`;
  const accepted = await gateway.api<{ runId: string }>(
    'POST',
    '/v1/agent',
    { sessionKey: SESSION, message: `run in background: ${command}` },
    token,
  );
  expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
  const turn = await gateway.api<{ status: string; reply?: string }>(
    'GET',
    `/v1/runs/${accepted.body.runId}?waitMs=20000`,
    undefined,
    token,
  );
  expect(turn.body.reply ?? '').toMatch(/started \S+ \(running\)/);
  // The exit notice wakes a heartbeat: it either makes the job or is refused the tool.
  await gateway.until(async () => {
    const text = (await gateway.transcript(SESSION)).map((entry) => entry.text).join('\n');
    // This shell's own exit notice, then the heartbeat's answer to it.
    const answered = new RegExp(
      `Exec completed \\([^)]*\\) :: cron-add: ${marker}[\\s\\S]*?(cron from the event|tool "cron" is not available)`,
    );
    return answered.test(text) ? true : undefined;
  }, 'the heartbeat that shows the exit notice');
  const jobs = await gateway.api<{ jobs: Array<{ payload: { text?: string } }> }>(
    'GET',
    `/v1/cron?sessionKey=${encodeURIComponent(SESSION)}`,
  );
  return jobs.body.jobs.map((job) => job.payload.text ?? '');
}

describe("a background shell's exit notice carries its starter's ceiling", () => {
  it('a token without cron:write cannot get a cron job made by the heartbeat its shell wakes; the operator can', async () => {
    t = await start();
    const created = await t.api<{ token: string }>('POST', '/v1/tokens', {
      name: 'exec-only',
      sessionKey: SESSION,
      capabilities: ['agent:run', 'processes:exec', 'processes:read'],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(await runShellAndHeartbeat(t, 'token-marker', created.body.token)).toEqual([]);
    const transcript = (await t.transcript(SESSION)).map((entry) => entry.text).join('\n');
    expect(transcript).toContain('tool "cron" is not available');
    expect(await runShellAndHeartbeat(t, 'operator-marker')).toEqual(['operator-marker']);
  });
});
