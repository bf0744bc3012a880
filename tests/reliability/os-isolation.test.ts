/**
 * OS-level isolation matrix through the real gateway (child process, real bwrap, real shells): a
 * shell of session A against session B and the gateway itself. Also the clean environment with the
 * sandbox off, `required` without a working bwrap (refused, nothing runs) and `auto` without one
 * (runs, and says so). Without bwrap on the machine the suite skips loudly; under CI=true it fails.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type ChildGateway,
  disposeGateway,
  FAST_WAKE,
  isAlive,
  makeStateDir,
  type StateDir,
  startChildGateway,
  startedId,
  storyApi,
  until,
} from '../support/harness.js';

function findBwrap(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v bwrap'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}
const BWRAP = findBwrap();
const IS_CI = process.env.CI === 'true';
if (!BWRAP) console.warn('\n*** os-isolation: bwrap is not installed: the sandbox matrix is SKIPPED (apt-get install bubblewrap) ***\n');

const A = 'agent:main:alpha';
const B = 'agent:main:beta';
const PROVIDER_KEY_ENV = 'SENTINEL_PROVIDER_API_KEY';

/** Config with a provider whose key variable (and a PINCER_ variable) are listed in passEnv: both must still be denied. */
function configWith(sandbox: Record<string, unknown>) {
  return {
    wake: FAST_WAKE,
    agents: [{ id: 'main' }],
    providers: { sentinel: { type: 'openai-compatible', baseUrl: 'http://127.0.0.1:9/v1', apiKeyEnv: PROVIDER_KEY_ENV } },
    exec: { passEnv: [PROVIDER_KEY_ENV, 'PINCER_SENTINEL_SECRET'] },
    sandbox,
  };
}

/** Gateway env with sentinel secrets the shells must never see. */
function sentinels() {
  return { PINCER_SENTINEL_SECRET: `pincer-sentinel-${randomUUID()}`, [PROVIDER_KEY_ENV]: `provider-sentinel-${randomUUID()}` };
}

const workspaceOf = (stateDir: string, scopeKey: string) =>
  join(stateDir, 'workspaces', createHash('sha256').update(scopeKey, 'utf8').digest('hex').slice(0, 32));

/** Pids whose command line contains `needle` (a /proc scan, not the registry). */
function pidsWithCmdline(needle: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'latin1').includes(needle) && isAlive(Number(name))) found.push(Number(name));
    } catch {
      // gone
    }
  }
  return found;
}

/** Lines between `BEGIN name` and `END name` of a command's output. */
function section(output: string, name: string): string {
  const match = new RegExp(`BEGIN ${name}\\n([\\s\\S]*?)END ${name}`).exec(output);
  return match?.[1] ?? '';
}

/**
 * The env check shared by every mode: nothing of the gateway's secrets. Sandboxed shells hold no
 * PINCER_* at all (their PID namespace finds them); unsandboxed ones exactly one, the registry's
 * documented marker `PINCER_PROCESS_ID=<the shell's own id>` (how escaped descendants are found).
 */
function expectCleanEnv(envText: string, secrets: Record<string, string>, token: string, shell: { markerId: string | undefined }) {
  for (const value of [...Object.values(secrets), token]) expect(envText).not.toContain(value);
  expect(envText).not.toMatch(new RegExp(`^${PROVIDER_KEY_ENV}=`, 'm'));
  const pincerLines = envText.split('\n').filter((line) => line.startsWith('PINCER_'));
  expect(pincerLines).toEqual(shell.markerId === undefined ? [] : [`PINCER_PROCESS_ID=${shell.markerId}`]);
}

let gw: ChildGateway | undefined;
let state: StateDir | undefined;
afterEach(async () => {
  const strays = await disposeGateway(gw, state);
  gw = undefined;
  state = undefined;
  expect(strays, 'processes the test had to kill itself').toEqual([]);
});

