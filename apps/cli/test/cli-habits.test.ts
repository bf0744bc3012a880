import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  assertBuilt,
  deadUrl,
  exitOf,
  firstLine,
  json,
  runPincer,
  spawnPincer,
  startStubGateway,
  startTestGateway,
  tempDir,
  writeTwoAgentConfig,
  type RunResult,
  type StubGateway,
  type TempDir,
  type TestGateway,
} from './helpers.js';

const all = (runs: Array<Promise<RunResult>>): Promise<RunResult[]> => Promise.all(runs);
const idOf = (result: RunResult): string => {
  const id = /as (\S+) \(/.exec(String(json(result).reply))?.[1];
  if (id === undefined) throw new Error(`no process id in ${result.stdout}`);
  return id;
};

describe('pincer habits against a real gateway', () => {
  let state: TempDir;
  let gateway: TestGateway;
  let env: Record<string, string>;

  beforeAll(async () => {
    assertBuilt();
    state = tempDir();
    const configPath = writeTwoAgentConfig(state.path);
    gateway = await startTestGateway({ stateDir: state.path, configPath });
    env = { HOME: state.path, PINCER_STATE_DIR: state.path };
  });
  afterAll(async () => {
    await gateway?.close();
    state?.dispose();
  });

  it('takes --state-dir, --url and --token before or after the command, flag over env over state dir', async () => {
    const token = readFileSync(join(state.path, 'token'), 'utf8').trim();
    const dead = await deadUrl();
    const elsewhere = tempDir();
    try {
      const bare = { HOME: elsewhere.path, PINCER_STATE_DIR: elsewhere.path };
      const [before, after, noFlag, urlFlag, wrongEnvToken, tokenFlag] = await all([
        runPincer(['--state-dir', state.path, 'sessions', 'list', '--json'], bare),
        runPincer(['sessions', 'list', '--state-dir', state.path, '--json'], bare),
        runPincer(['sessions', 'list', '--json'], bare),
        // --url beats a dead PINCER_GATEWAY_URL; the token still comes from --state-dir's file.
        runPincer(['ps', '--json', '--url', gateway.url, '--state-dir', state.path], { ...bare, PINCER_GATEWAY_URL: dead }),
        runPincer(['ps', '--json'], { ...env, PINCER_GATEWAY_TOKEN: 'wrong' }),
        runPincer(['ps', '--json', '--token', token], { ...env, PINCER_GATEWAY_TOKEN: 'wrong' }),
      ]);
      expect(before?.code, before?.stderr).toBe(0);
      expect(after?.code, after?.stderr).toBe(0);
      expect(json(before!)).toMatchObject({ ok: true });
      expect(noFlag?.code).toBe(1);
      expect(json(noFlag!).error).toMatchObject({ type: 'gateway_unavailable', code: 'GATEWAY_NOT_RUNNING' });
      expect(urlFlag?.code, urlFlag?.stderr).toBe(0);
      expect(json(wrongEnvToken!).error).toMatchObject({ code: 'UNAUTHORIZED' });
      expect(tokenFlag?.code, tokenFlag?.stderr).toBe(0);
    } finally {
      elsewhere.dispose();
    }
  });

  it('lists agents from the config, in order, with the default', async () => {
    const [table, listed] = await all([runPincer(['agents', 'list'], env), runPincer(['agents', 'list', '--json'], env)]);
    expect(table?.stdout).toMatch(/^ID\s+DEFAULT\s+MODEL\s+NAME\nmain\s+yes\s+scripted\s+-\nops\s+scripted\s+-\n$/);
    expect(json(listed!)).toEqual({
      ok: true,
      defaultAgentId: 'main',
      count: 2,
      agents: [
        { id: 'main', model: 'scripted', default: true },
        { id: 'ops', model: 'scripted', default: false },
      ],
    });
  });

  it("deletes a session; another agent's view of it answers like a missing one and deletes nothing", async () => {
    const turn = await runPincer(['agent', '-m', 'keep me', '--session-key', 'agent:main:doomed'], env);
    expect(turn.code, turn.stderr).toBe(0);
    const [crossed, missing] = await all([
      runPincer(['sessions', 'delete', 'doomed', '--agent', 'ops', '--json'], env),
      runPincer(['sessions', 'delete', 'agent:ops:never-was', '--json'], env),
    ]);
    expect(crossed?.code).toBe(1);
    expect(json(crossed!).error).toMatchObject({ type: 'not_found', code: 'NOT_FOUND' });
    expect((json(crossed!).error as { message: string }).message.replace('agent:ops:doomed', 'X')).toBe(
      (json(missing!).error as { message: string }).message.replace('agent:ops:never-was', 'X'),
    );
    expect(gateway.runtime.store.getSession('agent:main:doomed')).toBeDefined();

    const deleted = await runPincer(['sessions', 'delete', 'agent:main:doomed', '--json'], env);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(json(deleted)).toEqual({ ok: true, deleted: true, sessionKey: 'agent:main:doomed' });
    expect(gateway.runtime.store.getSession('agent:main:doomed')).toBeUndefined();
    const [again, human] = await all([
      runPincer(['sessions', 'show', 'agent:main:doomed', '--json'], env),
      runPincer(['sessions', 'delete', 'agent:main:doomed'], env),
    ]);
    expect(json(again!).error).toMatchObject({ code: 'NOT_FOUND' });
    expect(human?.code).toBe(1);
  });

  it('prints ids only with -q on ps and sessions list, relative times in tables and the API values in --json', async () => {
    const started = await runPincer(['agent', '-m', 'run in background: sleep 30', '--session-key', 'agent:ops:quiet', '--json'], env);
    const id = idOf(started);
    const [ps, keys, table, sessionsJson, psTable] = await all([
      runPincer(['ps', '-q'], env),
      runPincer(['sessions', 'list', '--quiet'], env),
      runPincer(['sessions', 'list'], env),
      runPincer(['sessions', 'list', '--json'], env),
      runPincer(['ps'], env),
    ]);
    expect(ps?.stdout.split('\n')).toContain(id);
    expect(ps?.stdout).not.toMatch(/ID|STATUS|running/);
    expect(keys?.stdout.split('\n').filter(Boolean)).toContain('agent:ops:quiet');
    expect(
      keys?.stdout
        .split('\n')
        .filter(Boolean)
        .every((line) => /^agent:[^\s]+$/.test(line)),
    ).toBe(true);
    expect(table?.stdout).toMatch(/agent:ops:quiet\s+ops\s+\S+\s+\d+[smhd] ago/);
    const body = json(sessionsJson!) as { count: number; sessions: Array<{ key: string; updatedAt: unknown }> };
    expect(body.count).toBe(body.sessions.length);
    expect(typeof body.sessions[0]?.updatedAt === 'number' || typeof body.sessions[0]?.updatedAt === 'string').toBe(true);
    // The SBX (sandboxed) column (issue 13) stands between EXIT and SESSION.
    expect(psTable?.stdout).toMatch(new RegExp(`${id}\\s+running\\s+\\d+\\s+-\\s+(?:yes|no)\\s+agent:ops:quiet\\s+\\d+s ago\\s+sleep 30`));
    await runPincer(['kill', id], env);
  });

  it("shows and waits for runs; another session's view of a run is not found", async () => {
    const turn = await runPincer(['agent', '-m', 'remember runs', '--session-key', 'agent:ops:runs', '--json'], env);
    const runId = String(json(turn).runId);
    const [show, showTable, wait, waitJson, crossed, missing] = await all([
      runPincer(['runs', 'show', runId, '--json'], env),
      runPincer(['runs', 'show', runId], env),
      runPincer(['runs', 'wait', runId], env),
      runPincer(['runs', 'wait', runId, '--json'], env),
      runPincer(['runs', 'show', runId, '--session', 'agent:main:main', '--json'], env),
      runPincer(['runs', 'wait', 'no-such-run', '--json'], env),
    ]);
    expect(json(show!)).toMatchObject({
      ok: true,
      run: { runId, sessionKey: 'agent:ops:runs', status: 'ok', reply: '[scripted] echo: remember runs' },
    });
    expect(showTable?.stdout).toMatch(/^runId:\s+\S+\n/);
    expect(showTable?.stdout).toMatch(/\nstatus:\s+ok\n/);
    expect(wait?.stdout).toBe('[scripted] echo: remember runs\n');
    expect(json(waitJson!)).toEqual({ ok: true, runId, sessionKey: 'agent:ops:runs', reply: '[scripted] echo: remember runs' });
    expect(crossed?.code).toBe(1);
    expect(json(crossed!).error).toMatchObject({ type: 'not_found', code: 'NOT_FOUND' });
    expect(json(missing!).error).toMatchObject({ type: 'not_found', code: 'NOT_FOUND' });
  });

  it('follows a process to its end and prints the final status; --limit N alone is the last N lines', async () => {
    const started = await runPincer(
      ['agent', '-m', 'run in background: for i in 1 2 3 4 5; do echo line-$i; done; sleep 0.5', '--json'],
      env,
    );
    const id = idOf(started);
    const followed = await runPincer(['logs', id, '--follow'], env);
    expect(followed.code, followed.stderr).toBe(0);
    expect(followed.stdout).toBe('line-1\nline-2\nline-3\nline-4\nline-5\n');
    expect(followed.stderr).toBe(`Process ${id} completed (exit code 0).\n`);
    const [tail, tailJson, again] = await all([
      runPincer(['logs', id, '--limit', '2'], env),
      runPincer(['logs', id, '--limit', '2', '--json'], env),
      runPincer(['logs', id, '--follow', '--json'], env),
    ]);
    expect(tail?.stdout).toBe('line-4\nline-5\n');
    expect(json(tailJson!)).toMatchObject({ ok: true, id, output: 'line-4\nline-5' });
    expect(JSON.parse(again!.stdout.trim().split('\n').at(-1) ?? '{}')).toMatchObject({ status: 'completed', exitCode: 0 });
  });

  it('exits 130 when logs --follow is interrupted, and says the process keeps running', async () => {
    const started = await runPincer(['agent', '-m', 'run in background: echo started; sleep 30', '--json'], env);
    const id = idOf(started);
    const child = spawnPincer(['logs', id, '--follow'], env);
    let stdout = '';
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      const guard = setTimeout(() => reject(new Error(`no output; stderr: ${stderr}`)), 20_000);
      child.stdout?.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('started')) {
          clearTimeout(guard);
          resolve();
        }
      });
    });
    child.kill('SIGINT');
    expect(await exitOf(child)).toBe(130);
    expect(stderr).toBe('Interrupted.\n');
    const ps = await runPincer(['ps', '--json'], env);
    expect((json(ps).processes as Array<{ id: string; status: string }>).find((p) => p.id === id)?.status).toBe('running');
    await runPincer(['kill', id], env);
  });

  it('reports stable error codes in --json for every kind of failure', async () => {
    const dead = await deadUrl();
    const results = await all([
      runPincer(['agent', '-m', 'hi', '--session-key', 'agent:main', '--json'], env),
      runPincer(['agent', '-m', 'hi', '--agent', 'ops', '--session-key', 'agent:main:x', '--json'], env),
      runPincer(['agent', '-m', 'hi', '--agent', 'ghost', '--json'], env),
      runPincer(['agent', '-m', 'hi', '--session-key', ' ', '--json'], env),
      runPincer(['agent', '--json'], env),
      runPincer(['sessions', 'show', 'agent:main:nope', '--json'], env),
      runPincer(['ps', '--bogus', '--json'], env),
      runPincer(['ps', '--json', '--url', dead], env),
      runPincer(['cron', 'add', '--every', '5', '-m', 'x', '--json'], env),
    ]);
    expect(results.map((result) => [result.code, (json(result).error as { code: string }).code])).toEqual([
      [2, 'SESSION_KEY_MALFORMED'],
      [2, 'AGENT_MISMATCH'],
      [2, 'AGENT_UNKNOWN'],
      [2, 'SELECTOR_BLANK'],
      [2, 'MESSAGE_MISSING'],
      [1, 'NOT_FOUND'],
      [2, 'USAGE'],
      [1, 'GATEWAY_UNREACHABLE'],
      [2, 'DURATION_INVALID'],
    ]);
  });

  it('uses one duration grammar: a bare number is refused like the config refuses it; units and words are accepted', async () => {
    const [bare, zero, words] = await all([
      runPincer(['cron', 'add', '--every', '5', '-m', 'x'], env),
      runPincer(['cron', 'add', '--in', '0', '-m', 'x'], env),
      runPincer(['cron', 'add', '--every', '2 hours', '-m', 'x', '--agent', 'ops', '--json'], env),
    ]);
    expect(bare?.code).toBe(2);
    expect(bare?.stderr).toBe('Error: --every "5" has no unit: write e.g. 5s, 5m or 5h (0 disables).\n');
    expect(zero?.code).toBe(2);
    expect(zero?.stderr).toMatch(/--in must be at least 1s/);
    expect(words?.code, words?.stderr).toBe(0);
    expect(json(words!).job).toMatchObject({ schedule: { kind: 'every', every: 7_200_000 } });
    await runPincer(['cron', 'rm', String((json(words!).job as { id: string }).id)], env);
    // The config says the same about a heartbeat `every: "5"`.
    const file = join(state.path, 'bare-heartbeat.json');
    writeFileSync(file, JSON.stringify({ agents: [{ id: 'main', heartbeat: { every: '5' } }] }));
    const config = await runPincer(['config', 'validate', file, '--json'], env);
    expect(config.code).toBe(2);
    expect(json(config).error).toMatchObject({ code: 'CONFIG_INVALID', field: 'agents[0].heartbeat.every' });
    expect(String((json(config).error as { message: string }).message)).toContain('"5" has no unit: write e.g. 5s, 5m or 5h (0 disables).');
  });
});

