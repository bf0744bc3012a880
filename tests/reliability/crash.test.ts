/**
 * Crash: SIGKILL the gateway (a child process) during (a) a run, (b) output floods, (c) a pending
 * sub-agent announcement; restart it on the same state dir. Asserted: no process the dead gateway
 * started survives (found through /proc by the environment marker every one of them inherits),
 * no queued event is lost, no announcement is delivered twice — also across a second crash.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ROOT,
  type ChildGateway,
  type StateDir,
  FAST_WAKE,
  disposeGateway,
  isAlive,
  makeStateDir,
  markedPids,
  startChildGateway,
  startedId,
  storyApi,
  until,
} from '../support/harness.js';

const requireFromGateway = createRequire(join(ROOT, 'apps', 'gateway', 'package.json'));

/** Chars of output the journal (SQLite) holds for a process, read-only while the gateway runs. */
function journaledChars(stateDir: string, id: string): number {
  const Database = requireFromGateway('better-sqlite3') as new (
    path: string,
    o: { readonly: boolean },
  ) => {
    prepare(sql: string): { get(...a: unknown[]): { n: number } | undefined };
    close(): void;
  };
  const db = new Database(join(stateDir, 'pincer.db'), { readonly: true });
  try {
    return db.prepare('SELECT length(output) AS n FROM processes WHERE id = ?').get(id)?.n ?? 0;
  } finally {
    db.close();
  }
}

const CONFIG = { wake: FAST_WAKE, agents: [{ id: 'main', allowAgents: ['research'] }, { id: 'research' }] };

let state: StateDir | undefined;
let gw: ChildGateway | undefined;
afterEach(async () => {
  const strays = await disposeGateway(gw, state);
  gw = undefined;
  state = undefined;
  expect(strays, 'processes the test had to kill itself').toEqual([]);
});

/** SIGKILL, then restart on the same state dir with the same marker; returns the orphans at crash time. */
async function crashAndRestart(): Promise<number[]> {
  const old = gw!;
  const orphans = markedPids(old.mark, [old.pid]);
  await old.kill9();
  gw = await startChildGateway(state!, { mark: old.mark });
  return orphans;
}

/** Every process started before the crash is gone (bounded wait), and nothing carries the marker but the new gateway. */
async function expectNoOrphans(orphans: number[]): Promise<void> {
  await until(() => orphans.every((pid) => !isAlive(pid)), `orphans ${orphans.join(',')} reaped`, 20_000);
  expect(markedPids(gw!.mark, [gw!.pid]).filter((pid) => orphans.includes(pid))).toEqual([]);
}

const userEntriesWith = async (api: ReturnType<typeof storyApi>, key: string, needle: string) =>
  (await api.transcript(key)).filter((e) => e.role === 'user' && e.text.includes(needle)).length;

