// Gateway benchmarks: HTTP throughput and latency (autocannon) against same-run baselines, and
// end-to-end scripted turns.
// Run: pnpm --filter @pincer/gateway bench  (prints a markdown table, writes bench/results.json)
// Only some sections: pnpm --filter @pincer/gateway bench -- sessions big flood
// (sections: sessions, turns, scoped-token, big, flood, store; the rows of the others are not written).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { startGateway, type RunningGateway } from '../src/index.js';
import { startTestPostgres } from '../test/postgres-server.js';
import { reportBench, type BenchRow } from '../../../scripts/bench-report.js';

const runFile = promisify(execFile);
const rows: BenchRow[] = [];
const SECTIONS = ['sessions', 'turns', 'scoped-token', 'big', 'flood', 'store', 'cluster'] as const;
const requested = process.argv.slice(2).filter((argument) => argument !== '--');
for (const section of requested) {
  if (!(SECTIONS as readonly string[]).includes(section))
    throw new Error(`unknown bench section ${section}; one of ${SECTIONS.join(', ')}`);
}
/** Whether this run measures `section` (every section when none is named). */
const runs = (section: (typeof SECTIONS)[number]) => requested.length === 0 || requested.includes(section);
const TOKEN = 'bench';
const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
const dirs: string[] = [];

async function gateway(config?: Record<string, unknown>): Promise<RunningGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'pincer-bench-'));
  dirs.push(dir);
  let configPath: string | undefined;
  if (config) {
    configPath = join(dir, 'pincer.config.json');
    writeFileSync(configPath, JSON.stringify(config));
  }
  return startGateway({ port: 0, stateDir: dir, token: TOKEN, logLevel: 'error', ...(configPath ? { configPath } : {}) });
}

const load = (url: string, connections = 10, duration = 5) => autocannon({ url, headers: auth, connections, duration });

const sessionRow = (key: string, updatedAt: number) => ({
  key,
  agentId: 'main',
  sessionId: `sid-${key}`,
  kind: 'direct',
  label: null,
  spawnedBy: null,
  spawnDepth: 0,
  channel: null,
  peerKind: null,
  peerId: null,
  now: updatedAt,
});

try {
  const gw = await gateway();
  gw.runtime.store.transaction(() => {
    for (let index = 0; index < 20; index++) gw.runtime.store.sessions.upsert(sessionRow(`agent:main:s-${index}`, 1_000 + index));
  });
  if (runs('sessions')) await sessionsThroughput(gw);
  if (runs('turns')) await turnRows(gw);
  if (runs('scoped-token')) await scopedTokenCost(gw);
  await gw.close();
  if (runs('big')) await bigStateDir();
  if (runs('flood')) await outputFlood();
  if (runs('store')) await storeRows();
  if (runs('cluster')) await clusterRows();
} finally {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}

reportBench(`@pincer/gateway bench — Node ${process.version}`, rows, import.meta.url);

/** GET /healthz, and GET /v1/sessions (20 sessions) against a bare Fastify route answering the same JSON. */
async function sessionsThroughput(gw: RunningGateway): Promise<void> {
  const health = await load(`${gw.url}/healthz`);
  rows.push({
    name: 'GET /healthz',
    value: Math.round(health.requests.average),
    unit: 'req/s',
    target: 2000,
    pass: health.requests.average >= 2000,
  });
  const sameJson = await (await fetch(`${gw.url}/v1/sessions`, { headers: auth })).json();
  const bare = Fastify();
  bare.get('/bare', async () => sameJson);
  await bare.listen({ port: 0, host: '127.0.0.1' });
  const bareAddress = bare.server.address();
  const barePort = typeof bareAddress === 'object' && bareAddress ? bareAddress.port : 0;
  // Interleaved rounds (bare, gateway, bare, …) cancel the drift of a shared machine.
  const throughput = { bare: 0, sessions: 0 };
  for (let round = 0; round < 3; round++) {
    throughput.bare += (await load(`http://127.0.0.1:${barePort}/bare`, 10, 3)).requests.average / 3;
    throughput.sessions += (await load(`${gw.url}/v1/sessions`, 10, 3)).requests.average / 3;
  }
  await bare.close();
  const sessionsRatio = throughput.sessions / throughput.bare;
  rows.push({
    name: 'GET /v1/sessions, 20 sessions (authenticated, validated, serialized by its schema)',
    value: Math.round(throughput.sessions),
    unit: 'req/s',
    baseline: 'bare Fastify route answering the same JSON, interleaved in the same run',
    baselineValue: Math.round(throughput.bare),
    ratio: sessionsRatio,
    target: '≥ 0.5× baseline',
    pass: sessionsRatio >= 0.5,
  });
}