describe('pincer against stand-in gateways', () => {
  let state: TempDir;
  let stub: StubGateway | undefined;
  let server: Server | undefined;
  beforeAll(() => assertBuilt());
  afterEach(async () => {
    await stub?.close();
    stub = undefined;
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
    state?.dispose();
  });

  async function serve(answer: (path: string, query: URLSearchParams) => unknown): Promise<{ url: string; seen: string[] }> {
    const seen: string[] = [];
    server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      seen.push(`${url.pathname}${url.search}`);
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify(answer(url.pathname, url.searchParams)));
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
  }

  it('refuses a turn that names no agent when several are configured without defaultAgent, before anything is sent', async () => {
    state = tempDir();
    stub = await startStubGateway();
    writeFileSync(join(state.path, 'pincer.config.json'), JSON.stringify({ agents: [{ id: 'main' }, { id: 'ops' }] }));
    const env = { HOME: state.path, PINCER_STATE_DIR: state.path, PINCER_GATEWAY_URL: stub.url, PINCER_GATEWAY_TOKEN: 't' };
    const message =
      'Error: Multiple agents are configured, but agent turn has no explicit owner. Pass --agent <id> to select one of: main, ops.\n';
    const refused = await all([
      runPincer(['agent', '-m', 'hi'], env),
      runPincer(['agent', '-m', 'hi', '--session-key', 'incident-42'], env),
      runPincer(['agent', '-m', 'hi', '--session-key', 'agent:ops'], env),
      runPincer(['agent', '-m', 'hi', '--session-key', 'global'], env),
    ]);
    for (const result of refused) {
      expect(result.code).toBe(2);
      expect(result.stderr).toBe(message);
    }
    const asJson = await runPincer(['agent', '-m', 'hi', '--json'], env);
    expect(json(asJson).error).toMatchObject({ code: 'AGENT_SELECTION_REQUIRED' });
    const cron = await runPincer(['cron', 'add', '--every', '1h', '-m', 'x'], env);
    expect(cron.code).toBe(2);
    expect(cron.stderr).toBe(
      'Error: Multiple agents are configured, but cron job has no explicit owner. Pass --agent <id> to select one of: main, ops.\n',
    );
    expect(stub.requests).toEqual([]);
    const named = await runPincer(['agent', '-m', 'hi', '--agent', 'ops', '--session-key', 'incident-42', '--json'], env);
    expect(json(named)).toMatchObject({ ok: true, sessionKey: 'agent:ops:incident-42' });
    stub.requests.length = 0;
    const exact = await runPincer(['agent', '-m', 'hi', '--session-key', 'agent:main:x', '--json'], env);
    expect(json(exact)).toMatchObject({ ok: true, sessionKey: 'agent:main:x' });
    const agents = await runPincer(['agents', 'list', '--json'], env);
    expect(json(agents)).toMatchObject({ defaultAgentId: null });
  });

  it('reads the whole retained log for --limit N and prints the last N lines, whatever the server does with limit', async () => {
    state = tempDir();
    const lines = ['one', 'two', 'three', 'four'];
    // Answers like the journal did: `limit` from the first line.
    const gateway = await serve((_path, query) => {
      const offset = Number(query.get('offset') ?? 0);
      const limit = query.get('limit') === null ? undefined : Number(query.get('limit'));
      return {
        id: 'sharp-ridge',
        status: 'completed',
        output: lines.slice(offset, limit === undefined ? undefined : offset + limit).join('\n'),
        source: 'journal',
      };
    });
    const env = { HOME: state.path, PINCER_STATE_DIR: state.path, PINCER_GATEWAY_URL: gateway.url };
    const tail = await runPincer(['logs', 'sharp-ridge', '--limit', '2'], env);
    expect(tail.stdout).toBe('three\nfour\n');
    expect(gateway.seen).toEqual(['/v1/processes/sharp-ridge/log?offset=0']);
  });

  it('reads at most 4 MiB from a FIFO or a device for --message-file, and reads a short FIFO', async () => {
    state = tempDir();
    stub = await startStubGateway();
    const env = { HOME: state.path, PINCER_STATE_DIR: state.path, PINCER_GATEWAY_URL: stub.url, PINCER_GATEWAY_TOKEN: 't' };
    const fifo = join(state.path, 'endless.fifo');
    await new Promise<void>((resolve, reject) => execFile('mkfifo', [fifo], (error) => (error ? reject(error) : resolve())));
    // A writer that never stops: the CLI must stop reading after the limit.
    const writer: ChildProcess = spawn('sh', ['-c', `yes aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa > ${JSON.stringify(fifo)}`], {
      stdio: 'ignore',
    });
    try {
      const endless = await runPincer(['agent', '--message-file', fifo, '--json'], env);
      expect(endless.code).toBe(2);
      expect(json(endless).error).toMatchObject({ code: 'MESSAGE_TOO_LARGE' });
      const device = await runPincer(['agent', '--message-file', '/dev/zero', '--json'], env);
      expect(json(device).error).toMatchObject({ code: 'MESSAGE_TOO_LARGE' });
    } finally {
      writer.kill('SIGKILL');
      await exitOf(writer);
    }
    const short = join(state.path, 'short.fifo');
    await new Promise<void>((resolve, reject) => execFile('mkfifo', [short], (error) => (error ? reject(error) : resolve())));
    const shortWriter = spawn('sh', ['-c', `printf 'from a fifo' > ${JSON.stringify(short)}`], { stdio: 'ignore' });
    const read = await runPincer(['agent', '--message-file', short, '--json'], env);
    await exitOf(shortWriter);
    expect(read.code, read.stderr).toBe(0);
    expect(stub.requests.find((request) => request.path === '/v1/agent')?.body).toMatchObject({ message: 'from a fifo' });
  });
});

