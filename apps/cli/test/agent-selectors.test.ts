import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  assertBuilt,
  BIN,
  json,
  runPincer,
  startStubGateway,
  tempDir,
  writeTwoAgentConfig,
  type StubGateway,
  type TempDir,
} from './helpers.js';

// Seed 003, proven on the wire: a plain loopback server stands in for the gateway and records
// every request the built `pincer` binary sends.
describe('pincer agent selectors (seed 003) against a recording stand-in gateway', () => {
  let stub: StubGateway;
  let state: TempDir;
  let env: Record<string, string>;

  beforeAll(() => assertBuilt());
  beforeEach(async () => {
    stub = await startStubGateway();
    state = tempDir();
    writeTwoAgentConfig(state.path);
    env = { HOME: state.path, PINCER_STATE_DIR: state.path, PINCER_GATEWAY_URL: stub.url, PINCER_GATEWAY_TOKEN: 't' };
  });
  afterEach(async () => {
    await stub.close();
    state.dispose();
  });

  const sent = () => stub.requests.find((r) => r.method === 'POST' && r.path === '/v1/agent')?.body;

  it('shows --session-key in pincer agent --help', async () => {
    const result = await runPincer(['agent', '--help'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/--session-key <key>\s+explicit session key \(agent:<id>:<key>, or scoped to\s+--agent\)/);
    expect(stub.requests).toEqual([]);
  });

  it('rejects a malformed agent key before anything is sent (exit 2, exact message)', async () => {
    const result = await runPincer(['agent', '--message', 'hi', '--session-key', 'agent:main', '--json'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'Error: Invalid --session-key "agent:main". Agent-prefixed session keys must use agent:<agent-id>:<session-key>.\n',
    );
    expect(json(result)).toEqual({
      ok: false,
      error: {
        type: 'validation',
        code: 'SESSION_KEY_MALFORMED',
        message: 'Invalid --session-key "agent:main". Agent-prefixed session keys must use agent:<agent-id>:<session-key>.',
      },
    });
    expect(stub.requests).toEqual([]);
  });

  it('rejects an --agent / key mismatch before anything is sent (exit 2, exact message)', async () => {
    const result = await runPincer(
      ['agent', '--message', 'hi', '--agent', 'ops', '--session-key', 'agent:main:incident-42', '--json'],
      env,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('Error: Agent id "ops" does not match session key agent "main".\n');
    expect(json(result).error).toEqual({
      type: 'validation',
      code: 'AGENT_MISMATCH',
      message: 'Agent id "ops" does not match session key agent "main".',
    });
    expect(stub.requests).toEqual([]);
  });

  it('rejects blank selectors in the order --agent, --session-id, --session-key, --to, with nothing sent', async () => {
    const cases: Array<[string[], string]> = [
      [['--agent', ' ', '--session-key', ' '], '--agent must not be blank'],
      [['--session-id', '', '--to', ' '], '--session-id must not be blank'],
      [['--session-key', '  '], '--session-key must not be blank'],
      [['--agent', 'ops', '--to', ' '], '--to must not be blank'],
    ];
    const results = await Promise.all(cases.map(([args]) => runPincer(['agent', '-m', 'hi', ...args], env)));
    results.forEach((result, i) => {
      expect(result.code, cases[i]?.[0].join(' ')).toBe(2);
      expect(result.stderr).toBe(`Error: ${cases[i]?.[1]}\n`);
    });
    expect(stub.requests).toEqual([]);
  });

  it('rejects message problems and unknown agents with exit 2, nothing sent', async () => {
    const [both, missing, ghost] = await Promise.all([
      runPincer(['agent', '-m', 'hi', '--message-file', 'x.txt'], env),
      runPincer(['agent', '--agent', 'ops'], env),
      runPincer(['agent', '-m', 'hi', '--agent', 'ghost', '--session-key', 'x'], env),
    ]);
    expect(both?.stderr).toBe('Error: Use either --message or --message-file, not both.\n');
    expect(missing?.stderr).toBe(
      'Error: Missing message. Use pincer agent --message "..." --agent <id> or pincer agent --message-file <path> --agent <id>.\n',
    );
    expect(ghost?.stderr).toBe('Error: Unknown agent id "ghost".\n');
    for (const result of [both, missing, ghost]) expect(result?.code).toBe(2);
    expect(stub.requests).toEqual([]);
  });

  it('sends an agent-prefixed key exactly as typed', async () => {
    const result = await runPincer(['agent', '-m', 'Summarize status', '--session-key', 'agent:ops:incident-42', '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(sent()).toEqual({ message: 'Summarize status', sessionKey: 'agent:ops:incident-42', timeoutMs: 600_000 });
    expect(json(result)).toEqual({ ok: true, runId: 'stub-run', sessionKey: 'agent:ops:incident-42', reply: 'stub reply' });
  });

  it('scopes a bare key to --agent', async () => {
    const result = await runPincer(['agent', '-m', 'hi', '--agent', 'Ops', '--session-key', 'Incident-42'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('stub reply\n');
    expect(sent()).toEqual({ message: 'hi', agentId: 'ops', sessionKey: 'agent:ops:incident-42', timeoutMs: 600_000 });
  });

  it('scopes a bare key to the default agent without --agent (and draws no spinner off a TTY)', async () => {
    const result = await runPincer(['agent', '-m', 'hi', '--session-key', 'incident-42'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('stub reply\n');
    expect(sent()).toMatchObject({ agentId: 'main', sessionKey: 'agent:main:incident-42' });
  });

  it('keeps the sentinels global / unknown literal without --agent', async () => {
    await Promise.all([
      runPincer(['agent', '-m', 'hi', '--session-key', 'global'], env),
      runPincer(['agent', '-m', 'hi', '--session-key', 'UNKNOWN'], env),
      runPincer(['agent', '-m', 'hi', '--agent', 'ops', '--session-key', 'global'], env),
    ]);
    const bodies = stub.requests.filter((r) => r.path === '/v1/agent').map((r) => r.body);
    expect(bodies).toHaveLength(3);
    expect(bodies).toEqual(
      expect.arrayContaining([
        { message: 'hi', sessionKey: 'global', timeoutMs: 600_000 },
        { message: 'hi', sessionKey: 'UNKNOWN', timeoutMs: 600_000 },
        { message: 'hi', agentId: 'ops', sessionKey: 'global', timeoutMs: 600_000 },
      ]),
    );
  });

  it('moves an agent-shaped --to into the session key and passes --timeout through', async () => {
    const result = await runPincer(['agent', '-m', 'hi', '--to', 'agent:ops:x', '--timeout', '12'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(sent()).toEqual({ message: 'hi', sessionKey: 'agent:ops:x', timeoutMs: 12_000 });
  });

  it('reads --message-file (BOM stripped) relative to the working directory', async () => {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${state.path}/prompt.txt`, '\ufeffFrom a file\n');
    const result = await runPincer(['agent', '--message-file', 'prompt.txt', '--agent', 'ops'], env, { cwd: state.path });
    expect(result.code, result.stderr).toBe(0);
    expect(sent()).toEqual({ message: 'From a file\n', agentId: 'ops', timeoutMs: 600_000 });
  });

  it('gives up after --timeout with exit 1 and type timeout', async () => {
    const result = await runPincer(['agent', '-m', 'never finish', '--timeout', '0.5', '--json'], env);
    expect(result.code).toBe(1);
    expect(json(result)).toEqual({
      ok: false,
      error: {
        type: 'timeout',
        code: 'TIMEOUT',
        message: 'Timed out after 0.5s waiting for agent run stub-run. Raise --timeout or check "pincer sessions history".',
      },
    });
    expect(stub.requests.filter((r) => r.path === '/v1/runs/stub-run').length).toBeGreaterThan(0);
  });

  it('stops waiting on SIGINT (exit 130) and SIGTERM (exit 143) with one line', async () => {
    const { spawn } = await import('node:child_process');
    const waitFor = (signal: NodeJS.Signals) =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const polls = () => stub.requests.filter((r) => r.path === '/v1/runs/stub-run').length;
        const before = polls();
        const child = spawn(process.execPath, [BIN, 'agent', '-m', 'never finish'], { env: { PATH: process.env.PATH ?? '', ...env } });
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
        });
        // Signal once the run is being polled (the stand-in answers "running" for this message).
        const timer = setInterval(() => {
          if (polls() > before) {
            clearInterval(timer);
            child.kill(signal);
          }
        }, 20);
        const guard = setTimeout(() => child.kill('SIGKILL'), 20_000);
        child.on('close', (code) => {
          clearInterval(timer);
          clearTimeout(guard);
          resolve({ code, stderr });
        });
      });
    const interrupted = await waitFor('SIGINT');
    expect(interrupted).toEqual({ code: 130, stderr: 'Interrupted.\n' });
    const terminated = await waitFor('SIGTERM');
    expect(terminated).toEqual({ code: 143, stderr: 'Interrupted.\n' });
  });

  // `script` (util-linux) gives the binary a real pseudo-terminal, so stderr is a TTY.
  it.skipIf(!existsSync('/usr/bin/script'))('draws a spinner on a TTY and erases it before the reply', async () => {
    const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} agent -m hi --session-key k`;
    const output = await new Promise<string>((resolve) => {
      execFile(
        '/usr/bin/script',
        ['-qec', command, '/dev/null'],
        { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 },
        (_e, stdout) => resolve(stdout),
      );
    });
    expect(output).toContain('\r\x1b[2K⠋ waiting for agent:main:k (run stub-run)');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the escape sequence is what is asserted.
    expect(output).toMatch(/\r\x1b\[2Kstub reply\r?\n$/);
  });
});
