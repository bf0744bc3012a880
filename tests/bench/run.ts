/**
 * Gateway load test (`pnpm --filter @pincer/tests bench`): autocannon against a real gateway
 * (child process, temp state dir, SQLite, scripted model, loopback) on `GET /v1/sessions` and
 * `POST /v1/agent`, each compared in the same run with a bare Fastify route (also a child
 * process, same Fastify the gateway uses) answering the same-size JSON. Prints a markdown table
 * and writes `bench/results.json` for the root `pnpm bench`.
 * Knobs: PINCER_BENCH_SECONDS (default 5 per target), PINCER_BENCH_CONNECTIONS (default 10).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { reportBench, type BenchRow } from '../../scripts/bench-report.js';
import {
  FAST_WAKE,
  type ChildGateway,
  type StateDir,
  disposeGateway,
  makeStateDir,
  ROOT,
  sleep,
  startChildGateway,
  storyApi,
} from '../support/harness.js';

const SECONDS = Number(process.env.PINCER_BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.PINCER_BENCH_CONNECTIONS ?? 10);

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}
type Autocannon = (opts: {
  url: string;
  connections: number;
  duration: number;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}) => Promise<AutocannonResult>;

const requireHere = createRequire(import.meta.url);
const autocannon = requireHere('autocannon') as Autocannon;
const fastifyPath = createRequire(join(ROOT, 'apps', 'gateway', 'package.json')).resolve('fastify');

/** A bare Fastify server (child process) answering GET and POST with fixed JSON bodies. */
async function startBareFastify(getBody: string, postBody: string): Promise<{ url: string; proc: ChildProcess }> {
  const code = `
    const Fastify = require(${JSON.stringify(fastifyPath)});
    const app = Fastify({ logger: false });
    const getBody = ${JSON.stringify(getBody)};
    const postBody = ${JSON.stringify(postBody)};
    // Same shape of work as the gateway's auth hook: a header check per request.
    app.addHook('onRequest', async (req, reply) => { if (!req.headers.authorization) reply.code(401).send({ error: { code: 'unauthorized' } }); });
    app.get('/v1/sessions', async (req, reply) => { reply.header('content-type', 'application/json; charset=utf-8'); return getBody; });
    app.post('/v1/agent', async (req, reply) => { if (typeof req.body?.message !== 'string') { reply.code(400); return { error: { code: 'invalid_request' } }; } reply.code(202).header('content-type', 'application/json; charset=utf-8'); return postBody; });
    app.listen({ host: '127.0.0.1', port: 0 }).then((addr) => console.log('listening on ' + addr));
  `;
  const proc = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 20_000;
  while (!/listening on (\S+)/.test(out)) {
    if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`bare fastify did not start: ${out}`);
    await sleep(25);
  }
  return { url: /listening on (\S+)/.exec(out)![1]!, proc };
}

async function measure(label: string, url: string, opts: { method?: string; token: string; body?: string }): Promise<AutocannonResult> {
  const r = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: SECONDS,
    method: opts.method ?? 'GET',
    headers: { authorization: `Bearer ${opts.token}`, ...(opts.body ? { 'content-type': 'application/json' } : {}) },
    ...(opts.body ? { body: opts.body } : {}),
  });
  console.error(
    `${label}: ${r.requests.average.toFixed(0)} req/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, non-2xx ${r.non2xx}, errors ${r.errors}`,
  );
  return r;
}

async function main(): Promise<void> {
  let state: StateDir | undefined;
  let gw: ChildGateway | undefined;
  let bare: ChildProcess | undefined;
  try {
    state = makeStateDir({ wake: FAST_WAKE, gateway: { maxConcurrentRuns: 8 }, agents: [{ id: 'main' }] }, 'pincer-bench-');
    gw = await startChildGateway(state);
    const api = storyApi(gw);
    // 20 sessions so GET /v1/sessions returns a realistic list.
    for (let i = 0; i < 20; i++) await api.turn({ sessionKey: `agent:main:bench-${i}`, message: `hello ${i}` });
    const sessionsBody = (await gw.api('GET', '/v1/sessions')).text;
    const agentBody = JSON.stringify({ message: 'benchmark ping', sessionKey: 'agent:main:bench-load' });
    const accepted = (await gw.api('POST', '/v1/agent', JSON.parse(agentBody))).text;
    const base = await startBareFastify(sessionsBody, accepted);
    bare = base.proc;

    const rows: BenchRow[] = [];
    const pair = async (name: string, path: string, method: 'GET' | 'POST', body?: string) => {
      const g = await measure(`gateway ${method} ${path}`, `${gw!.url}${path}`, { method, token: gw!.token, ...(body ? { body } : {}) });
      const b = await measure(`bare fastify ${method} ${path}`, `${base.url}${path}`, { method, token: 'x', ...(body ? { body } : {}) });
      const baseline = `bare Fastify route, same-size JSON (${method === 'GET' ? sessionsBody.length : accepted.length} B)`;
      rows.push({
        name: `${name} throughput`,
        value: g.requests.average,
        unit: 'req/s',
        baseline,
        baselineValue: b.requests.average,
        ratio: g.requests.average / b.requests.average,
      });
      rows.push({
        name: `${name} p99 latency`,
        value: g.latency.p99,
        unit: 'ms',
        baseline,
        baselineValue: b.latency.p99,
        ...(b.latency.p99 > 0 ? { ratio: g.latency.p99 / b.latency.p99 } : {}),
      });
      if (g.non2xx + g.errors > 0) console.error(`warning: ${name}: ${g.non2xx} non-2xx, ${g.errors} errors`);
    };
    await pair('GET /v1/sessions (20 sessions)', '/v1/sessions', 'GET');
    await pair('POST /v1/agent (scripted model)', '/v1/agent', 'POST', agentBody);
    const runs = await gw.api<{ count: number }>('GET', '/v1/sessions');
    console.error(`gateway still answering after the load: ${runs.status}`);

    reportBench(
      `Gateway load (autocannon, ${CONNECTIONS} connections, ${SECONDS} s each, loopback, Node ${process.version})`,
      rows,
      import.meta.url,
    );
  } finally {
    bare?.kill('SIGKILL');
    if (gw) await gw.stop(10_000);
    await disposeGateway(gw, state);
  }
}

await main();