describe('pincer gateway stop', () => {
  let state: TempDir | undefined;
  let child: ChildProcess | undefined;
  beforeAll(() => assertBuilt());
  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exitOf(child);
    }
    child = undefined;
    state?.dispose();
    state = undefined;
  });

  it('stops the running gateway of the state dir and waits for it to exit', async () => {
    state = tempDir();
    child = spawnPincer(['gateway', '--port', '0', '--state-dir', state.path, '--json'], { HOME: state.path, PINCER_LOG_LEVEL: 'silent' });
    const ready = JSON.parse(await firstLine(child)) as { url: string };
    const stopped = await runPincer(['gateway', 'stop', '--json'], { HOME: state.path, PINCER_STATE_DIR: state.path });
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(json(stopped)).toMatchObject({ ok: true, stopped: true, pid: child.pid, url: ready.url, stateDir: state.path });
    expect(child.exitCode ?? (await exitOf(child))).toBe(0);
    expect(existsSync(join(state.path, 'gateway.json'))).toBe(false);
    const again = await runPincer(['--state-dir', state.path, 'gateway', 'stop'], { HOME: state.path });
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(`No gateway is running for state dir ${state.path}.\n`);
  });

  it('does not signal the pid of a stale gateway.json when no gateway answers there', async () => {
    state = tempDir();
    child = spawn('sleep', ['30']);
    writeFileSync(join(state.path, 'gateway.json'), JSON.stringify({ url: await deadUrl(), pid: child.pid }));
    const result = await runPincer(['gateway', 'stop', '--state-dir', state.path, '--json'], { HOME: state.path });
    expect(result.code).toBe(1);
    expect(json(result).error).toMatchObject({ code: 'GATEWAY_UNREACHABLE' });
    expect(child.exitCode).toBeNull();
    expect(child.signalCode).toBeNull();
  });
});

