import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { createGatewayRuntime, startGateway, type GatewayRuntime } from '../src/index.js';

const dirs: string[] = [];
let rt: GatewayRuntime | undefined;
afterEach(async () => {
  await rt?.close();
  rt = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('createGatewayRuntime (embedded, `pincer agent --local`)', () => {
  it('runs a turn to completion on the same state dir and SQLite as the server', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pincer-rt-'));
    dirs.push(dir);
    rt = await createGatewayRuntime({ stateDir: dir });
    const r = await rt.runAgentTurn({ message: 'hi there', agentId: 'main', sessionKey: 'incident-7' });
    expect(r).toMatchObject({ sessionKey: 'agent:main:incident-7', reply: '[scripted] echo: hi there', status: 'ok' });
    const fg = await rt.runAgentTurn({ message: 'run: echo from-local' });
    expect(fg.reply).toContain('from-local');
    await rt.close();
    rt = undefined;
    // The server sees what the embedded runtime wrote.
    const gw = await startGateway({ port: 0, stateDir: dir, token: 't' });
    try {
      const res = await fetch(`${gw.url}/v1/sessions/${encodeURIComponent('agent:main:incident-7')}/transcript`, {
        headers: { authorization: 'Bearer t' },
      });
      const body = (await res.json()) as { entries: Array<{ text: string }> };
      expect(body.entries.map((e) => e.text)).toEqual(['hi there', '[scripted] echo: hi there']);
    } finally {
      await gw.close();
    }
  });

  it('rejects malformed keys before anything runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pincer-rt-'));
    dirs.push(dir);
    rt = await createGatewayRuntime({ stateDir: dir });
    await expect(rt.runAgentTurn({ message: 'x', sessionKey: 'agent:main' })).rejects.toThrow(
      'Invalid --session-key "agent:main". Agent-prefixed session keys must use agent:<agent-id>:<session-key>.',
    );
    expect(rt.store.sessions.list()).toEqual([]);
  });

  it('refuses what POST /v1/agent refuses (size limits), naming the field, before anything runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pincer-rt-'));
    dirs.push(dir);
    rt = await createGatewayRuntime({ stateDir: dir });
    await expect(rt.runAgentTurn({ message: 'x'.repeat(1_000_001) })).rejects.toMatchObject({ code: 'invalid_request', field: 'message' });
    await expect(rt.runAgentTurn({ message: 'x', sessionId: 's'.repeat(257) })).rejects.toMatchObject({
      code: 'invalid_request',
      field: 'sessionId',
    });
    expect(rt.store.sessions.list()).toEqual([]);
  });
});

describe('graceful close', () => {
  it('aborts a run blocked in a foreground command after the grace period, kills its tree and closes the DB', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pincer-close-'));
    dirs.push(dir);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'pincer.config.json'), JSON.stringify({ gateway: { shutdownGraceMs: 200 }, exec: { yieldMs: 60_000 } }));
    const gw = await startGateway({ port: 0, stateDir: dir, token: 't', logLevel: 'error' });
    const { runId } = gw.runtime.runs.submitTurn({ message: 'run: sleep 30', sessionKey: 'agent:main:blocked' });
    let pid: number | undefined;
    for (let i = 0; i < 200 && pid === undefined; i++) {
      pid = gw.runtime.processes.registry.snapshot().running[0]?.pid;
      if (pid === undefined) await new Promise((r) => setTimeout(r, 25));
    }
    expect(pid).toBeDefined();
    await gw.close();
    let isAlive = true;
    try {
      process.kill(pid!, 0);
    } catch {
      isAlive = false;
    }
    expect(isAlive).toBe(false);
    const db = new Database(join(dir, 'pincer.db'), { readonly: true });
    const row = db.prepare('SELECT status FROM runs WHERE id = ?').get(runId) as { status: string };
    db.close();
    expect(row.status).not.toBe('running');
    expect(row.status).not.toBe('queued');
  });
});

describe('process journal bound', () => {
  it('keeps the newest 1 000 finished processes while running, not only at start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pincer-journal-'));
    dirs.push(dir);
    const gw = await startGateway({ port: 0, stateDir: dir, token: 't', logLevel: 'error' });
    try {
      const store = gw.runtime.store;
      store.transaction(() => {
        for (let i = 0; i < 1_100; i++) {
          store.processes.start({
            id: `old-${i}`,
            pid: null,
            scopeKey: 'agent:main:x',
            sessionKey: null,
            command: 'true',
            cwd: '/',
            startedAt: i,
            status: 'running',
            record: null,
            gatewayPid: null,
          });
          store.processes.exit(`old-${i}`, { status: 'completed', exitCode: 0, signal: null, endedAt: i });
        }
      });
      expect(store.processes.list({ status: 'finished' }).length).toBe(1_100);
      const registry = gw.runtime.processes.registry;
      for (let i = 0; i < 50; i++) await registry.exec({ command: 'true', scopeKey: 'agent:main:journal' });
      const finished = store.processes.list({ status: 'finished' });
      expect(finished.length).toBeLessThanOrEqual(1_000);
      expect(finished.some((p) => p.id === 'old-0')).toBe(false); // the oldest went first
    } finally {
      await gw.close();
    }
  });
});
