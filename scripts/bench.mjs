#!/usr/bin/env node
// `pnpm bench`: runs every package's benchmark (each prints its own table and writes
// bench/results.json), then the gateway load test, and collects all rows into
// bench/RESULTS.md — one table: figure, same-run comparison, ratio, target.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const suites = [
  { name: '@pincer/session-key', dir: 'packages/session-key' },
  { name: '@pincer/process-registry', dir: 'packages/process-registry' },
  { name: '@pincer/heartbeat-router', dir: 'packages/heartbeat-router' },
  { name: '@pincer/subagent-spawn', dir: 'packages/subagent-spawn' },
  { name: '@pincer/plugin-sdk', dir: 'packages/plugin-sdk' },
  { name: 'apps/gateway', dir: 'apps/gateway' },
  { name: 'apps/console', dir: 'apps/console' },
  { name: 'gateway load (HTTP)', dir: 'tests', script: 'bench' },
];

const rows = [];
const failures = [];
for (const suite of suites) {
  const pkgJson = join(root, suite.dir, 'package.json');
  if (!existsSync(pkgJson)) continue;
  const pkg = JSON.parse(readFileSync(pkgJson, 'utf8'));
  if (!pkg.scripts?.[suite.script ?? 'bench']) continue;
  console.log(`\n### ${suite.name}`);
  const run = spawnSync('pnpm', ['--silent', 'run', suite.script ?? 'bench'], {
    cwd: join(root, suite.dir),
    stdio: 'inherit',
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
  });
  const resultsFile = join(root, suite.dir, 'bench', 'results.json');
  if (run.status !== 0) failures.push(`${suite.name} (exit ${run.status})`);
  if (!existsSync(resultsFile)) continue;
  for (const row of JSON.parse(readFileSync(resultsFile, 'utf8'))) rows.push({ suite: suite.name, ...row });
}

const fmt = (v) => (typeof v === 'number' ? (Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(2)) : (v ?? '—'));
const lines = [
  '# Benchmark results',
  '',
  `Measured by \`pnpm bench\` on ${new Date().toISOString().slice(0, 10)}: Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB.`,
  'Each comparison is measured in the same run as the figure. Numbers from a shared 2-core machine: compare ratios, not absolutes.',
  '',
  '| suite | figure | value | same-run comparison | comparison value | ratio | target | met |',
  '|---|---|---|---|---|---|---|---|',
  ...rows.map(
    (r) =>
      `| ${r.suite} | ${r.name} | ${fmt(r.value)} ${r.unit ?? ''} | ${r.baseline ?? '—'} | ${r.baselineValue === undefined ? '—' : `${fmt(r.baselineValue)} ${r.unit ?? ''}`} | ${r.ratio === undefined ? '—' : r.ratio.toFixed(2)} | ${r.target ?? '—'} | ${r.pass === undefined ? '—' : r.pass ? 'yes' : 'no'} |`,
  ),
  '',
];
if (failures.length) lines.push(`Suites that failed to run: ${failures.join(', ')}.`, '');
writeFileSync(join(root, 'bench', 'RESULTS.md'), lines.join('\n'));
console.log(`\nwrote bench/RESULTS.md (${rows.length} rows)`);
process.exit(failures.length ? 1 : 0);