/** Accepted turns and scripted turns end to end. */
async function turnRows(gw: RunningGateway): Promise<void> {
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

  const turns = 200;
  const sequentialStart = performance.now();
  for (let index = 0; index < turns; index++)
    await gw.runtime.runAgentTurn({ message: `turn ${index}`, sessionKey: `agent:main:seq-${index % 10}` });
  const perTurn = (performance.now() - sequentialStart) / turns;
  rows.push({
    name: 'scripted turn end-to-end (sequential, persisted)',
    value: Number(perTurn.toFixed(2)),
    unit: 'ms/turn',
    target: 20,
    pass: perTurn <= 20,
  });
  const parallelStart = performance.now();
  await Promise.all(
    Array.from({ length: turns }, (_, index) =>
      gw.runtime.runAgentTurn({ message: `p ${index}`, sessionKey: `agent:main:par-${index % 50}` }),
    ),
  );
  rows.push({
    name: 'scripted turns, 50 sessions in parallel',
    value: Math.round(turns / ((performance.now() - parallelStart) / 1000)),
    unit: 'turns/s',
  });
}

/** The p-th percentile (0–1) of `values`. */
function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? 0;
}

/**
 * Sequential scripted turns on one gateway with the SQLite store against one on PostgreSQL
 * (embedded, loopback, same machine), interleaved in rounds so drift hits both alike.
 */
async function storeRows(): Promise<void> {
  const postgres = await startTestPostgres();
  try {
    const sqlite = await gateway();
    const pg = await gateway({ store: { kind: 'postgres', url: postgres.url, schema: 'bench_store' } });
    const times = { sqlite: [] as number[], pg: [] as number[] };
    const spent = { sqlite: 0, pg: 0 };
    for (const target of [sqlite, pg]) await target.runtime.runAgentTurn({ message: 'warm up', sessionKey: 'agent:main:warm' });
    for (let round = 0; round < 5; round++) {
      for (const [name, target] of [
        ['sqlite', sqlite],
        ['pg', pg],
      ] as const) {
        const roundStart = performance.now();
        for (let index = 0; index < 40; index++) {
          const turnStart = performance.now();
          await target.runtime.runAgentTurn({ message: `turn ${round}-${index}`, sessionKey: `agent:main:store-${index % 10}` });
          times[name].push(performance.now() - turnStart);
        }
        spent[name] += performance.now() - roundStart;
      }
    }
    await sqlite.close();
    await pg.close();
    const perTurn = { sqlite: spent.sqlite / times.sqlite.length, pg: spent.pg / times.pg.length };
    const ratio = perTurn.pg / perTurn.sqlite;
    rows.push({
      name: 'scripted turn, PostgreSQL store (one node, embedded PostgreSQL 18 on loopback)',
      value: Number(perTurn.pg.toFixed(2)),
      unit: 'ms/turn',
      baseline: 'the same turns on the SQLite store, interleaved in the same run',
      baselineValue: Number(perTurn.sqlite.toFixed(2)),
      ratio,
      target: '≤ 3× baseline',
      pass: ratio <= 3,
    });
    rows.push({
      name: 'scripted turns/s, PostgreSQL store (sequential, one node)',
      value: Math.round(1000 / perTurn.pg),
      unit: 'turns/s',
      baseline: 'SQLite store, same run',
      baselineValue: Math.round(1000 / perTurn.sqlite),
    });
    rows.push({
      name: 'scripted turn p99, PostgreSQL store (sequential, one node)',
      value: Number(percentile(times.pg, 0.99).toFixed(1)),
      unit: 'ms',
      baseline: 'SQLite store, same run',
      baselineValue: Number(percentile(times.sqlite, 0.99).toFixed(1)),
    });
  } finally {
    await postgres.stop();
  }
}

