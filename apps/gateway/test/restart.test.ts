import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'main.js');

interface Child {
  proc: ChildProcess;
  url: string;
  out: () => string;
}

const children: ChildProcess[] = [];
const dirs: string[] = [];
const pids: number[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const p of pids.splice(0)) {
    try {
      process.kill(-p, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function startChild(stateDir: string, configPath: string): Promise<Child> {
  const proc = spawn(process.execPath, [MAIN, '--port', '0', '--state-dir', stateDir, '--config', configPath], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PINCER_GATEWAY_TOKEN: '' },
  });
  children.push(proc);
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 20_000;
  while (!/listening on (\S+)/.test(out)) {
    if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`gateway did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return { proc, url: /listening on (\S+)/.exec(out)![1]!, out: () => out };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until<T>(check: () => Promise<T | undefined | false>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await check();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out: ${what}`);
}

describe('SIGKILL and restart', () => {
  it('keeps queued events, journaled output, announcements and cron; reaps orphans; SIGTERM is clean', async () => {
    // The real binary is what restarts in production; a missing build must fail, not skip.
    expect(existsSync(MAIN), `${MAIN} is missing: run "pnpm --filter @pincer/gateway build" first`).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'pincer-restart-'));
    dirs.push(dir);
    const configPath = join(dir, 'pincer.config.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        wake: { eventCooldownMs: 0, coalesceMs: 0, busyRetryMs: 100 },
        agents: [{ id: 'main', allowAgents: ['ops'] }, { id: 'ops' }],
      }),
    );
    let gw = await startChild(dir, configPath);
    const token = readFileSync(join(dir, 'token'), 'utf8').trim();
    const api = async <T = Record<string, unknown>>(method: string, path: string, body?: unknown) => {
      const res = await fetch(`${gw.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return { status: res.status, body: (await res.json()) as T };
    };
    const turn = async (message: string, sessionKey: string, wait = true) => {
      const r = await api<{ runId: string }>('POST', '/v1/agent', { message, sessionKey });
      if (!wait) return { runId: r.body.runId, reply: '' };
      const w = await api<{ reply: string }>('GET', `/v1/runs/${r.body.runId}?waitMs=15000`);
      return { runId: r.body.runId, reply: w.body.reply };
    };
    const transcript = async (k: string) =>
      (await api<{ entries?: Array<{ role: string; text: string }> }>('GET', `/v1/sessions/${encodeURIComponent(k)}/transcript`)).body
        .entries ?? [];
    type Proc = { id: string; pid: number; status: string; sessionKey: string; source?: string };
    const processes = async () => (await api<{ processes: Proc[] }>('GET', '/v1/processes')).body.processes;

    // A: a long-running background process (an orphan-to-be).
    const a = await turn('run in background: sleep 300', 'agent:main:orphan');
    const aId = /as (\S+) \(running\)/.exec(a.reply)![1]!;
    const aPid = (await processes()).find((p) => p.id === aId)!.pid;
    pids.push(aPid);
    // B: a process that finishes before the crash.
    const b = await turn('run in background: echo journal-line-xyz', 'agent:main:jr');
    const bId = /as (\S+) \(running\)/.exec(b.reply)![1]!;
    await until(async () => (await processes()).find((p) => p.id === bId && p.status === 'completed'), 'B finished');
    // C: an exit notice queued while its session's lane is busy.
    await turn('run in background: sleep 0.3; echo queued-evt', 'agent:main:busy');
    const blocker = await turn('run: sleep 20', 'agent:main:busy', false);
    await until(async () => {
      const s = await api<{ queuedEvents: number }>('GET', `/v1/sessions/${encodeURIComponent('agent:main:busy')}`);
      return s.body.queuedEvents >= 1;
    }, 'queued event');
    // D: a sub-agent still running at crash time.
    const spawnReply = await turn('spawn ops as slow: run: sleep 20', 'agent:main:main');
    expect(spawnReply.reply).toContain('accepted agent:ops:subagent:slow');
    await until(
      async () => (await processes()).some((p) => p.sessionKey === 'agent:ops:subagent:slow' && p.status === 'running'),
      'child running',
    );
    // E: a one-shot cron job due while the gateway is down.
    const job = await api<{ id: string }>('POST', '/v1/cron', { sessionKey: 'agent:main:cronny', in: '2s', text: 'missed-while-down' });
    expect(job.status).toBe(201);
    const leftover = (await processes()).filter((p) => p.status === 'running').map((p) => p.pid);
    pids.push(...leftover);

    gw.proc.kill('SIGKILL');
    await new Promise<void>((r) => gw.proc.once('exit', () => r()));
    expect(alive(aPid)).toBe(true);

    // The dead gateway's database: the event is still queued, B's output is journaled.
    const db = new Database(join(dir, 'pincer.db'), { readonly: true });
    const queued = db.prepare('SELECT body FROM system_events WHERE session_key = ?').all('agent:main:busy') as Array<{ body: string }>;
    expect(queued.map((r) => JSON.parse(r.body).text as string).join('\n')).toContain('queued-evt');
    const bRow = db.prepare('SELECT output, status FROM processes WHERE id = ?').get(bId) as { output: string; status: string };
    expect(bRow).toMatchObject({ status: 'completed' });
    expect(bRow.output).toContain('journal-line-xyz');
    db.close();
    await new Promise((r) => setTimeout(r, 2_200)); // let the cron job come due while down

    gw = await startChild(dir, configPath);
    // Orphans reaped (the pid is gone, journal says killed).
    await until(async () => !alive(aPid), 'orphan reaped');
    for (const p of leftover) await until(async () => !alive(p), `leftover ${p} reaped`);
    const after = await processes();
    expect(after.find((p) => p.id === aId)).toMatchObject({ status: 'killed', source: 'journal' });
    // Finished output still readable.
    const log = await api<{ output: string; source: string }>('GET', `/v1/processes/${bId}/log`);
    expect(log.body).toMatchObject({ source: 'journal' });
    expect(log.body.output).toContain('journal-line-xyz');
    // The queued event is delivered in its session's next heartbeat turn.
    await until(
      async () => (await transcript('agent:main:busy')).some((e) => e.role === 'user' && e.text.includes('queued-evt')),
      'queued event delivered',
    );
    // The interrupted run is reported, not silently replayed.
    const interrupted = await api<{ status: string; error: string }>('GET', `/v1/runs/${blocker.runId}`);
    expect(interrupted.body).toMatchObject({ status: 'error', error: expect.stringContaining('interrupted') });
    // The sub-agent's announcement resumes: exactly one, saying it failed.
    const notice = await until(async () => {
      const t = await transcript('agent:main:main');
      const hits = t.filter((e) => e.role === 'user' && e.text.includes('Sub-agent failed (agent:ops:subagent:slow'));
      return hits.length > 0 ? hits : undefined;
    }, 'announcement');
    expect(notice).toHaveLength(1);
    // Cron caught up exactly once.
    await until(async () => (await transcript('agent:main:cronny')).some((e) => e.text.includes('missed-while-down')), 'cron catch-up');
    const runs = await api<{ runs: unknown[] }>('GET', `/v1/cron/${job.body.id}/runs`);
    expect(runs.body.runs).toHaveLength(1);

    // SIGTERM: graceful stop, discovery file removed.
    gw.proc.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => gw.proc.once('exit', (c) => r(c)));
    expect(code).toBe(0);
    expect(gw.out()).toContain('pincer gateway stopped (SIGTERM)');
    expect(existsSync(join(dir, 'gateway.json'))).toBe(false);
  }, 90_000);
});