describe('pincer completion and config init', () => {
  let state: TempDir | undefined;
  beforeAll(() => assertBuilt());
  afterEach(() => {
    state?.dispose();
    state = undefined;
  });

  const complete = (script: string, words: string[]): Promise<string> =>
    new Promise((resolve, reject) => {
      const line = `${script}\nCOMP_WORDS=(${words.map((word) => JSON.stringify(word)).join(' ')}); COMP_CWORD=${words.length - 1}; _pincer; printf '%s\\n' "\${COMPREPLY[@]}"`;
      execFile('bash', ['-c', line], (error, stdout, stderr) => (error ? reject(new Error(stderr)) : resolve(stdout)));
    });

  it('prints completion scripts that complete commands, subcommands and options', async () => {
    state = tempDir();
    const env = { HOME: state.path };
    const [bash, zsh, fish, bad] = await all([
      runPincer(['completion', 'bash'], env),
      runPincer(['completion', 'zsh'], env),
      runPincer(['completion', 'fish'], env),
      runPincer(['completion', 'tcsh'], env),
    ]);
    expect((await complete(bash!.stdout, ['pincer', 'ses'])).split('\n')).toEqual(['sessions', '']);
    expect((await complete(bash!.stdout, ['pincer', 'sessions', ''])).split('\n')).toEqual(
      expect.arrayContaining(['list', 'show', 'history', 'reset', 'delete']),
    );
    expect((await complete(bash!.stdout, ['pincer', 'runs', ''])).split('\n')).toEqual(expect.arrayContaining(['show', 'wait']));
    expect((await complete(bash!.stdout, ['pincer', 'agent', '--session-key', 'x', '--ti'])).split('\n')).toEqual(['--timeout', '']);
    expect((await complete(bash!.stdout, ['pincer', 'ps', '-'])).split('\n')).toEqual(
      expect.arrayContaining(['-q', '--quiet', '--wide', '--json']),
    );
    expect(zsh?.stdout).toMatch(/^#compdef pincer\nautoload -U \+X bashcompinit && bashcompinit\n/);
    expect(fish?.stdout).toContain("complete -c pincer -n '__fish_use_subcommand' -a 'sessions'");
    expect(fish?.stdout).toContain(
      "complete -c pincer -n '__fish_seen_subcommand_from list; and __fish_seen_subcommand_from sessions' -s 'q'",
    );
    expect(bad?.code).toBe(2);
    expect(bad?.stderr).toBe(
      "Error: Command-argument value 'tcsh' is invalid for argument 'shell'. Expected one of bash, zsh, fish. (see --help)\n",
    );
  });

  it('writes a commented JSONC starter config with $schema that validates, and refuses to overwrite it', async () => {
    state = tempDir();
    const env = { HOME: state.path, PINCER_STATE_DIR: state.path };
    const init = await runPincer(['config', 'init', '--json'], env);
    expect(init.code, init.stderr).toBe(0);
    const file = join(state.path, 'pincer.config.json');
    expect(json(init)).toMatchObject({ ok: true, path: file });
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/^\{\n {2}\/\/ /);
    const schema = /"\$schema": "(file:[^"]+)"/.exec(text)?.[1];
    expect(schema).toBeDefined();
    expect(JSON.parse(readFileSync(new URL(schema!), 'utf8'))).toMatchObject({ type: 'object', additionalProperties: false });
    const [validate, again, forced, agent] = await all([
      runPincer(['config', 'validate', '--json'], env),
      runPincer(['config', 'init'], env),
      runPincer(['config', 'init', join(state.path, 'other.jsonc'), '--force'], env),
      runPincer(['agent', '-m', 'hello from jsonc', '--local'], env),
    ]);
    expect(json(validate!)).toEqual({ ok: true, path: file, agents: ['main'], defaultAgentId: 'main' });
    expect(again?.code).toBe(2);
    expect(again?.stderr).toBe(`Error: Config file ${file} already exists; pass --force to overwrite it.\n`);
    expect(forced?.code).toBe(0);
    expect(agent?.stdout).toBe('[scripted] echo: hello from jsonc\n');
  });

  it('validates JSONC, reports every problem with its path, and checks referenced files and apiKeyEnv variables', async () => {
    state = tempDir();
    const env = { HOME: state.path, PINCER_STATE_DIR: state.path };
    const broken = join(state.path, 'broken.jsonc');
    writeFileSync(
      broken,
      '{\n  // three problems\n  "agents": [{ "model": 42 }, { "id": "ops", "modle": "x" }],\n  "gateway": { "port": "x" },\n}\n',
    );
    const refs = join(state.path, 'refs.jsonc');
    writeFileSync(
      refs,
      `{
  "plugins": [{ "module": "./plugins/watchdog.mjs" }, { "module": "./off.mjs", "enabled": false }],
  "scripted": { "rulesFile": "./rules.json" },
  "providers": { "local": { "type": "openai-compatible", "baseUrl": "http://127.0.0.1:8000/v1", "apiKeyEnv": "PINCER_TEST_UNSET_KEY" } },
  "agents": [{ "id": "main", "model": "scripted:./missing-rules.json" }],
}`,
    );
    const truncated = join(state.path, 'truncated.json');
    writeFileSync(truncated, '{\n  "agents": [\n');
    const [schemaErrors, refErrors, withKey, cut] = await all([
      runPincer(['config', 'validate', broken, '--json'], env),
      runPincer(['config', 'validate', refs, '--json'], env),
      runPincer(['config', 'validate', refs], { ...env, PINCER_TEST_UNSET_KEY: 'set' }),
      runPincer(['config', 'validate', truncated], env),
    ]);
    expect(schemaErrors?.code).toBe(2);
    expect((json(schemaErrors!).error as { issues: Array<{ path: string }> }).issues.map((issue) => issue.path)).toEqual([
      'gateway.port',
      'agents[0].id',
      'agents[0].model',
      'agents[1]',
    ]);
    expect(refErrors?.code).toBe(2);
    expect(json(refErrors!).error).toMatchObject({ code: 'CONFIG_INVALID', field: 'plugins[0].module' });
    expect((json(refErrors!).error as { issues: Array<{ path: string }> }).issues.map((issue) => issue.path)).toEqual([
      'plugins[0].module',
      'scripted.rulesFile',
      'agents[0].model',
      'providers.local.apiKeyEnv',
    ]);
    expect(withKey?.stderr).not.toContain('apiKeyEnv');
    expect(withKey?.stderr).toMatch(
      /^Error: Invalid config .*refs\.jsonc at plugins\[0\]\.module: file not found: .*watchdog\.mjs \(and 2 more: /,
    );
    expect(cut?.code).toBe(2);
    expect(cut?.stderr).toMatch(/not valid JSON \(JSONC\): line 3, column 1: /);
  });

  it("has help examples on every new command, with ids shaped like the gateway's", async () => {
    state = tempDir();
    const commands = [
      ['runs'],
      ['runs', 'show'],
      ['runs', 'wait'],
      ['agents'],
      ['agents', 'list'],
      ['sessions', 'delete'],
      ['gateway', 'stop'],
      ['completion'],
      ['config', 'init'],
      ['logs'],
      ['kill'],
      ['cron', 'rm'],
      ['cron', 'run'],
    ];
    const helps = await all(commands.map((argv) => runPincer([...argv, '--help'], { HOME: state!.path })));
    for (const [index, help] of helps.entries()) {
      expect(help.code, commands[index]?.join(' ')).toBe(0);
      expect(help.stdout, commands[index]?.join(' ')).toContain('Examples:\n  $ pincer');
      expect(help.stdout).not.toMatch(/p_1a2b|job_123/);
    }
    const root = await runPincer(['--help'], { HOME: state.path });
    expect(root.stdout).toContain('--state-dir <dir>');
    expect(root.stdout).toContain('Precedence: flag > environment variable > state dir');
  });
});
