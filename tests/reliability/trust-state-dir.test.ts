/**
 * Trust boundaries of the state dir and the process (issue 14, items 13–15): the real gateway
 * binary (`apps/gateway/dist/main.js`) started on a real state dir it must refuse, or beside a
 * running gateway on the same dir. Every refusal is exit 1 naming the path (or the running
 * gateway) and the fix; nothing is chmod-ed behind the operator's back.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type ChildGateway,
  cleanEnv,
  disposeGateway,
  GATEWAY_MAIN,
  makeStateDir,
  requireBuiltApps,
  type StateDir,
  startChildGateway,
} from '../support/harness.js';

const states: StateDir[] = [];
const gateways: ChildGateway[] = [];
afterEach(async () => {
  for (const gw of gateways.splice(0)) await disposeGateway(gw);
  for (const state of states.splice(0)) state.remove();
});

function freshState(): StateDir {
  const state = makeStateDir({ agents: [{ id: 'main' }] }, 'pincer-trust-');
  states.push(state);
  return state;
}

/** Run the gateway on `state` and expect it to refuse: resolves with its exit code and output. */
function runRefused(state: StateDir, env: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
  requireBuiltApps();
  return new Promise((resolve) => {
    const proc = spawn(
      process.execPath,
      [GATEWAY_MAIN, '--port', '0', '--host', '127.0.0.1', '--state-dir', state.dir, '--config', state.configPath],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: cleanEnv(env),
      },
    );
    let output = '';
    proc.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    proc.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    // A gateway that wrongly starts is stopped so the test fails on its output instead of hanging.
    const guard = setInterval(() => {
      if (output.includes('listening on')) proc.kill('SIGKILL');
    }, 50);
    proc.once('exit', (code) => {
      clearInterval(guard);
      resolve({ code, output });
    });
  });
}

describe('the state dir belongs to the gateway user (item 13)', () => {
  it('refuses a group-writable state dir with exit 1, naming the path and the fix', async () => {
    const state = freshState();
    chmodSync(state.dir, 0o770);
    const { code, output } = await runRefused(state);
    expect(code).toBe(1);
    expect(output).toContain(state.dir);
    expect(output).toContain('fix:');
    expect(output).not.toContain('listening on');
  });

  it('refuses a token readable by others and leaves it as it was', async () => {
    const state = freshState();
    const token = join(state.dir, 'token');
    writeFileSync(token, `${'ab'.repeat(32)}\n`);
    chmodSync(token, 0o644);
    const { code, output } = await runRefused(state);
    expect(code).toBe(1);
    expect(output).toContain(token);
    expect(statSync(token).mode & 0o777).toBe(0o644);
  });

  it('refuses a token that is a symlink', async () => {
    const state = freshState();
    const target = join(state.dir, 'real-token');
    writeFileSync(target, `${'cd'.repeat(32)}\n`, { mode: 0o600 });
    symlinkSync(target, join(state.dir, 'token'));
    const { code, output } = await runRefused(state);
    expect(code).toBe(1);
    expect(output).toContain('symlink');
  });

  it('refuses a world-writable config file', async () => {
    const state = freshState();
    chmodSync(state.configPath, 0o666);
    const { code, output } = await runRefused(state);
    expect(code).toBe(1);
    expect(output).toContain(state.configPath);
  });

  it('creates the database and its side files 0600 and the token 0600', async () => {
    const state = freshState();
    const gw = await startChildGateway(state);
    gateways.push(gw);
    const turn = await gw.api('POST', '/v1/agent', { message: 'hello', sessionKey: 'agent:main:modes' });
    expect(turn.status).toBe(202);
    for (const file of ['pincer.db', 'pincer.db-wal', 'pincer.db-shm', 'token']) {
      const path = join(state.dir, file);
      if (existsSync(path)) expect(statSync(path).mode & 0o777, file).toBe(0o600);
    }
    expect(statSync(state.dir).mode & 0o777).toBe(0o700);
  });
});

describe('one gateway per state dir (item 14)', () => {
  it('a second gateway on the same dir exits 1 naming the running one, which keeps working', async () => {
    const state = freshState();
    const first = await startChildGateway(state);
    gateways.push(first);
    const { code, output } = await runRefused(state);
    expect(code).toBe(1);
    expect(output).toContain(`pid ${first.pid}`);
    expect(output).toContain(first.url);
    // The first keeps its discovery file and answers.
    expect(JSON.parse(readFileSync(join(state.dir, 'gateway.json'), 'utf8')).pid).toBe(first.pid);
    expect((await first.api('GET', '/v1/sessions')).status).toBe(200);
  });

  it('a gateway SIGKILLed leaves a stale lock that the next start takes over', async () => {
    const state = freshState();
    const first = await startChildGateway(state);
    await first.kill9();
    const second = await startChildGateway(state);
    gateways.push(second);
    expect((await second.api('GET', '/v1/sessions')).status).toBe(200);
  });
});

describe('storage faults (item 15)', () => {
  it('refuses a zero-byte database instead of starting empty', async () => {
    const state = freshState();
    writeFileSync(join(state.dir, 'pincer.db'), '', { mode: 0o600 });
    const { code, output } = await runRefused(state);
    expect(code).toBe(1);
    expect(output).toContain('empty (0 bytes)');
  });

  it('refuses a file that is not a database', async () => {
    const state = freshState();
    mkdirSync(join(state.dir, 'x'), { recursive: true });
    writeFileSync(join(state.dir, 'pincer.db'), 'definitely not sqlite, but long enough to have a header', { mode: 0o600 });
    const { code, output } = await runRefused(state);
    expect(code).toBe(1);
    expect(output).toContain('not an SQLite database');
  });
});