describe.runIf(!BWRAP && IS_CI)('os isolation (CI)', () => {
  it('needs bwrap under CI', () => {
    expect(BWRAP, 'bwrap must be installed in CI (.ci/run installs bubblewrap)').toBeDefined();
  });
});

describe.skipIf(!BWRAP)('os isolation: a shell of session A against session B and the gateway', () => {
  it('sees, signals, reads and writes nothing of B, the gateway or the host; its env holds no secret', async () => {
    state = makeStateDir(configWith({ mode: 'required' }), 'pincer-osiso-');
    const secrets = sentinels();
    gw = await startChildGateway(state, { env: secrets });
    const api = storyApi(gw);
    const status = await gw.api<{ mode: string; effect: string; namespaces: string[]; workspaceRoot: string }>('GET', '/v1/sandbox');
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ mode: 'required', effect: 'sandboxed', workspaceRoot: join(state.dir, 'workspaces') });
    expect(status.body.namespaces).toEqual(expect.arrayContaining(['pid', 'mnt']));

    // B: a long shell and a file in its workspace.
    const bId = startedId(
      (await api.turn({ sessionKey: B, message: 'run in background: echo beta-secret-file > beta.txt; exec sleep 3001' })).reply,
    );
    const bView = await until(
      async () => (await api.processes(B)).find((p) => p.id === bId && p.status === 'running' && p.pid),
      "B's shell running",
    );
    const bWorkspace = workspaceOf(state.dir, B);
    await until(async () => existsSync(join(bWorkspace, 'beta.txt')), "B's file written");
    // Every host pid of B's sandbox (bwrap, its init, the sleep), found in /proc.
    const bPids = pidsWithCmdline('sleep 3001');
    expect(bPids.length).toBeGreaterThan(0);
    const bPid = bPids.at(-1)!;
    const stray = `stray-${randomUUID().slice(0, 8)}`;
    const script = [
      'echo BEGIN ps; ps ax -o args=; echo END ps',
      `for pid in ${bPids.join(' ')}; do kill -0 $pid 2>/dev/null && echo SIGNAL_B=yes; done; echo SIGNAL_B=no`,
      `kill -0 ${bView.pid} 2>/dev/null && echo SIGNAL_B_LEADER=yes || echo SIGNAL_B_LEADER=no`,
      `kill -TERM ${gw.pid} 2>/dev/null && echo SIGNAL_GW=yes || echo SIGNAL_GW=no`,
      `cat ${join(state.dir, 'token')} 2>/dev/null && echo READ_TOKEN=yes || echo READ_TOKEN=no`,
      `head -c 15 ${join(state.dir, 'pincer.db')} 2>/dev/null && echo READ_DB=yes || echo READ_DB=no`,
      `cat ${join(bWorkspace, 'beta.txt')} 2>/dev/null && echo READ_B=yes || echo READ_B=no`,
      `echo x > ${join(state.dir, stray)} 2>/dev/null && echo WRITE_STATE=yes || echo WRITE_STATE=no`,
      `echo x > ${join(bWorkspace, stray)} 2>/dev/null && echo WRITE_B=yes || echo WRITE_B=no`,
      `echo x > /etc/${stray} 2>/dev/null && echo WRITE_ETC=yes || echo WRITE_ETC=no`,
      `echo x > /usr/${stray} 2>/dev/null && echo WRITE_USR=yes || echo WRITE_USR=no`,
      `echo x > ./${stray} && echo WRITE_OWN=yes || echo WRITE_OWN=no`,
      'echo BEGIN env; env; echo END env',
    ].join('; ');
    const turn = await api.turn({ sessionKey: A, message: `run: ${script}` });
    const output = turn.reply;
    expect(output).toMatch(/^WRITE_OWN=yes$/m);
    const psLines = section(output, 'ps').trim().split('\n');
    expect(psLines.join('\n')).not.toContain('sleep 3001');
    expect(psLines.length).toBeLessThanOrEqual(4); // bwrap init, prlimit→bash, ps (and nothing of B)
    for (const check of [
      'SIGNAL_B',
      'SIGNAL_B_LEADER',
      'SIGNAL_GW',
      'READ_TOKEN',
      'READ_DB',
      'READ_B',
      'WRITE_STATE',
      'WRITE_B',
      'WRITE_ETC',
      'WRITE_USR',
    ]) {
      // Whole lines only: ps shows bwrap's command line, which quotes this script.
      expect(output, check).toMatch(new RegExp(`^${check}=no$`, 'm'));
      expect(output, check).not.toMatch(new RegExp(`^${check}=yes$`, 'm'));
    }
    expect(output).not.toContain(gw.token);
    expect(output).not.toContain('SQLite format');
    expect(output).not.toContain('beta-secret-file');
    expect(isAlive(gw.pid)).toBe(true);
    expect(isAlive(bPid)).toBe(true);
    for (const path of [join(state.dir, stray), join(bWorkspace, stray), `/etc/${stray}`, `/usr/${stray}`])
      expect(existsSync(path), path).toBe(false);
    expect(existsSync(join(workspaceOf(state.dir, A), stray))).toBe(true);
    expectCleanEnv(section(output, 'env'), secrets, gw.token, { markerId: undefined });

    // Every view says the shells are sandboxed.
    const views = await api.processes();
    expect(views.length).toBeGreaterThanOrEqual(2);
    for (const view of views) expect((view as { sandbox?: unknown }).sandbox).toMatchObject({ isSandboxed: true, backend: 'bwrap' });
    // The deny list was announced at start, one line per denied name.
    expect(gw.output()).toContain(`names ${PROVIDER_KEY_ENV}: never passed to a shell`);
    expect(gw.output()).toContain('names PINCER_SENTINEL_SECRET: never passed to a shell');
    expect(await gw.api('POST', `/v1/processes/${bId}/kill`)).toMatchObject({ status: 200 });
    expect(await gw.stop()).toBe(0);
  });
});

