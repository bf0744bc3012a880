/**
 * Benchmarks of @pincer/process-registry, each against a bare `child_process` baseline measured in
 * the same run. Prints a markdown table and writes bench/results.json.
 *   1. Output ingestion: a child writing 500 MB (throughput ratio ≥ 0.7 of bare; peak RSS growth ≤ 64 MB).
 *   2. Spawn overhead: 200 background exec('true') vs 200 bare spawns, each to exit (ratio ≤ 1.5).
 *   3. Kill latency of a 50-process tree that honours SIGTERM (< 250 ms).
 *   4. Sandboxed (bwrap) vs bare registry spawns: median per-shell overhead of exec('true') (≤ 15 ms).
 *   5. Kill of a 50-process sandboxed tree with a setsid forker, TERM-honouring (< 100 ms, 0 survivors).
 *   6. Output ingestion sandboxed vs bare registry (≥ 0.9×).
 * Rows 4–6 need a working bwrap; without one they are reported as not measured.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reportBench, type BenchRow } from '../../../scripts/bench-report.js';
import { type ExitEvent, type ProcessRegistry, type Sandbox, createBwrapSandbox, createProcessRegistry } from '../src/index.js';
import { listMarkedPids, listProcessGroupPids, waitFor } from '../src/testing.js';

const SHELL = '/bin/bash';
const FLOOD_BYTES = 500_000_000;
const FLOOD = `yes | head -c ${FLOOD_BYTES}`;
const REPEATS = 3;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number, digits = 2): number => Number(x.toFixed(digits));

function exitOf(registry: ProcessRegistry, id: string): Promise<ExitEvent> {
  return new Promise((resolve) => {
    const off = registry.on('exit', (e) => {
      if (e.id === id) {
        off();
        resolve(e);
      }
    });
  });
}

async function bareRun(command: string, discard = true): Promise<void> {
  const child = spawn(SHELL, ['-c', command], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  if (discard) {
    child.stdout.on('data', () => {});
    child.stderr.on('data', () => {});
  }
  await new Promise<void>((resolve) => child.once('close', () => resolve()));
}

async function ingestion(rows: BenchRow[]): Promise<void> {
  const bare: number[] = [];
  const reg: number[] = [];
  let peakGrowth = 0;
  for (let i = 0; i < REPEATS; i++) {
    let t = performance.now();
    await bareRun(FLOOD);
    bare.push(FLOOD_BYTES / 1e6 / ((performance.now() - t) / 1000));

    const registry = createProcessRegistry();
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 5);
    t = performance.now();
    const run = await registry.exec({ command: FLOOD, scopeKey: 'bench', background: true });
    await exitOf(registry, run.id);
    reg.push(FLOOD_BYTES / 1e6 / ((performance.now() - t) / 1000));
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    peakGrowth = Math.max(peakGrowth, (peak - rssBefore) / 1024 / 1024);
    await registry.dispose();
  }
  const ratio = median(reg) / median(bare);
  rows.push({
    name: 'ingestion throughput (500 MB)',
    value: round(median(reg), 0),
    unit: 'MB/s',
    baseline: 'bare child_process.spawn, output discarded',
    baselineValue: round(median(bare), 0),
    ratio: round(ratio),
    target: '≥ 0.7× bare',
    pass: ratio >= 0.7,
  });
  rows.push({
    name: 'ingestion peak RSS growth',
    value: round(peakGrowth, 1),
    unit: 'MB',
    baseline: 'RSS before the run',
    target: '≤ 64 MB',
    pass: peakGrowth <= 64,
  });
}

async function spawnOverhead(rows: BenchRow[]): Promise<void> {
  const N = 200;
  const bare: number[] = [];
  const reg: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    let t = performance.now();
    for (let j = 0; j < N; j++) await bareRun('true');
    bare.push(performance.now() - t);

    const registry = createProcessRegistry();
    t = performance.now();
    for (let j = 0; j < N; j++) {
      const run = await registry.exec({ command: 'true', scopeKey: 'bench', background: true });
      await exitOf(registry, run.id);
    }
    reg.push(performance.now() - t);
    await registry.dispose();
  }
  const ratio = median(reg) / median(bare);
  rows.push({
    name: `spawn overhead (${N} × exec('true'), to exit)`,
    value: round(median(reg), 0),
    unit: 'ms',
    baseline: `${N} bare spawns to exit`,
    baselineValue: round(median(bare), 0),
    ratio: round(ratio),
    target: '≤ 1.5× bare',
    pass: ratio <= 1.5,
  });
}

const TREE_50 = 'for i in $(seq 1 49); do sleep 300 & done; wait';

async function killLatency(rows: BenchRow[]): Promise<void> {
  const bare: number[] = [];
  const reg: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    // Baseline: SIGTERM to the group, then wait for /proc to show the group empty.
    const child = spawn(SHELL, ['-c', TREE_50], { stdio: 'ignore', detached: true });
    await waitFor(() => listProcessGroupPids(child.pid!).length >= 50, 10_000);
    let t = performance.now();
    process.kill(-child.pid!, 'SIGTERM');
    await waitFor(() => listProcessGroupPids(child.pid!).length === 0, 10_000, 1);
    bare.push(performance.now() - t);

    const registry = createProcessRegistry();
    const run = await registry.exec({ command: TREE_50, scopeKey: 'bench', background: true });
    await waitFor(() => listMarkedPids(run.id).length >= 50, 10_000);
    t = performance.now();
    await registry.kill({ scopeKey: 'bench', id: run.id });
    reg.push(performance.now() - t);
    await registry.dispose();
  }
  const value = median(reg);
  rows.push({
    name: 'kill latency, 50-process tree honouring SIGTERM',
    value: round(value, 1),
    unit: 'ms',
    baseline: 'bare kill(-pgid) + wait for /proc to empty',
    baselineValue: round(median(bare), 1),
    ratio: round(value / median(bare)),
    target: '< 250 ms',
    pass: value < 250,
  });
}

/** Live (non-zombie) host pids in the pid namespace `inode`. */
function namespaceMembers(inode: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readlinkSync(`/proc/${name}/ns/pid`) !== inode) continue;
      if (!/^State:\s+[ZX]/m.test(readFileSync(`/proc/${name}/status`, 'latin1'))) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

