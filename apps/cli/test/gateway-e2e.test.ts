import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assertBuilt,
  json,
  runPincer,
  startStubGateway,
  tempDir,
  writeTwoAgentConfig,
  type RunResult,
  type TempDir,
  startTestGateway,
  type TestGateway,
} from './helpers.js';

// The built binary against a real gateway (ephemeral loopback port, temp state dir, real SQLite).
describe('pincer against a real gateway', () => {
  let state: TempDir;
  let gateway: TestGateway;
  let env: Record<string, string>;

  beforeAll(async () => {
    assertBuilt();
    state = tempDir();
    const configPath = writeTwoAgentConfig(state.path);
    gateway = await startTestGateway({ stateDir: state.path, configPath });
    // Discovery through the state dir only: gateway.json (url) and the token file.
    env = { HOME: state.path, PINCER_STATE_DIR: state.path };
  });
  afterAll(async () => {
    await gateway?.close();
    state?.dispose();
  });

  const allRuns = () => gateway.runtime.store.listRunsByStatus(['queued', 'running', 'ok', 'error', 'timeout']).length;
  const allSessions = () => gateway.runtime.store.listSessions().length;

  it('dispatches a turn to an exact key and prints the reply', async () => {
    const result = await runPincer(['agent', '-m', 'hello', '--session-key', 'agent:ops:incident-42'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('[scripted] echo: hello\n');
    expect(result.stderr).toBe('');
    expect(gateway.runtime.store.getSession('agent:ops:incident-42')).toBeDefined();
  });

  it('prints { ok, runId, sessionKey, reply } with --json, scoping a bare key to --agent', async () => {
    const result = await runPincer(['agent', '-m', 'status?', '--agent', 'ops', '--session-key', 'Incident-7', '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    const body = json(result);
    expect(Object.keys(body).sort()).toEqual(['ok', 'reply', 'runId', 'sessionKey']);
    expect(body).toMatchObject({ ok: true, sessionKey: 'agent:ops:incident-7', reply: '[scripted] echo: status?' });
    expect(typeof body.runId).toBe('string');
  });

  it('scopes a bare key to the default agent without --agent', async () => {
    const result = await runPincer(['agent', '-m', 'hi', '--session-key', 'incident-9', '--json'], env);
    expect(json(result)).toMatchObject({ ok: true, sessionKey: 'agent:main:incident-9' });
  });

  it('rejects malformed and mismatched keys with no request reaching the gateway', async () => {
    const runsBefore = allRuns();
    const sessionsBefore = allSessions();
    const [malformed, mismatch] = (await Promise.all([
      runPincer(['agent', '-m', 'hi', '--session-key', 'agent:main'], env),
      runPincer(['agent', '-m', 'hi', '--agent', 'ops', '--session-key', 'agent:main:incident-42', '--json'], env),
    ])) as [RunResult, RunResult];
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toBe(
      'Error: Invalid --session-key "agent:main". Agent-prefixed session keys must use agent:<agent-id>:<session-key>.\n',
    );
    expect(mismatch.code).toBe(2);
    expect(json(mismatch)).toEqual({
      ok: false,
      error: { type: 'validation', code: 'AGENT_MISMATCH', message: 'Agent id "ops" does not match session key agent "main".' },
    });
    expect(allRuns()).toBe(runsBefore);
    expect(allSessions()).toBe(sessionsBefore);
  });

  it('exits 1 with one line when the token is wrong (gateway 401)', async () => {
    const result = await runPincer(['sessions', 'list', '--json'], { ...env, PINCER_GATEWAY_TOKEN: 'wrong' });
    expect(result.code).toBe(1);
    expect(json(result).error).toMatchObject({ type: 'unauthorized' });
    expect(result.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('lists, shows, prints history of and resets sessions', async () => {
    await runPincer(['agent', '-m', 'remember this', '--session-key', 'agent:main:notes'], env);
    const [list, table, show, history] = await Promise.all([
      runPincer(['sessions', 'list', '--json'], env),
      runPincer(['sessions', 'list', '--agent', 'ops'], env),
      runPincer(['sessions', 'show', 'notes', '--json'], env),
      runPincer(['sessions', 'history', 'agent:main:notes'], env),
    ]);
    expect(list?.code).toBe(0);
    expect((json(list!).sessions as Array<{ key: string }>).map((s) => s.key)).toContain('agent:main:notes');
    expect(table?.stdout).toMatch(/^SESSION KEY\s+AGENT/);
    expect(table?.stdout).toContain('agent:ops:incident-42');
    expect(table?.stdout).not.toContain('agent:main:notes');
    expect(json(show!)).toMatchObject({ ok: true, session: { key: 'agent:main:notes', agentId: 'main' } });
    expect(history?.code).toBe(0);
    expect(history?.stdout).toMatch(/user: remember this\n.*assistant: \[scripted\] echo: remember this\n$/);

    const reset = await runPincer(['sessions', 'reset', 'agent:main:notes', '--json'], env);
    expect(json(reset)).toMatchObject({ ok: true, sessionKey: 'agent:main:notes' });
    const after = await runPincer(['sessions', 'history', 'agent:main:notes', '--json'], env);
    expect(json(after)).toMatchObject({ ok: true, transcript: [] });
  });

  it('finds the session a global / unknown turn ran in by the same literal key', async () => {
    const turn = await runPincer(['agent', '-m', 'to everyone', '--session-key', 'global', '--json'], env);
    expect(turn.code, turn.stderr).toBe(0);
    const ranIn = String(json(turn).sessionKey);
    const [show, history, opsShow] = (await Promise.all([
      runPincer(['sessions', 'show', 'global', '--json'], env),
      runPincer(['sessions', 'history', 'GLOBAL'], env),
      runPincer(['sessions', 'show', 'global', '--agent', 'ops', '--json'], env),
    ])) as [RunResult, RunResult, RunResult];
    expect(show.code, show.stderr).toBe(0);
    expect(json(show)).toMatchObject({ ok: true, session: { key: ranIn } });
    expect(history.stdout).toMatch(/user: to everyone\n/);
    // The ops agent's global session is another session: not found until a turn runs there.
    expect(opsShow.code).toBe(1);
    expect(json(opsShow).error).toMatchObject({ type: 'not_found' });
  });

  it('answers a session of another agent exactly like a missing one (not_found, exit 1)', async () => {
    const [missing, crossed] = (await Promise.all([
      runPincer(['sessions', 'show', 'agent:ops:no-such-session', '--json'], env),
      runPincer(['sessions', 'show', 'notes', '--agent', 'ops', '--json'], env),
    ])) as [RunResult, RunResult];
    expect(missing.code).toBe(1);
    expect(crossed.code).toBe(1);
    expect(json(missing).error).toMatchObject({ type: 'not_found' });
    expect(json(crossed).error).toMatchObject({ type: 'not_found' });
  });

  it('lists, logs and kills a real background process started through the gateway', async () => {
    const started = await runPincer(
      ['agent', '-m', 'run in background: echo first-line; echo second-line; sleep 60', '--session-key', 'agent:ops:shells', '--json'],
      env,
    );
    expect(started.code).toBe(0);
    const id = /as (\S+) \(/.exec(String(json(started).reply))?.[1];
    expect(id).toBeDefined();

    const [ps, table, own, other] = (await Promise.all([
      runPincer(['ps', '--json'], env),
      runPincer(['ps'], env),
      runPincer(['ps', '--session', 'shells', '--agent', 'ops', '--json'], env),
      runPincer(['ps', '--session', 'agent:main:main', '--json'], env),
    ])) as [RunResult, RunResult, RunResult, RunResult];
    const row = (json(ps).processes as Array<Record<string, unknown>>).find((p) => p.id === id);
    expect(row).toMatchObject({ status: 'running', sessionKey: 'agent:ops:shells' });
    expect(table.stdout).toMatch(new RegExp(`^ID\\s+STATUS[\\s\\S]*\\n${id}\\s+running`));
    // Session filter: the process shows under its own session only.
    expect((json(own).processes as Array<{ id: string }>).map((p) => p.id)).toContain(id);
    expect((json(other).processes as Array<{ id: string }>).map((p) => p.id)).not.toContain(id);

    // The output arrives asynchronously: wait for it in the gateway itself (bounded), then read it through the CLI.
    for (let attempt = 0; attempt < 100; attempt += 1) {
      if ((await gateway.runtime.subsystems.operatorLog(String(id), {}))?.output.includes('second-line')) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // Another session's view of the process answers exactly like a missing process, and kills nothing.
    const [crossLog, crossKill, missingLog] = (await Promise.all([
      runPincer(['logs', String(id), '--session', 'agent:main:main', '--json'], env),
      runPincer(['kill', String(id), '--session', 'main', '--json'], env),
      runPincer(['logs', 'no-such-process', '--session', 'agent:main:main', '--json'], env),
    ])) as [RunResult, RunResult, RunResult];
    const missingError = json(missingLog).error as { type: string; message: string };
    expect(missingError.type).toBe('not_found');
    expect(json(crossLog).error).toEqual({ ...missingError, message: missingError.message.replace('no-such-process', String(id)) });
    expect(json(crossKill).error).toEqual({ ...missingError, message: missingError.message.replace('no-such-process', String(id)) });
    expect(crossLog.code).toBe(1);
    expect(await gateway.runtime.subsystems.operatorLog(String(id), {})).toBeDefined();

    const [log, paged] = (await Promise.all([
      runPincer(['logs', String(id)], env),
      runPincer(['logs', String(id), '--offset', '1', '--limit', '1', '--json'], env),
    ])) as [RunResult, RunResult];
    expect(log.stdout).toBe('first-line\nsecond-line\n');
    expect(json(paged)).toEqual({ ok: true, id, status: 'running', output: 'second-line' });

    const killed = await runPincer(['kill', String(id), '--json'], env);
    expect(killed.code).toBe(0);
    expect(json(killed)).toMatchObject({ ok: true, id, status: 'killed' });
    const [again, after, followed] = (await Promise.all([
      runPincer(['kill', String(id)], env),
      runPincer(['ps', '--json'], env),
      // Following a finished process prints everything and ends.
      runPincer(['logs', String(id), '--follow'], env),
    ])) as [RunResult, RunResult, RunResult];
    expect(again.stdout).toBe(`Process ${id} had already exited.\n`);
    expect((json(after).processes as Array<Record<string, unknown>>).find((p) => p.id === id)).toMatchObject({ status: 'killed' });
    expect(followed.code).toBe(0);
    expect(followed.stdout).toBe('first-line\nsecond-line\n');
  });

  it('follows a running process until it exits', async () => {
    const started = await runPincer(['agent', '-m', 'run in background: for i in 1 2 3; do echo tick $i; sleep 0.3; done', '--json'], env);
    const id = /as (\S+) \(/.exec(String(json(started).reply))?.[1];
    const followed = await runPincer(['logs', String(id), '--follow', '--json'], env);
    expect(followed.code).toBe(0);
    const chunks = followed.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { output: string; status: string });
    expect(chunks.map((c) => c.output).join('')).toBe('tick 1\ntick 2\ntick 3');
    expect(chunks.at(-1)?.status).toBe('completed');
  });

  it('reports unknown processes as not_found (exit 1)', async () => {
    const [result, kill] = (await Promise.all([
      runPincer(['logs', 'no-such-process', '--json'], env),
      runPincer(['kill', 'no-such-process'], env),
    ])) as [RunResult, RunResult];
    expect(result.code).toBe(1);
    expect(json(result).error).toMatchObject({ type: 'not_found' });
    expect(kill.code).toBe(1);
  });

  it('round-trips a cron job: add, list, run, runs, rm', async () => {
    const added = await runPincer(
      ['cron', 'add', '--every', '1h', '-m', 'check the queue', '--agent', 'ops', '--name', 'queue-check', '--json'],
      env,
    );
    expect(added.code).toBe(0);
    const job = json(added).job as Record<string, unknown>;
    expect(job).toMatchObject({
      name: 'queue-check',
      agentId: 'ops',
      ownerSessionKey: 'agent:ops:main',
      schedule: { kind: 'every' },
      enabled: true,
    });
    const id = String(job.id);

    const [list, noRuns] = (await Promise.all([runPincer(['cron', 'list'], env), runPincer(['cron', 'runs', id], env)])) as [
      RunResult,
      RunResult,
    ];
    expect(list.stdout).toMatch(new RegExp(`${id}\\s+queue-check\\s+every 1h\\s+systemEvent\\s+agent:ops:main\\s+true`));
    expect(noRuns.stdout).toBe(`No runs yet for ${id}.\n`);

    // Another session's view of the job answers exactly like a missing job.
    const [crossRun, crossRm, missingRun] = (await Promise.all([
      runPincer(['cron', 'run', id, '--session', 'agent:main:main', '--json'], env),
      runPincer(['cron', 'rm', id, '--session', 'main', '--json'], env),
      runPincer(['cron', 'run', 'no-such-job', '--session', 'agent:main:main', '--json'], env),
    ])) as [RunResult, RunResult, RunResult];
    const missingError = json(missingRun).error as { type: string; message: string };
    expect(missingError.type).toBe('not_found');
    expect(json(crossRun).error).toEqual({ ...missingError, message: missingError.message.replace('no-such-job', id) });
    expect(json(crossRm).error).toEqual({ ...missingError, message: missingError.message.replace('no-such-job', id) });

    const ran = await runPincer(['cron', 'run', id, '--session', 'agent:ops:main', '--json'], env);
    expect(ran.code, ran.stderr).toBe(0);
    expect(json(ran)).toMatchObject({ ok: true, id, run: { jobId: id, trigger: 'manual', status: 'ok' } });
    const [runs, runsJson] = (await Promise.all([
      runPincer(['cron', 'runs', id], env),
      runPincer(['cron', 'runs', id, '--json'], env),
    ])) as [RunResult, RunResult];
    expect(json(runsJson).runs).toHaveLength(1); // the cross-session attempt ran nothing
    expect(runs.stdout).toMatch(/^RUN\s+STARTED\s+TRIGGER\s+STATUS[\s\S]*\smanual\s+ok/);

    const removed = await runPincer(['cron', 'rm', id, '--json'], env);
    expect(json(removed)).toEqual({ ok: true, id, removed: true });
    const [listAfter, again] = (await Promise.all([runPincer(['cron', 'list', '--json'], env), runPincer(['cron', 'rm', id], env)])) as [
      RunResult,
      RunResult,
    ];
    expect((json(listAfter).jobs as Array<{ id: string }>).map((j) => j.id)).not.toContain(id);
    expect(again.code).toBe(1);
  });

  it('validates cron add before sending (exit 2)', async () => {
    const [result, noMessage] = (await Promise.all([
      runPincer(['cron', 'add', '--every', '1h', '--in', '5m', '-m', 'x', '--json'], env),
      runPincer(['cron', 'add', '--every', '1h'], env),
    ])) as [RunResult, RunResult];
    expect(result.code).toBe(2);
    expect(json(result).error).toMatchObject({ type: 'validation' });
    expect(noMessage.code).toBe(2);
    expect(noMessage.stderr).toMatch(/^Error: Required option '-m, --message <text>' not specified/);
  });

  it('maps a gateway 400 to exit 2 naming the gateway message', async () => {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${state.path}/huge.txt`, 'a'.repeat(1_000_001));
    const result = await runPincer(['agent', '--message-file', 'huge.txt', '--json'], env, { cwd: state.path });
    expect(result.code).toBe(2);
    expect(json(result).error).toMatchObject({ type: 'validation', field: 'message' });
  });

  it('reports the gateway in gateway status', async () => {
    const result = await runPincer(['gateway', 'status', '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(json(result)).toMatchObject({
      ok: true,
      running: true,
      url: gateway.url,
      urlSource: 'gateway.json',
      stateDir: state.path,
      pid: process.pid,
    });
  });

  it('validates the config with the gateway schema', async () => {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${state.path}/bad.json`, JSON.stringify({ agents: [{ id: 'main', model: 42 }] }));
    const [ok, bad] = (await Promise.all([
      runPincer(['config', 'validate', '--json'], env),
      runPincer(['config', 'validate', 'bad.json'], env, { cwd: state.path }),
    ])) as [RunResult, RunResult];
    expect(json(ok)).toEqual({ ok: true, path: `${state.path}/pincer.config.json`, agents: ['main', 'ops'], defaultAgentId: 'main' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^Error: Invalid config .*bad\.json at agents\[0\]\.model/);
  });
});

describe('pincer when the stand-in gateway answers but refuses', () => {
  it('maps a gateway 404 to not_found with its message (exit 1)', async () => {
    assertBuilt();
    const stub = await startStubGateway();
    const state = tempDir();
    try {
      const result = await runPincer(['cron', 'list', '--json'], {
        HOME: state.path,
        PINCER_STATE_DIR: state.path,
        PINCER_GATEWAY_URL: stub.url,
      });
      expect(result.code).toBe(1);
      expect(json(result).error).toEqual({ type: 'not_found', code: 'NOT_FOUND', message: 'nothing here' });
    } finally {
      await stub.close();
      state.dispose();
    }
  });
});