describe('os isolation: the clean environment without the sandbox', () => {
  it('mode off: shells run unsandboxed (and say so) with only their own id marker and no provider key', async () => {
    state = makeStateDir(configWith({ mode: 'off' }), 'pincer-osiso-off-');
    const secrets = sentinels();
    gw = await startChildGateway(state, { env: secrets });
    const api = storyApi(gw);
    const turn = await api.turn({ sessionKey: A, message: 'run: echo BEGIN env; env; echo END env' });
    const views = await api.processes(A);
    expect(views).toHaveLength(1);
    expectCleanEnv(section(turn.reply, 'env'), secrets, gw.token, { markerId: views[0]!.id });
    expect(views[0]).toMatchObject({ sandbox: { isSandboxed: false, reason: 'sandbox mode is off' } });
    expect((await gw.api('GET', '/v1/sandbox')).body).toMatchObject({ mode: 'off', effect: 'unsandboxed' });
    expect(gw.output()).toMatch(/sandbox: mode off: shells run unsandboxed/);
    expect(await gw.stop()).toBe(0);
  });
});

describe('os isolation: without a working bwrap', () => {
  it('required: every exec fails with SANDBOX_UNAVAILABLE and nothing runs', async () => {
    state = makeStateDir(configWith({ mode: 'required', bwrapPath: '/nonexistent/bwrap' }), 'pincer-osiso-req-');
    gw = await startChildGateway(state);
    const api = storyApi(gw);
    const marker = `must-not-run-${randomUUID()}`;
    const turn = await api.turn({ sessionKey: A, message: `run in background: echo ${marker}; sleep 30 # ${marker}` });
    expect(turn.reply).toContain('(error)');
    const toolEntries = (await api.transcript(A)).filter((entry) => entry.role === 'tool').map((entry) => entry.text);
    expect(toolEntries.join('\n')).toContain('SANDBOX_UNAVAILABLE');
    expect(pidsWithCmdline(marker)).toEqual([]);
    expect(await api.processes(A)).toEqual([]);
    const status = await gw.api<{ effect: string; probe: { ok: boolean; reason?: string } }>('GET', '/v1/sandbox');
    expect(status.body).toMatchObject({ mode: 'required', effect: 'refused', probe: { ok: false } });
    expect(status.body.probe.reason).toBeTruthy();
    expect(gw.output()).toContain('every exec is refused (SANDBOX_UNAVAILABLE)');
    expect(await gw.stop()).toBe(0);
  });

  it('auto: shells run unsandboxed, and the start warning, the status and each view say so', async () => {
    state = makeStateDir(configWith({ mode: 'auto', bwrapPath: '/nonexistent/bwrap' }), 'pincer-osiso-auto-');
    gw = await startChildGateway(state);
    const api = storyApi(gw);
    const turn = await api.turn({ sessionKey: A, message: 'run: echo auto-fallback-ran' });
    expect(turn.reply).toContain('auto-fallback-ran');
    const views = await api.processes(A);
    expect(views[0]).toMatchObject({ sandbox: { isSandboxed: false } });
    expect((views[0] as { sandbox?: { reason?: string } }).sandbox?.reason).toContain('sandbox unavailable');
    expect((await gw.api('GET', '/v1/sandbox')).body).toMatchObject({ mode: 'auto', effect: 'unsandboxed', probe: { ok: false } });
    const warnings = gw
      .output()
      .split('\n')
      .filter((line) => line.includes('shells run UNSANDBOXED'));
    expect(warnings).toHaveLength(1);
    expect(await gw.stop()).toBe(0);
  });
});