/**
 * Sequential scripted turns on a three-node cluster (in this process, one schema, each turn on the
 * next node) against one single PostgreSQL gateway, interleaved in rounds. On 2 cores the nodes
 * share the CPUs: this is the cluster's per-turn overhead (session lock, owner columns, event
 * relay), not its scaling.
 */
async function clusterRows(): Promise<void> {
  const postgres = await startTestPostgres();
  process.env.PINCER_CLUSTER_SECRET ??= 'bench-cluster-secret-0123456789abcdef';
  const opened: RunningGateway[] = [];
  try {
    const single = await gateway({ store: { kind: 'postgres', url: postgres.url, schema: 'bench_single' } });
    opened.push(single);
    const nodes: RunningGateway[] = [];
    for (let index = 0; index < 3; index++) {
      const node = await gateway({
        store: { kind: 'postgres', url: postgres.url, schema: 'bench_cluster' },
        cluster: { nodeId: `bench-${index}` },
      });
      opened.push(node);
      nodes.push(node);
    }
    const times = { single: [] as number[], cluster: [] as number[] };
    const spent = { single: 0, cluster: 0 };
    await single.runtime.runAgentTurn({ message: 'warm up', sessionKey: 'agent:main:warm' });
    for (const node of nodes) await node.runtime.runAgentTurn({ message: 'warm up', sessionKey: 'agent:main:warm' });
    for (let round = 0; round < 5; round++) {
      for (const name of ['single', 'cluster'] as const) {
        const roundStart = performance.now();
        for (let index = 0; index < 30; index++) {
          const target = name === 'single' ? single : nodes[index % nodes.length]!;
          const turnStart = performance.now();
          await target.runtime.runAgentTurn({ message: `turn ${round}-${index}`, sessionKey: `agent:main:cluster-${index % 10}` });
          times[name].push(performance.now() - turnStart);
        }
        spent[name] += performance.now() - roundStart;
      }
    }
    const perTurn = { single: spent.single / times.single.length, cluster: spent.cluster / times.cluster.length };
    rows.push({
      name: 'scripted turn, 3-node cluster on one PostgreSQL (sequential, each turn on the next node, 2 cores shared)',
      value: Number(perTurn.cluster.toFixed(2)),
      unit: 'ms/turn',
      baseline: 'one PostgreSQL gateway (not a cluster), interleaved in the same run',
      baselineValue: Number(perTurn.single.toFixed(2)),
      ratio: perTurn.cluster / perTurn.single,
    });
    rows.push({
      name: 'scripted turns/s, 3-node cluster (sequential)',
      value: Math.round(1000 / perTurn.cluster),
      unit: 'turns/s',
      baseline: 'one PostgreSQL gateway, same run',
      baselineValue: Math.round(1000 / perTurn.single),
    });
    rows.push({
      name: 'scripted turn p99, 3-node cluster (sequential)',
      value: Number(percentile(times.cluster, 0.99).toFixed(1)),
      unit: 'ms',
      baseline: 'one PostgreSQL gateway, same run',
      baselineValue: Number(percentile(times.single, 0.99).toFixed(1)),
    });
  } finally {
    for (const open of opened) await open.close();
    await postgres.stop();
  }
}

