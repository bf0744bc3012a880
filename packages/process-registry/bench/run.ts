/**
 * Benchmarks of @pincer/process-registry, each against a bare `child_process` baseline measured in
 * the same run. Prints a markdown table and writes bench/results.json.
 *   1. Output ingestion: a child writing 500 MB (throughput ratio ≥ 0.7 of bare; peak RSS growth ≤ 64 MB).
 *   2. Spawn overhead: 200 background exec('true') vs 200 bare spawns, each to exit (ratio ≤ 1.5).
 *   3. Kill latency of a 50-process tree that honours SIGTERM (< 250 ms).
 */
import { spawn } from 'node:child_process';
import { reportBench, type BenchRow } from '../../../scripts/bench-report.js';
import { type ExitEvent, type ProcessRegistry, createProcessRegistry } from '../src/index.js';
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

const rows: BenchRow[] = [];
await ingestion(rows);
await spawnOverhead(rows);
await killLatency(rows);

reportBench(`@pincer/process-registry bench — Node ${process.version}`, rows, import.meta.url);