describe.skipIf(!BWRAP)('os isolation: restarts', () => {
  it('sandboxed shells die with a SIGKILLed gateway; each is journaled killed and its session gets exactly one notice', async () => {
    state = makeStateDir(configWith({ mode: 'required' }), 'pincer-osiso-restart-');
    gw = await startChildGateway(state);
    let api = storyApi(gw);
    const shells: Array<{ id: string; sessionKey: string }> = [];
    for (const [index, sessionKey] of [A, A, B].entries()) {
      const id = startedId(
        (await api.turn({ sessionKey, message: `run in background: setsid sleep 400${index} & exec sleep 410${index}` })).reply,
      );
      shells.push({ id, sessionKey });
    }
    await until(
      async () => (await api.processes()).filter((view) => view.status === 'running').length === shells.length,
      'every shell running',
    );
    const before = shells.flatMap((_, index) => [...pidsWithCmdline(`sleep 400${index}`), ...pidsWithCmdline(`sleep 410${index}`)]);
    expect(before.length).toBeGreaterThanOrEqual(shells.length * 2);
    const mark = gw.mark;
    await gw.kill9();
    // --die-with-parent: nothing of any sandbox outlives the gateway (found in /proc, not by asking).
    await until(async () => before.every((pid) => !isAlive(pid)), 'every sandboxed process gone with the gateway', 10_000);
    gw = await startChildGateway(state, { mark });
    api = storyApi(gw);
    const views = await api.processes();
    for (const shell of shells) expect(views.find((view) => view.id === shell.id)).toMatchObject({ status: 'killed', source: 'journal' });
    const noticesOf = async (sessionKey: string, id: string) =>
      (await api.transcript(sessionKey)).filter(
        (entry) => entry.role === 'user' && entry.text.includes(`Exec killed by a gateway restart (${id}`),
      ).length;
    for (const shell of shells)
      await until(async () => (await noticesOf(shell.sessionKey, shell.id)) > 0, `the restart notice of ${shell.id}`);
    // A later turn and a second restart prove each notice is delivered exactly once.
    await api.turn({ sessionKey: A, message: 'anything new?' });
    expect(await gw.stop()).toBe(0);
    gw = await startChildGateway(state, { mark });
    api = storyApi(gw);
    await api.turn({ sessionKey: A, message: 'and now?' });
    await api.turn({ sessionKey: B, message: 'and now?' });
    for (const shell of shells) expect(await noticesOf(shell.sessionKey, shell.id), shell.id).toBe(1);
    expect(await gw.stop()).toBe(0);
  });
});
