import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../src/errors.js';
import { acquireGatewayLock, readGatewayLock, readProcessStartTime, GATEWAY_LOCK_FILE } from '../src/security/gateway-lock.js';

const fixture = fileURLToPath(new URL('./fixtures/hold-gateway-lock.ts', import.meta.url));
const tsx = createRequire(import.meta.url).resolve('tsx');

let stateDir: string;
const children: ChildProcess[] = [];
beforeEach(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'pincer-lock-'));
});
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(stateDir, { recursive: true, force: true });
});

function holdInChild(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', tsx, fixture, stateDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('\n')) output.startsWith('locked') ? resolve(child) : reject(new Error(output));
    });
    child.once('exit', (code) => reject(new Error(`fixture exited ${code}: ${output}`)));
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
}

describe('acquireGatewayLock', () => {
  it('refuses while another live process holds the lock, naming its pid and url', async () => {
    const holder = await holdInChild();
    let caught: unknown;
    try {
      acquireGatewayLock(stateDir);
    } catch (error) {
      caught = error;
    }
    expect(GatewayError.isInstance(caught)).toBe(true);
    expect((caught as GatewayError).code).toBe('conflict');
    expect((caught as GatewayError).message).toContain(`pid ${holder.pid}`);
    expect((caught as GatewayError).message).toContain(`http://127.0.0.1:1/${holder.pid}`);
    expect(readGatewayLock(stateDir)?.pid).toBe(holder.pid);
  });

  it('takes over a lock left by a SIGKILLed holder', async () => {
    const holder = await holdInChild();
    holder.kill('SIGKILL');
    await exited(holder);
    expect(readGatewayLock(stateDir)).toBeUndefined();
    const lock = acquireGatewayLock(stateDir);
    expect(JSON.parse(readFileSync(join(stateDir, GATEWAY_LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    lock.release();
  });

  it('treats a lock whose pid is alive but was reused by another process as stale', () => {
    // pid 1 is alive, but its start time is not the one recorded.
    const start = readProcessStartTime(1);
    writeFileSync(join(stateDir, GATEWAY_LOCK_FILE), JSON.stringify({ pid: 1, startTime: (start ?? 0) + 12345, acquiredAt: 1 }));
    const lock = acquireGatewayLock(stateDir);
    expect(readGatewayLock(stateDir)?.pid).toBe(process.pid);
    lock.release();
    expect(readGatewayLock(stateDir)).toBeUndefined();
  });

  it('a second process is refused while this one holds it, and gets it after release', async () => {
    const lock = acquireGatewayLock(stateDir);
    const refused = spawnSync(process.execPath, ['--import', tsx, fixture, stateDir], { encoding: 'utf8' });
    expect(refused.status).toBe(3);
    expect(refused.stdout).toContain(`another gateway is running on state dir ${stateDir} (pid ${process.pid}`);
    lock.release();
    const holder = await holdInChild();
    expect(readGatewayLock(stateDir)?.pid).toBe(holder.pid);
    holder.kill('SIGTERM');
    await exited(holder);
    expect(readGatewayLock(stateDir)).toBeUndefined();
  });

  it('release never removes a lock that another holder took over', () => {
    const lock = acquireGatewayLock(stateDir);
    writeFileSync(
      join(stateDir, GATEWAY_LOCK_FILE),
      JSON.stringify({ pid: process.pid, startTime: readProcessStartTime(process.pid), acquiredAt: 42 }),
    );
    lock.release();
    expect(readGatewayLock(stateDir)?.acquiredAt).toBe(42);
  });
});
