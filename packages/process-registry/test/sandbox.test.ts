import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProcessRegistryError, createBwrapSandbox, createProcessRegistry, workspaceDirName } from '../src/index.js';
import { waitFor } from '../src/testing.js';
import { makeRegistry, nextExit, pollUntil, rejectionOf } from './helpers.js';
import { describeWithBwrap, makeBrokenBinary, makeSandboxDirs, pidsWithMarker } from './sandbox-helpers.js';

/**
 * Bound on waiting for a test's own processes to appear (set-up, not the behaviour under test): the
 * full suite runs beside floods of shells on a 2-core machine, where forking can take seconds.
 */
const SETUP_WAIT_MS = 20_000;

const A = 'agent:ops:dm-alice';
const B = 'agent:ops:group-42';

/** Host pids in the pid namespace `inode` (zombies excluded). */
function namespaceMembers(inode: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readlinkSync(`/proc/${name}/ns/pid`) !== inode) continue;
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z') out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

describeWithBwrap('bwrap sandbox', () => {
  it('probes a real bwrap run: namespaces, no-new-privileges, no capabilities and the limits in force', async () => {
    const dirs = makeSandboxDirs();
    const sandbox = createBwrapSandbox({ workspaceRoot: dirs.workspaceRoot, hiddenPaths: [dirs.stateDir, dirs.configDir] });
    const probe = await sandbox.probe();
    expect(probe).toMatchObject({
      ok: true,
      backend: 'bwrap',
      mode: 'auto',
      reason: undefined,
      network: 'host',
      workspaceRoot: dirs.workspaceRoot,
    });
    expect(probe.version).toMatch(/^\d+\.\d+/);
    expect(probe.namespaces).toEqual(expect.arrayContaining(['pid', 'mnt', 'ipc', 'uts']));
    expect(probe.namespaces).not.toContain('net');
    expect(probe.isNoNewPrivileges).toBe(true);
    expect(probe.hasNoCapabilities).toBe(true);
    expect(probe.limits).toEqual({
      maxProcesses: 1024,
      maxFileSizeBytes: 4 * 1024 ** 3,
      cpuSeconds: 3600,
      addressSpaceBytes: 8 * 1024 ** 3,
    });
    expect(await sandbox.probe()).toBe(probe); // cached
    const none = await createBwrapSandbox({ workspaceRoot: dirs.workspaceRoot, network: 'none' }).probe();
    expect(none.namespaces).toContain('net');
  });

  it("keeps a shell of scope A away from B's processes, B's workspace, the hidden state and the runner", async () => {
    const dirs = makeSandboxDirs();
    const sandbox = createBwrapSandbox({ workspaceRoot: dirs.workspaceRoot, hiddenPaths: [dirs.stateDir, dirs.configDir] });
    const registry = makeRegistry({ sandbox });
    // The marker appears only in the sleeper's argv (the command text spells it as an expression).
    const bMarker = `b-42-${process.pid}`;
    const bRun = await registry.exec({
      command: `echo b-secret > b.txt; exec -a "b-$((6 * 7))-${process.pid}" sleep 300`,
      scopeKey: B,
      background: true,
    });
    expect(bRun.sandbox).toEqual({ isSandboxed: true, backend: 'bwrap', reason: undefined });
    const bWorkspace = sandbox.workspaceFor(B);
    expect(await waitFor(() => existsSync(join(bWorkspace, 'b.txt')) && pidsWithMarker(bMarker).length === 1, SETUP_WAIT_MS)).toBe(true);
    const [bPid] = pidsWithMarker(bMarker);
    const outsideFile = join(dirs.hostDir, 'written-by-a');

    const script = [
      `ps -eo args= | grep -c 'b-4[2]-${process.pid}' || true`,
      'echo "procs $(ls /proc | grep -c "^[0-9]")"',
      `kill -0 ${bPid} 2>/dev/null && echo "signalled-b" || echo "no-b"`,
      `kill -0 ${bRun.pid} 2>/dev/null && echo "signalled-b-launcher" || echo "no-b-launcher"`,
      `kill -TERM ${process.pid} 2>/dev/null && echo "signalled-runner" || echo "no-runner"`,
      `cat ${dirs.tokenFile} 2>/dev/null || echo "no-token"`,
      `cat ${join(dirs.stateDir, 'pincer.db')} 2>/dev/null || echo "no-db"`,
      `cat ${join(dirs.configDir, 'pincer.config.json')} 2>/dev/null || echo "no-config"`,
      `ls -A ${dirs.stateDir} ${dirs.workspaceRoot}`,
      `cat ${join(bWorkspace, 'b.txt')} 2>/dev/null || echo "no-b-file"`,
      `touch ${outsideFile} 2>/dev/null && echo "wrote-outside" || echo "no-write-outside"`,
      `touch ${join(dirs.stateDir, 'x')} 2>/dev/null && echo "wrote-state" || echo "no-write-state"`,
      'touch /etc/pincer-test 2>/dev/null && echo "wrote-etc" || echo "no-write-etc"',
      'echo ok > "$HOME/a.txt" && echo "wrote-home"',
      'echo ok > /tmp/a.txt && echo "wrote-tmp"',
      'umount /tmp 2>/dev/null && echo "unmounted" || echo "no-umount"',
    ].join('\n');
    const result = await registry.exec({ command: script, scopeKey: A });
    expect(result).toMatchObject({ status: 'completed', exitCode: 0, sandbox: { isSandboxed: true } });
    if (result.status === 'running') throw new Error('expected completion');
    const lines = result.output.trim().split('\n');
    expect(lines[0]).toBe('0'); // ps shows none of B's processes
    expect(Number(lines[1]!.split(' ')[1])).toBeLessThan(8); // only A's own few processes
    expect(lines.slice(2)).toEqual([
      'no-b',
      'no-b-launcher',
      'no-runner',
      'no-token',
      'no-db',
      'no-config',
      `${dirs.stateDir}:`,
      'workspaces',
      '',
      `${dirs.workspaceRoot}:`,
      workspaceDirName(A),
      'no-b-file',
      'no-write-outside',
      'no-write-state',
      'no-write-etc',
      'wrote-home',
      'wrote-tmp',
      'no-umount',
    ]);
    // The host agrees: B still runs, A wrote only to its workspace.
    expect(pidsWithMarker(bMarker)).toEqual([bPid]);
    expect(existsSync(outsideFile)).toBe(false);
    expect(readdirSync(dirs.stateDir).sort()).toEqual(['pincer.db', 'token', 'workspaces']);
    expect(readFileSync(join(sandbox.workspaceFor(A), 'a.txt'), 'utf8')).toBe('ok\n');
    expect(existsSync('/etc/pincer-test')).toBe(false);
  });

  it('gives a sandboxed shell its workspace as cwd and HOME, the limits, and a new session', async () => {
    const dirs = makeSandboxDirs();
    const sandbox = createBwrapSandbox({ workspaceRoot: dirs.workspaceRoot, limits: { maxProcesses: 300, cpuSeconds: 120 } });
    const registry = makeRegistry({ sandbox });
    const result = await registry.exec({
      command:
        'pwd; echo "$HOME"; ulimit -u; ulimit -t; ulimit -f; ulimit -v; grep NoNewPrivs /proc/self/status; ps -o sid= -p $$; echo $$',
      scopeKey: A,
    });
    const workspace = sandbox.workspaceFor(A);
    expect(workspace).toBe(join(dirs.workspaceRoot, workspaceDirName(A)));
    expect(result).toMatchObject({ status: 'completed' });
    if (result.status === 'running') throw new Error('expected completion');
    const [pwd, home, nproc, cpu, fsize, as, nnp, sid, pid] = result.output
      .trim()
      .split('\n')
      .map((line) => line.trim());
    expect([pwd, home, nproc, cpu]).toEqual([workspace, workspace, '300', '120']);
    expect(Number(fsize) * 1024).toBe(4 * 1024 ** 3);
    expect(Number(as) * 1024).toBe(8 * 1024 ** 3);
    expect(nnp).toMatch(/^NoNewPrivs:\s+1$/);
    // pid 1 is bwrap's init (the session leader from --new-session); the shell is not the gateway's session.
    expect([sid, pid]).toEqual(['1', '2']);
    expect(registry.snapshot()).toEqual({ running: [], finished: [] });
  });

  it('keeps the network for "host" and leaves only loopback for "none"', async () => {
    const dirs = makeSandboxDirs();
    const host = makeRegistry({ sandbox: createBwrapSandbox({ workspaceRoot: dirs.workspaceRoot }) });
    const none = makeRegistry({ sandbox: createBwrapSandbox({ workspaceRoot: dirs.workspaceRoot, network: 'none' }) });
    const command = 'readlink /proc/self/ns/net; tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | sort | tr "\\n" " "';
    const hostRun = await host.exec({ command, scopeKey: A });
    const noneRun = await none.exec({ command, scopeKey: A });
    if (hostRun.status === 'running' || noneRun.status === 'running') throw new Error('expected completion');
    const hostNet = readlinkSync('/proc/self/ns/net');
    expect(hostRun.output.split('\n')[0]).toBe(hostNet);
    expect(noneRun.output.split('\n')[0]).not.toBe(hostNet);
    expect(noneRun.output.split('\n')[1]!.trim()).toBe('lo');
  });

  it('refuses an exec cwd outside the workspace and binds, and accepts one inside', async () => {
    const dirs = makeSandboxDirs();
    const registry = makeRegistry({
      sandbox: createBwrapSandbox({ workspaceRoot: dirs.workspaceRoot, binds: { ro: [dirs.hostDir], rw: [] } }),
    });
    expect(await rejectionOf(registry.exec({ command: 'pwd', scopeKey: A, cwd: dirs.stateDir }))).toMatchObject({
      code: 'INVALID_INPUT',
      field: 'cwd',
    });
    mkdirSync(join(dirs.workspaceRoot, workspaceDirName(A), 'sub'), { recursive: true });
    expect(await registry.exec({ command: 'pwd', scopeKey: A, cwd: 'sub' })).toMatchObject({
      output: `${join(dirs.workspaceRoot, workspaceDirName(A), 'sub')}\n`,
    });
    writeFileSync(join(dirs.hostDir, 'readme'), 'bound\n');
    expect(await registry.exec({ command: 'cat readme; touch x 2>/dev/null || echo ro', scopeKey: A, cwd: dirs.hostDir })).toMatchObject({
      output: 'bound\nro\n',
    });
  });

  it('refuses every shell in "required" mode with a broken bwrap, and runs nothing', async () => {
    const dirs = makeSandboxDirs();
    const broken = makeBrokenBinary(dirs.hostDir);
    for (const bwrapPath of [broken, join(dirs.hostDir, 'no-such-bwrap')]) {
      const sandbox = createBwrapSandbox({ mode: 'required', bwrapPath, workspaceRoot: dirs.workspaceRoot });
      const registry = makeRegistry({ sandbox });
      const marker = join(dirs.hostDir, 'ran');
      const error = await rejectionOf(registry.exec({ command: `touch ${marker}`, scopeKey: A, background: true }));
      expect(ProcessRegistryError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({
        code: 'SANDBOX_UNAVAILABLE',
        reason: expect.stringMatching(bwrapPath === broken ? /did not answer like bubblewrap.*broken/ : /bwrap not found/),
      });
      expect((await sandbox.probe()).ok).toBe(false);
      expect(registry.snapshot()).toEqual({ running: [], finished: [] });
      expect(existsSync(marker)).toBe(false);
    }
  });

  it('runs unsandboxed in "auto" mode with a broken bwrap and says so; "off" says so too', async () => {
    const dirs = makeSandboxDirs();
    const auto = makeRegistry({
      sandbox: createBwrapSandbox({ bwrapPath: makeBrokenBinary(dirs.hostDir), workspaceRoot: dirs.workspaceRoot }),
    });
    const marker = join(dirs.hostDir, 'ran');
    const run = await auto.exec({ command: `touch ${marker}; readlink /proc/self/ns/pid`, scopeKey: A });
    expect(run).toMatchObject({
      status: 'completed',
      output: `${readlinkSync('/proc/self/ns/pid')}\n`,
      sandbox: {
        isSandboxed: false,
        backend: undefined,
        reason: expect.stringMatching(/^sandbox unavailable: .*did not answer like bubblewrap/),
      },
    });
    expect(existsSync(marker)).toBe(true);
    const off = makeRegistry({ sandbox: createBwrapSandbox({ mode: 'off', workspaceRoot: dirs.workspaceRoot }) });
    const background = await off.exec({ command: 'sleep 30', scopeKey: A, background: true });
    expect(off.list({ scopeKey: A })[0]?.sandbox).toEqual({ isSandboxed: false, backend: undefined, reason: 'sandbox mode is off' });
    expect(background.sandbox.reason).toBe('sandbox mode is off');
    const plain = makeRegistry();
    expect((await plain.exec({ command: 'true', scopeKey: A })).sandbox).toEqual({
      isSandboxed: false,
      backend: undefined,
      reason: 'no sandbox configured',
    });
  });

  it('lets one exec pick its own sandbox over the registry default', async () => {
    const dirs = makeSandboxDirs();
    const registry = makeRegistry({ sandbox: createBwrapSandbox({ mode: 'off', workspaceRoot: dirs.workspaceRoot }) });
    const strict = createBwrapSandbox({ mode: 'required', workspaceRoot: dirs.workspaceRoot, network: 'none' });
    const run = await registry.exec({ command: 'echo $$', scopeKey: A, sandbox: strict });
    expect(run).toMatchObject({ output: '2\n', sandbox: { isSandboxed: true } });
    expect(await rejectionOf(registry.exec({ command: 'true', scopeKey: A, sandbox: { not: 'a sandbox' } as never }))).toMatchObject({
      code: 'INVALID_INPUT',
      field: 'sandbox',
    });
  });

  it('kills a sandboxed tree that escapes with setsid, double fork, env -i and continuous forking: the namespace ends', async () => {
    const dirs = makeSandboxDirs();
    const registry = makeRegistry({ sandbox: createBwrapSandbox({ workspaceRoot: dirs.workspaceRoot }) });
    const marker = `escape-${process.pid}-${Date.now()}`;
    const command = [
      `setsid bash -c 'while :; do sleep 5 & sleep 0.02; done' ${marker}-forker &`,
      `( ( setsid bash -c 'trap "" TERM; sleep 300' ${marker}-daemon & ) & ) &`,
      `set -m; env -i /bin/sh -c 'trap "" TERM; sleep 300' ${marker}-envi &`,
      `trap '' TERM`,
      `readlink /proc/self/ns/pid; sleep 300`,
    ].join('\n');
    const run = await registry.exec({ command, scopeKey: A, background: true });
    const output = await pollUntil(registry, A, run.id, (text) => text.includes('pid:['));
    const inode = output.trim();
    expect(await waitFor(() => pidsWithMarker(marker).length >= 3 && namespaceMembers(inode).length >= 8, SETUP_WAIT_MS)).toBe(true);
    const result = await registry.kill({ scopeKey: A, id: run.id });
    expect(result).toEqual({ status: 'killed', signal: 'SIGKILL' });
    expect(namespaceMembers(inode)).toEqual([]);
    expect(pidsWithMarker(marker)).toEqual([]);
    expect(registry.list({ scopeKey: A })[0]).toMatchObject({ status: 'killed', sandbox: { isSandboxed: true } });
  });

  it('answers SIGTERM for a tree that honours it, and reaps what a shell leaves behind when it exits', async () => {
    const dirs = makeSandboxDirs();
    const registry = makeRegistry({ sandbox: createBwrapSandbox({ workspaceRoot: dirs.workspaceRoot }) });
    const polite = await registry.exec({
      command: 'for i in 1 2 3 4 5; do sleep 300 & done; readlink /proc/self/ns/pid; wait',
      scopeKey: A,
      background: true,
    });
    const inode = (await pollUntil(registry, A, polite.id, (text) => text.includes('pid:['))).trim();
    expect(await waitFor(() => namespaceMembers(inode).length === 7, SETUP_WAIT_MS)).toBe(true);
    expect(await registry.kill({ scopeKey: A, id: polite.id })).toEqual({ status: 'killed', signal: 'SIGTERM' });
    expect(namespaceMembers(inode)).toEqual([]);

    const marker = `leftover-${process.pid}-${Date.now()}`;
    const leaver = await registry.exec({
      command: `setsid bash -c 'echo alive > "$HOME/alive"; sleep 300' ${marker} & sleep 0.3; readlink /proc/self/ns/pid`,
      scopeKey: A,
      background: true,
    });
    const event = await nextExit(registry, leaver.id);
    expect(readFileSync(join(dirs.workspaceRoot, workspaceDirName(A), 'alive'), 'utf8')).toBe('alive\n');
    expect(event).toMatchObject({ id: leaver.id, status: 'exited', exitCode: 0 });
    const leftInode = registry.log({ scopeKey: A, id: leaver.id }).output.trim();
    expect(leftInode).toMatch(/^pid:\[\d+\]$/);
    // The exit is reported only once the namespace is empty.
    expect(namespaceMembers(leftInode)).toEqual([]);
    expect(pidsWithMarker(marker)).toEqual([]);
  });

  it('runs and kills a sandboxed shell under a PTY', async () => {
    const dirs = makeSandboxDirs();
    const registry = makeRegistry({ sandbox: createBwrapSandbox({ workspaceRoot: dirs.workspaceRoot }) });
    const run = await registry.exec({
      command: 'readlink /proc/self/ns/pid; read -r line; echo "got:$line"; sleep 300',
      scopeKey: A,
      background: true,
      stdin: 'pty',
    });
    expect(run.sandbox.isSandboxed).toBe(true);
    const first = await pollUntil(registry, A, run.id, (text) => /pid:\[\d+\]/.test(text));
    const inode = first.split(/\r?\n/)[0]!.trim();
    registry.sendKeys({ scopeKey: A, id: run.id, literal: 'hello', keys: ['Enter'] });
    expect(await pollUntil(registry, A, run.id, (text) => text.includes('got:hello'))).toContain('got:hello');
    expect(namespaceMembers(inode).length).toBeGreaterThanOrEqual(2);
    expect(await registry.kill({ scopeKey: A, id: run.id })).toMatchObject({ status: 'killed' });
    expect(namespaceMembers(inode)).toEqual([]);
  });

  it('dispose() tears down every sandbox', async () => {
    const dirs = makeSandboxDirs();
    const registry = createProcessRegistry({ sandbox: createBwrapSandbox({ workspaceRoot: dirs.workspaceRoot }), killGraceMs: 200 });
    const marker = `dispose-${process.pid}-${Date.now()}`;
    await Promise.all(
      [A, B].map((scopeKey) =>
        registry.exec({ command: `setsid bash -c 'trap "" TERM; sleep 300' ${marker} & sleep 300`, scopeKey, background: true }),
      ),
    );
    // Per tree: bwrap, its init and the shell carry the marker in their argv (the setsid child execs sleep).
    expect(await waitFor(() => pidsWithMarker(marker).length >= 6, SETUP_WAIT_MS)).toBe(true);
    await registry.dispose();
    expect(pidsWithMarker(marker)).toEqual([]);
  });
});

describeWithBwrap('sandboxed shells and the registry process', () => {
  it('die with the process that owns the registry (kill -9 of the owner leaves no namespace process)', async () => {
    const dirs = makeSandboxDirs();
    const marker = `owner-${process.pid}-${Date.now()}`;
    const { spawn } = await import('node:child_process');
    const owner = spawn(process.execPath, [new URL('./fixtures/sandbox-owner.mjs', import.meta.url).pathname, dirs.workspaceRoot, marker], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let ready = '';
    owner.stdout.setEncoding('utf8');
    owner.stdout.on('data', (text: string) => {
      ready += text;
    });
    try {
      expect(await waitFor(() => ready.includes('ready'), 15_000)).toBe(true);
      expect(await waitFor(() => pidsWithMarker(marker).length >= 4, SETUP_WAIT_MS)).toBe(true);
      owner.kill('SIGKILL');
      // Bounded wait, not a timing assertion: the kernel tears the namespaces down on its own.
      expect(await waitFor(() => pidsWithMarker(marker).length === 0, 10_000)).toBe(true);
    } finally {
      owner.kill('SIGKILL');
    }
  });
});

describe('platform check', () => {
  it('refuses to start without procfs (UNSUPPORTED_PLATFORM)', () => {
    const fakeRoot = mkdtempSync(join(tmpdir(), 'no-proc-'));
    let error: unknown;
    try {
      createProcessRegistry({ procRoot: fakeRoot });
    } catch (caught) {
      error = caught;
    }
    expect(ProcessRegistryError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'UNSUPPORTED_PLATFORM' });
    expect(() => createProcessRegistry({ procRoot: '/proc' }).dispose()).not.toThrow();
  });
});
