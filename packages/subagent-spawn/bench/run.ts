// Benchmarks for @pincer/subagent-spawn. Run: pnpm --filter @pincer/subagent-spawn bench
// Prints a markdown table and writes bench/results.json (ignored by git). Never run by tests.
import { reportBench, type BenchRow } from '../../../scripts/bench-report.js';
import { createInMemoryRunStore, createSubagentSpawner, resolveChildSessionKey } from '../src/index.js';

const rows: BenchRow[] = [];

async function measure(name: string, iterations: number, fn: (i: number) => unknown, target?: number) {
  for (let i = 0; i < Math.min(200, iterations); i += 1) await fn(-1 - i); // warm-up
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i += 1) await fn(i);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const value = Math.round(iterations / seconds);
  rows.push({ name, value, unit: 'ops/s', ...(target === undefined ? {} : { target, pass: value >= target }) });
}

let n = 0;
const newId = () => `id-${++n}`;

// 1. Child key resolution (pure).
await measure('resolveChildSessionKey (short key)', 200_000, (i) =>
  resolveChildSessionKey({ targetAgentId: 'ops', sessionKey: `worker-${i & 1023}`, newId }),
);
await measure('resolveChildSessionKey (fully-qualified, mixed case)', 200_000, () =>
  resolveChildSessionKey({ targetAgentId: 'ops', sessionKey: 'AGENT:Ops:SubAgent:Worker', newId }),
);

// 2. Admission + launch + announce round trip, in-memory store, with 10 000 finished runs kept.
async function admissions(history: number): Promise<void> {
  const runs = createInMemoryRunStore();
  const spawner = createSubagentSpawner({
    policy: { agents: ['ops'], maxChildrenPerSession: 100, maxConcurrentRuns: 1000 },
    runs,
    launch: async () => ({ status: 'ok', result: 'r' }),
    announce: async () => {},
    newId,
  });
  for (let i = 0; i < history; i += 1) {
    await spawner.spawn({ requester: { agentId: 'ops', sessionKey: `agent:ops:s${i % 50}` }, task: 'warm' });
  }
  await new Promise((r) => setTimeout(r, 50));
  await measure(
    `spawn() admission, ${history.toLocaleString('en')} runs kept`,
    5_000,
    (i) => spawner.spawn({ requester: { agentId: 'ops', sessionKey: `agent:ops:b${i & 63}` }, task: 'bench' }),
    5_000,
  );
  spawner.dispose();
}
await admissions(0);
await admissions(10_000);

reportBench(`@pincer/subagent-spawn bench — Node ${process.version}`, rows, import.meta.url);