async function timedTrueSpawns(registry: ProcessRegistry, count: number): Promise<number[]> {
  const perShell: number[] = [];
  for (let j = 0; j < count; j++) {
    const t = performance.now();
    const run = await registry.exec({ command: 'true', scopeKey: `bench-${j % 8}`, background: true });
    await exitOf(registry, run.id);
    perShell.push(performance.now() - t);
  }
  return perShell;
}

async function sandboxSpawnOverhead(rows: BenchRow[], sandbox: Sandbox): Promise<void> {
  const N = 200;
  const bare: number[] = [];
  const boxed: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const plain = createProcessRegistry();
    bare.push(median(await timedTrueSpawns(plain, N)));
    await plain.dispose();
    const sandboxed = createProcessRegistry({ sandbox });
    boxed.push(median(await timedTrueSpawns(sandboxed, N)));
    await sandboxed.dispose();
  }
  const overhead = median(boxed) - median(bare);
  rows.push({
    name: `sandboxed spawn (${N} × exec('true') in bwrap, to exit), median per shell`,
    value: round(median(boxed), 1),
    unit: 'ms',
    baseline: `${N} × exec('true') unsandboxed, same registry options`,
    baselineValue: round(median(bare), 1),
    ratio: round(median(boxed) / median(bare)),
    target: `overhead ≤ 15 ms per shell (measured ${round(overhead, 1)} ms)`,
    pass: overhead <= 15,
  });
}

// 48 sleepers + a setsid forker + the shell = 50 processes besides bwrap's init; every one honours SIGTERM.
const SANDBOX_TREE_50 =
  "setsid bash -c 'while :; do sleep 300 & sleep 0.05; done' & for i in $(seq 1 48); do sleep 300 & done; readlink /proc/self/ns/pid; wait";

async function sandboxKill(rows: BenchRow[], sandbox: Sandbox): Promise<void> {
  const times: number[] = [];
  let survivors = 0;
  for (let i = 0; i < REPEATS; i++) {
    const registry = createProcessRegistry({ sandbox });
    const run = await registry.exec({ command: SANDBOX_TREE_50, scopeKey: 'bench', background: true });
    let inode = '';
    await waitFor(() => {
      inode = registry.log({ scopeKey: 'bench', id: run.id }).output.trim();
      return inode.startsWith('pid:[');
    }, 10_000);
    await waitFor(() => namespaceMembers(inode).length >= 51, 10_000);
    const t = performance.now();
    await registry.kill({ scopeKey: 'bench', id: run.id });
    times.push(performance.now() - t);
    survivors += namespaceMembers(inode).length;
    await registry.dispose();
  }
  const value = median(times);
  rows.push({
    name: 'kill latency, 50-process sandboxed tree with a setsid forker, honouring SIGTERM',
    value: round(value, 1),
    unit: 'ms',
    baseline: `survivors found in the namespace afterwards (all runs): ${survivors}`,
    target: '< 100 ms, 0 survivors',
    pass: value < 100 && survivors === 0,
  });
}

async function sandboxIngestion(rows: BenchRow[], sandbox: Sandbox): Promise<void> {
  const bare: number[] = [];
  const boxed: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    for (const [target, options] of [
      [bare, {}],
      [boxed, { sandbox }],
    ] as const) {
      const registry = createProcessRegistry(options);
      const t = performance.now();
      const run = await registry.exec({ command: FLOOD, scopeKey: 'bench', background: true });
      await exitOf(registry, run.id);
      target.push(FLOOD_BYTES / 1e6 / ((performance.now() - t) / 1000));
      await registry.dispose();
    }
  }
  const ratio = median(boxed) / median(bare);
  rows.push({
    name: 'ingestion throughput sandboxed (500 MB)',
    value: round(median(boxed), 0),
    unit: 'MB/s',
    baseline: 'the same registry unsandboxed',
    baselineValue: round(median(bare), 0),
    ratio: round(ratio),
    target: '≥ 0.9× unsandboxed',
    pass: ratio >= 0.9,
  });
}

const rows: BenchRow[] = [];
await ingestion(rows);
await spawnOverhead(rows);
await killLatency(rows);

const bwrapWorks = spawnSync('bwrap', ['--unshare-pid', '--ro-bind', '/', '/', '--proc', '/proc', '--dev', '/dev', 'true']).status === 0;
if (bwrapWorks) {
  const root = mkdtempSync(join(tmpdir(), 'registry-bench-'));
  try {
    const sandbox = createBwrapSandbox({ mode: 'required', workspaceRoot: join(root, 'workspaces') });
    await sandbox.probe();
    await sandboxSpawnOverhead(rows, sandbox);
    await sandboxKill(rows, sandbox);
    await sandboxIngestion(rows, sandbox);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
} else {
  console.warn('[bench] bwrap does not work here: the sandbox rows are not measured.');
  for (const name of ['sandboxed spawn overhead', 'sandboxed kill latency', 'sandboxed ingestion']) {
    rows.push({ name: `${name} (not measured: no working bwrap)`, value: 0, unit: '—', pass: false });
  }
}

reportBench(`@pincer/process-registry bench — Node ${process.version}`, rows, import.meta.url);
