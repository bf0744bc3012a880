// `pnpm --filter @pincer/plugin-sdk bench`: cost of the DTO boundary (validate + copy + deep
// freeze) of loadBashSessions over a registry at its default caps (64 running, 50 finished),
// compared in the same run with reading the registry snapshot directly. Prints a markdown table
// and writes bench/results.json.
import { reportBench, type BenchRow } from '../../../scripts/bench-report.js';
import { createBashSessionView } from '../src/bash-session-view.js';
import type { PluginHostRegistry, PluginHostRegistryRecord } from '../src/registry-port.js';

const record = (index: number, status: PluginHostRegistryRecord['status']): PluginHostRegistryRecord =>
  Object.freeze({
    id: `shell-${index}`,
    pid: 10_000 + index,
    scopeKey: `agent:ops:session-${index % 7}`,
    sessionKey: `agent:ops:session-${index % 7}`,
    command: `npm run build -- --filter pkg-${index}`,
    cwd: '/srv/work',
    startedAt: 1_700_000_000_000 + index,
    endedAt: status === 'running' ? undefined : 1_700_000_100_000 + index,
    status,
    exitCode: status === 'completed' ? 0 : null,
    signal: status === 'killed' ? 'SIGTERM' : null,
    tail: 'x'.repeat(2_000),
    truncated: index % 2 === 0,
    sandbox: Object.freeze({
      isSandboxed: index % 3 === 0,
      backend: index % 3 === 0 ? 'bwrap' : undefined,
      reason: index % 3 === 0 ? undefined : 'mode off',
    }),
  });

const running = Object.freeze(Array.from({ length: 64 }, (_, i) => record(i, 'running')));
const finished = Object.freeze(Array.from({ length: 50 }, (_, i) => record(100 + i, i % 3 === 0 ? 'killed' : 'completed')));
const registry: PluginHostRegistry = {
  snapshot: () => ({ running: [...running], finished: [...finished] }),
  killById: async () => ({ status: 'not-found' }),
};
const view = createBashSessionView(() => registry);

function timePerCall(fn: () => unknown, iterations: number): number {
  for (let i = 0; i < Math.min(200, iterations); i += 1) fn();
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i += 1) fn();
  return Number(process.hrtime.bigint() - start) / iterations / 1_000; // µs
}

const raw = timePerCall(() => registry.snapshot(), 20_000);
const load = timePerCall(() => view.loadBashSessions(), 2_000);
const targetUs = 2_000; // an operator `ps` should stay far below a frame even on a busy 2-core box
const rows: BenchRow[] = [
  {
    name: 'loadBashSessions, 64 running + 50 finished',
    value: load,
    unit: 'µs/call',
    baseline: 'registry.snapshot() array copy, same records',
    baselineValue: raw,
    ratio: load / raw,
    target: `< ${targetUs} µs/call`,
    pass: load < targetUs,
  },
];

reportBench(`@pincer/plugin-sdk bench — Node ${process.version}`, rows, import.meta.url);