describe('SIGKILL and restart', () => {
  it('(a) during a run: the run is reported interrupted, its queued event is delivered once, its process reaped', async () => {
    state = makeStateDir(CONFIG, 'pincer-crash-a-');
    gw = await startChildGateway(state);
    let api = storyApi(gw);
    const key = 'agent:main:work';
    const bg = startedId((await api.turn({ sessionKey: key, message: 'run in background: sleep 0.3; echo event-a-xyz' })).reply);
    const notice = `Exec completed (${bg}, code 0) :: event-a-xyz`;
    const running = await gw.api<{ runId: string }>('POST', '/v1/agent', { sessionKey: key, message: 'run: sleep 30' });
    await until(
      async () => (await api.processes(key)).some((p) => p.command === 'sleep 30' && p.status === 'running'),
      "the run's command running",
    );
    await until(async () => ((await api.session(key)).body.queuedEvents ?? 0) >= 1, 'the exit notice queued behind the busy run');
    const before = (await gw.api<{ status: string }>('GET', `/v1/runs/${running.body.runId}`)).body.status;
    expect(before).toBe('running');

    const orphans = await crashAndRestart();
    api = storyApi(gw);
    expect(orphans.length).toBeGreaterThan(0);
    await expectNoOrphans(orphans);
    const run = await gw.api<{ status: string; error?: string }>('GET', `/v1/runs/${running.body.runId}`);
    expect(run.body).toMatchObject({ status: 'error', error: expect.stringContaining('interrupted') });
    await until(async () => (await userEntriesWith(api, key, notice)) > 0, 'the queued event delivered');
    // A later turn in the same session proves it is not delivered a second time.
    await api.turn({ sessionKey: key, message: 'anything new?' });
    expect(await userEntriesWith(api, key, notice)).toBe(1);
    expect((await api.session(key)).body.queuedEvents).toBe(0);
    expect(await gw.stop()).toBe(0);
  });

  it('(b) during output floods: every flooding shell is reaped, even one that ignores SIGPIPE; output stays readable', async () => {
    state = makeStateDir(CONFIG, 'pincer-crash-b-');
    gw = await startChildGateway(state);
    let api = storyApi(gw);
    const shells: Array<{ id: string; marker: string }> = [];
    for (let i = 0; i < 6; i++) {
      const marker = `flood-b-${i}`;
      // Half of them keep running after the gateway's pipe breaks (SIGPIPE ignored, write errors ignored).
      const cmd = i % 2 === 0 ? `yes ${marker}` : `trap '' PIPE; while :; do echo ${marker} 2>/dev/null; done`;
      const r = await api.turn({ sessionKey: `agent:main:flood-${i % 3}`, message: `run in background: ${cmd}` });
      shells.push({ id: startedId(r.reply), marker });
    }
    await until(async () => {
      const list = await api.processes();
      return shells.every((s) => (list.find((p) => p.id === s.id)?.tail ?? '').includes(s.marker));
    }, 'every shell flooding');
    // Output is journaled in batches (every ~200 ms); the crash comes once every shell has a batch on disk.
    const t0 = Date.now();
    await until(() => shells.every((s) => journaledChars(state!.dir, s.id) > 0), 'every shell journaled', 20_000);
    console.log(`(b) journal caught up ${Date.now() - t0} ms after the registry had output for all ${shells.length} floods`);

    const orphans = await crashAndRestart();
    api = storyApi(gw);
    await expectNoOrphans(orphans);
    const after = await api.processes();
    for (const s of shells) {
      const p = after.find((x) => x.id === s.id);
      expect(p?.status, s.marker).not.toBe('running');
      const log = await gw.api<{ output: string }>('GET', `/v1/processes/${s.id}/log?limit=5`);
      expect(log.status).toBe(200);
      expect(log.body.output, `${s.marker}: ${JSON.stringify(p)} ${log.text.slice(0, 300)}`).toContain(s.marker);
    }
    expect(await gw.stop()).toBe(0);
  });

  it('(c) during a pending announcement: announced exactly once after the restart, and after a second crash', async () => {
    state = makeStateDir(CONFIG, 'pincer-crash-c-');
    gw = await startChildGateway(state);
    let api = storyApi(gw);
    const req = 'agent:main:req';
    const quick = await api.turn({ sessionKey: req, message: 'spawn research as quick: hello there' });
    const quickRun = /accepted \S+ (\S+)/.exec(quick.reply)?.[1];
    expect(quickRun, quick.reply).toBeDefined();
    await until(async () => (await userEntriesWith(api, req, `run ${quickRun})`)) > 0, 'the quick announcement');
    const slow = await api.turn({ sessionKey: req, message: 'spawn research as slow: run: sleep 30' });
    const slowRun = /accepted \S+ (\S+)/.exec(slow.reply)?.[1];
    expect(slowRun, slow.reply).toBeDefined();
    await until(
      async () => (await api.processes('agent:research:subagent:slow')).some((p) => p.status === 'running'),
      'the sub-agent working',
    );

    const orphans = await crashAndRestart();
    api = storyApi(gw);
    await expectNoOrphans(orphans);
    await until(async () => (await userEntriesWith(api, req, `run ${slowRun})`)) > 0, 'the pending announcement resumed', 30_000);

    // A second crash and restart must not announce anything again.
    const orphans2 = await crashAndRestart();
    api = storyApi(gw);
    await expectNoOrphans(orphans2);
    await api.turn({ sessionKey: req, message: 'status?' });
    expect(await userEntriesWith(api, req, `run ${slowRun})`)).toBe(1);
    expect(await userEntriesWith(api, req, `run ${quickRun})`)).toBe(1);
    expect((await api.session(req)).body.queuedEvents).toBe(0);
    expect(await gw.stop()).toBe(0);
  });
});