/** A scoped token's cost on GET /v1/sessions against the operator token's. */
async function scopedTokenCost(gw: RunningGateway): Promise<void> {
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
    throughput.operator += (
      await autocannon({ url: `${gw.url}/v1/sessions`, headers: auth, connections: 10, duration: 3 })
    ).requests.average;
    throughput.scoped += (
      await autocannon({ url: `${gw.url}/v1/sessions`, headers: scopedAuth, connections: 10, duration: 3 })
    ).requests.average;
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
    target: "cost ≤ 1.1× the operator token's",
    pass: costRatio <= 1.1,
  });
}

/** A big state dir: 10 000 sessions and 10 000 journaled processes. */
async function bigStateDir(): Promise<void> {
  const big = await gateway();
  const store = big.runtime.store;
  store.transaction(() => {
    for (let index = 0; index < 10_000; index++) {
      const key = `agent:main:big-${index}`;
      store.sessions.upsert(sessionRow(key, 10_000 + index));
      store.processes.start({
        id: `p-${index}`,
        pid: null,
        scopeKey: key,
        sessionKey: key,
        command: 'true',
        cwd: '/',
        startedAt: index,
        status: 'running',
        record: null,
        gatewayPid: null,
      });
      store.processes.appendOutput(`p-${index}`, `output of ${index}\n`.repeat(20));
      store.processes.exit(`p-${index}`, { status: 'completed', exitCode: 0, signal: null, endedAt: index + 1 });
    }
  });
  const bigHealth = await load(`${big.url}/healthz`, 1);
  const page = await load(`${big.url}/v1/sessions?limit=50`, 1);
  rows.push({
    name: 'GET /v1/sessions?limit=50 with 10 000 sessions, p99',
    value: page.latency.p99,
    unit: 'ms',
    baseline: 'GET /healthz p99, same gateway',
    baselineValue: bigHealth.latency.p99,
    target: '< 20 ms',
    pass: page.latency.p99 < 20,
  });
  const scoped = await load(`${big.url}/v1/processes?sessionKey=${encodeURIComponent('agent:main:big-4242')}`, 1);
  rows.push({
    name: 'session-scoped GET /v1/processes with 10 000 journaled processes, p99',
    value: scoped.latency.p99,
    unit: 'ms',
    baseline: 'GET /healthz p99, same gateway',
    baselineValue: bigHealth.latency.p99,
    target: '< 20 ms',
    pass: scoped.latency.p99 < 20,
  });
  await big.close();
}

/** 100 shells flooding output while GET /v1/processes is measured. */
/** Latency of `url` measured by autocannon in a child process (see `load-client.mjs`). */
async function loadFromOutside(url: string, seconds: number): Promise<{ p50: number; p99: number; requests: number; non2xx: number }> {
  const client = fileURLToPath(new URL('./load-client.mjs', import.meta.url));
  const { stdout } = await runFile(process.execPath, [client, url, TOKEN, '1', String(seconds)], { timeout: (seconds + 30) * 1000 });
  return JSON.parse(stdout) as { p50: number; p99: number; requests: number; non2xx: number };
}

async function outputFlood(): Promise<void> {
  const flood = await gateway({ exec: { maxRunning: 200 } });
  const idle = await loadFromOutside(`${flood.url}/v1/processes`, 3);
  const registry = flood.runtime.processes.registry;
  const shells = 100;
  for (let index = 0; index < shells; index++) {
    const key = `agent:main:flood-${index % 10}`;
    await registry.exec({ command: `yes flood-${index}`, background: true, scopeKey: key, sessionKey: key });
  }
  const flooded = await loadFromOutside(`${flood.url}/v1/processes`, 5);
  if (flooded.non2xx > 0 || flooded.requests === 0) throw new Error(`flood row: ${JSON.stringify(flooded)}`);
  rows.push({
    name: `GET /v1/processes under ${shells} shells flooding output, p99 (client in its own process)`,
    value: flooded.p99,
    unit: 'ms',
    baseline: 'the same request with no shell running',
    baselineValue: idle.p99,
    target: '< 100 ms',
    pass: flooded.p99 < 100,
  });
  await flood.close();
}
