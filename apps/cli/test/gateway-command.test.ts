import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, exitOf, firstLine, json, runPincer, spawnPincer, tempDir, type TempDir } from './helpers.js';

describe('pincer gateway (foreground)', () => {
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

  it('listens, answers status and agent turns, and stops cleanly on SIGTERM', async () => {
    state = tempDir();
    child = spawnPincer(['gateway', '--port', '0', '--state-dir', state.path, '--json'], { HOME: state.path, PINCER_LOG_LEVEL: 'silent' });
    const ready = JSON.parse(await firstLine(child)) as { ok: boolean; url: string; port: number; stateDir: string };
    expect(ready).toMatchObject({ ok: true, stateDir: state.path });
    expect(ready.url).toBe(`http://127.0.0.1:${ready.port}`);
    expect(existsSync(join(state.path, 'gateway.json'))).toBe(true);

    const env = { HOME: state.path, PINCER_STATE_DIR: state.path };
    const status = await runPincer(['gateway', 'status'], env);
    expect(status.code).toBe(0);
    expect(status.stdout).toBe(`Gateway running at ${ready.url} (pid ${child.pid}); state dir ${state.path}.\n`);

    const turn = await runPincer(['agent', '-m', 'ping', '--json'], env);
    expect(json(turn)).toMatchObject({ ok: true, sessionKey: 'agent:main:main', reply: '[scripted] echo: ping' });

    child.kill('SIGTERM');
    expect(await exitOf(child)).toBe(0);
    expect(existsSync(join(state.path, 'gateway.json'))).toBe(false);
    const down = await runPincer(['gateway', 'status', '--json'], env);
    expect(down.code).toBe(1);
    expect(json(down).error).toMatchObject({ type: 'gateway_unavailable' });
  });

  it('refuses a bad --port with exit 2', async () => {
    state = tempDir();
    const result = await runPincer(['gateway', '--port', '70000'], { HOME: state.path });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^Error: Option '--port <port>' argument '70000' is invalid/);
  });
});
