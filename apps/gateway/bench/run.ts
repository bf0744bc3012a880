// Gateway benchmarks: HTTP throughput (autocannon) and end-to-end scripted turns.
// Run: pnpm --filter @pincer/gateway bench  (prints a markdown table, writes bench/results.json)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { startGateway } from '../src/index.js';
import { reportBench, type BenchRow } from '../../../scripts/bench-report.js';


const rows: BenchRow[] = [];
const dir = mkdtempSync(join(tmpdir(), 'pincer-bench-'));
const gw = await startGateway({ port: 0, stateDir: dir, token: 'bench', logLevel: 'error' });
const auth = { authorization: 'Bearer bench', 'content-type': 'application/json' };
try {
  const health = await autocannon({ url: `${gw.url}/healthz`, connections: 10, duration: 5 });
  rows.push({ name: 'GET /healthz', value: Math.round(health.requests.average), unit: 'req/s', target: 2000, pass: health.requests.average >= 2000 });
  const sessions = await autocannon({ url: `${gw.url}/v1/sessions`, headers: auth, connections: 10, duration: 5 });
  rows.push({ name: 'GET /v1/sessions (authenticated)', value: Math.round(sessions.requests.average), unit: 'req/s' });
  const accept = await autocannon({
    url: `${gw.url}/v1/agent`,
    method: 'POST',
    headers: auth,
    body: JSON.stringify({ message: 'hello', sessionKey: 'agent:main:bench' }),
    connections: 10,
    duration: 5,
  });
  rows.push({ name: 'POST /v1/agent accepted while the lane runs them', value: Math.round(accept.requests.average), unit: 'req/s' });
  await gw.runtime.runAgentTurn({ message: 'drain', sessionKey: 'agent:main:bench' });

  const n = 200;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await gw.runtime.runAgentTurn({ message: `turn ${i}`, sessionKey: `agent:main:seq-${i % 10}` });
  const perTurn = (performance.now() - t0) / n;
  rows.push({ name: 'scripted turn end-to-end (sequential, persisted)', value: Number(perTurn.toFixed(2)), unit: 'ms/turn', target: 20, pass: perTurn <= 20 });

  const t1 = performance.now();
  await Promise.all(Array.from({ length: n }, (_, i) => gw.runtime.runAgentTurn({ message: `p ${i}`, sessionKey: `agent:main:par-${i % 50}` })));
  rows.push({ name: 'scripted turns, 50 sessions in parallel', value: Math.round(n / ((performance.now() - t1) / 1000)), unit: 'turns/s' });

  // A scoped token's cost on GET /v1/sessions against the operator token's, same run, same answer:
  // an agent-scoped token on `main` sees every session above. Interleaved rounds cancel drift.
  const minted = await fetch(`${gw.url}/v1/tokens`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({ name: 'bench', agentId: 'main', capabilities: ['sessions:read'] }),
  });
  const scopedToken = ((await minted.json()) as { token: string }).token;
  const scopedAuth = { authorization: `Bearer ${scopedToken}` };
  const throughput = { operator: 0, scoped: 0 };
  for (let round = 0; round < 3; round++) {
    throughput.operator += (await autocannon({ url: `${gw.url}/v1/sessions`, headers: auth, connections: 10, duration: 3 })).requests.average;
    throughput.scoped += (await autocannon({ url: `${gw.url}/v1/sessions`, headers: scopedAuth, connections: 10, duration: 3 })).requests.average;
  }
  // Cost per request is 1 / throughput: scoped cost / operator cost = operator req/s / scoped req/s.
  const costRatio = throughput.operator / throughput.scoped;
  rows.push({
    name: 'GET /v1/sessions with an agent-scoped token (cost vs the operator token)',
    value: Math.round(throughput.scoped / 3),
    unit: 'req/s',
    baseline: 'the same route with the operator token, interleaved in the same run',
    baselineValue: Math.round(throughput.operator / 3),
    ratio: Number(costRatio.toFixed(3)),
    target: 'cost ≤ 1.1× the operator token\'s',
    pass: costRatio <= 1.1,
  });
} finally {
  await gw.close();
  rmSync(dir, { recursive: true, force: true });
}

reportBench(`@pincer/gateway bench — Node ${process.version}`, rows, import.meta.url);
