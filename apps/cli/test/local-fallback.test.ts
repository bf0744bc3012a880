import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  assertBuilt,
  deadUrl,
  json,
  runPincer,
  tempDir,
  writeTwoAgentConfig,
  type TempDir,
  startTestGateway,
  type TestGateway,
} from './helpers.js';

// `--local` and the fallback run the same agent runtime embedded, on the same state dir (SQLite).
describe('pincer agent --local and the embedded fallback', () => {
  let state: TempDir | undefined;
  let gateway: TestGateway | undefined;

  beforeAll(() => assertBuilt());
  afterEach(async () => {
    await gateway?.close();
    gateway = undefined;
    state?.dispose();
    state = undefined;
  });

  it('falls back to an embedded run when no gateway answers, says so on stderr, and still prints the reply', async () => {
    state = tempDir();
    writeTwoAgentConfig(state.path);
    const url = await deadUrl();
    const env = { HOME: state.path, PINCER_STATE_DIR: state.path, PINCER_GATEWAY_URL: url };
    const result = await runPincer(['agent', '-m', 'are you there', '--agent', 'ops', '--session-key', 'fallback-1', '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe(
      `No gateway answered at ${url} (ECONNREFUSED). Running the turn embedded on ${state.path} (local fallback).\n`,
    );
    expect(json(result)).toMatchObject({ ok: true, sessionKey: 'agent:ops:fallback-1', reply: '[scripted] echo: are you there' });

    // Same state: a gateway started later on that state dir has the session and its transcript.
    gateway = await startTestGateway({ stateDir: state.path });
    const history = await runPincer(['sessions', 'history', 'agent:ops:fallback-1'], { HOME: state.path, PINCER_STATE_DIR: state.path });
    expect(history.code).toBe(0);
    expect(history.stdout).toMatch(/user: are you there\n.*assistant: \[scripted\] echo: are you there\n$/);
  });

  it('falls back when the state dir names no gateway at all', async () => {
    state = tempDir();
    const result = await runPincer(['agent', '-m', 'hi'], { HOME: state.path, PINCER_STATE_DIR: state.path });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('[scripted] echo: hi\n');
    expect(result.stderr).toBe(
      `No gateway is running for state dir ${state.path} (no gateway.json; PINCER_GATEWAY_URL is not set). Running the turn embedded (local fallback).\n`,
    );
  });

  it('runs --local embedded on the same state as a running gateway, without sending it a request', async () => {
    state = tempDir();
    const configPath = writeTwoAgentConfig(state.path);
    gateway = await startTestGateway({ stateDir: state.path, configPath });
    const env = { HOME: state.path, PINCER_STATE_DIR: state.path };
    const runsBefore = gateway.runtime.store.listRunsByStatus(['queued', 'running', 'ok', 'error', 'timeout']).length;
    const result = await runPincer(['agent', '-m', 'local please', '--session-key', 'agent:main:local-1', '--local', '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    expect(json(result)).toMatchObject({ ok: true, sessionKey: 'agent:main:local-1', reply: '[scripted] echo: local please' });
    // The gateway ran nothing itself, yet its store (the same SQLite) has the embedded run's session.
    const sessions = await runPincer(['sessions', 'show', 'agent:main:local-1', '--json'], env);
    expect(json(sessions)).toMatchObject({ ok: true, session: { key: 'agent:main:local-1' } });
    expect(gateway.runtime.store.listRunsByStatus(['queued', 'running']).length).toBe(0);
    expect(runsBefore).toBeGreaterThanOrEqual(0);
  });

  it('applies the seed-003 rejections to --local too (exit 2, nothing run)', async () => {
    state = tempDir();
    const env = { HOME: state.path, PINCER_STATE_DIR: state.path };
    const result = await runPincer(['agent', '-m', 'hi', '--session-key', 'agent:main', '--local', '--json'], env);
    expect(result.code).toBe(2);
    expect(json(result).error).toEqual({
      type: 'validation',
      code: 'SESSION_KEY_MALFORMED',
      message: 'Invalid --session-key "agent:main". Agent-prefixed session keys must use agent:<agent-id>:<session-key>.',
    });
    const { existsSync } = await import('node:fs');
    expect(existsSync(`${state.path}/pincer.db`)).toBe(false);
  });

  it("refuses an invalid config on the embedded path with exit 2 (the runtime's invalid_config), one line, nothing run", async () => {
    state = tempDir();
    const { writeFileSync, existsSync } = await import('node:fs');
    writeFileSync(`${state.path}/pincer.config.json`, JSON.stringify({ agents: [{ id: 'main', model: 42 }] }));
    const env = { HOME: state.path, PINCER_STATE_DIR: state.path };
    const [local, fallback] = await Promise.all([
      runPincer(['agent', '-m', 'hi', '--local', '--json'], env),
      runPincer(['agent', '-m', 'hi'], env),
    ]);
    expect(local.code, local.stderr).toBe(2);
    expect(json(local)).toMatchObject({ ok: false, error: { type: 'validation' } });
    expect((json(local).error as { message: string }).message).toMatch(/agents\[0\]\.model/);
    expect(local.stderr).toMatch(/^Error: [^\n]*agents\[0\]\.model[^\n]*\n$/);
    expect(fallback.code, fallback.stderr).toBe(2);
    expect(fallback.stdout).toBe('');
    expect(fallback.stderr).not.toMatch(/ {4}at /);
    expect(existsSync(`${state.path}/pincer.db`)).toBe(false);
  });

  it('fails commands that need a gateway with exit 1 and one line', async () => {
    state = tempDir();
    const result = await runPincer(['ps'], { HOME: state.path, PINCER_STATE_DIR: state.path });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `Error: No gateway is running for state dir ${state.path} (no gateway.json; PINCER_GATEWAY_URL is not set). Start one with "pincer gateway".\n`,
    );
    const status = await runPincer(['gateway', 'status'], { HOME: state.path, PINCER_STATE_DIR: state.path });
    expect(status.code).toBe(1);
  });
});
