/**
 * Cluster mode: three real gateways (child processes on loopback ports) on one real PostgreSQL
 * schema. Shells are listed, read and killed through any node; turns of one session never
 * overlap across nodes; a SIGKILLed node's runs end interrupted, its shells are lost with one
 * notice each, its queued events are delivered by a survivor once; cron slots fire once; and
 * no session boundary opens through another node, a scoped token or the cluster secret.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestPostgres, type TestPostgres } from '../../apps/gateway/test/postgres-server.js';
import {
  ROOT,
  type ChildGateway,
  type StateDir,
  FAST_WAKE,
  callApi,
  disposeGateway,
  isAlive,
  makeStateDir,
  startChildGateway,
  startedId,
  storyApi,
  until,
} from '../support/harness.js';

const SECRET = randomBytes(24).toString('hex');
const TOKEN = randomBytes(32).toString('hex');
/** A short lease, so a dead node is taken over within seconds. */
const LEASE_MS = 3_000;

let postgres: TestPostgres | undefined;
let url = '';
beforeAll(async () => {
  // The PostgreSQL leg's server when there is one, else this file's own (never skipped).
  url = inject('postgresUrl');
  if (!url) {
    postgres = await startTestPostgres();
    url = postgres.url;
  }
}, 120_000);
afterAll(async () => {
  await postgres?.stop();
});

interface Node {
  state: StateDir;
  gw: ChildGateway;
  api: ReturnType<typeof storyApi>;
}
const nodes: Node[] = [];
const schemas: string[] = [];

afterEach(async (context) => {
  // A failed test shows what each node logged (the end of it).
  if (context.task.result?.state === 'fail') {
    for (const node of nodes)
      console.error(
        `--- ${node.gw.url} (exit ${node.gw.proc.exitCode ?? node.gw.proc.signalCode ?? 'running'})\n${node.gw.output().slice(-4000)}`,
      );
  }
  for (const node of nodes.splice(0)) await disposeGateway(node.gw, node.state);
});
/** One statement on the test's PostgreSQL (reads behind the gateways' backs), through the gateway's own `pg`. */
async function query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
  const pg = createRequire(join(ROOT, 'apps', 'gateway', 'package.json'))('pg') as {
    Client: new (o: {
      connectionString: string;
    }) => { connect(): Promise<void>; query(sql: string, params: unknown[]): Promise<{ rows: T[] }>; end(): Promise<void> };
  };
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows;
  } finally {
    await client.end();
  }
}
afterAll(async () => {
  // Leave nothing in a server the run did not start.
  if (postgres) return;
  for (const schema of schemas) await query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
});

/** Node `index` of a cluster on `schema`. */
async function startNode(schema: string, index: number, extra: Record<string, unknown> = {}): Promise<Node> {
  const state = makeStateDir(
    {
      wake: FAST_WAKE,
      store: { kind: 'postgres', schema },
      cluster: { nodeId: `node-${index}`, leaseMs: LEASE_MS },
      gateway: { maxConcurrentRuns: 8 },
      ...extra,
    },
    `pincer-cluster-${index}-`,
  );
  const gw = await startChildGateway(state, {
    env: { PINCER_POSTGRES_URL: url, PINCER_CLUSTER_SECRET: SECRET, PINCER_GATEWAY_TOKEN: TOKEN },
  });
  const node = { state, gw, api: storyApi(gw) };
  nodes.push(node);
  return node;
}

/** A fresh schema and `count` nodes on it. */
async function startCluster(count = 3, extra: Record<string, unknown> = {}): Promise<{ schema: string; nodes: Node[] }> {
  const schema = `cluster_${randomBytes(5).toString('hex')}`;
  schemas.push(schema);
  const started = await Promise.all(Array.from({ length: count }, (_, index) => startNode(schema, index, extra)));
  return { schema, nodes: started };
}

const userEntriesWith = async (node: Node, key: string, needle: string) =>
  (await node.api.transcript(key)).filter((entry) => entry.role === 'user' && entry.text.includes(needle)).length;

describe('three gateways on one PostgreSQL', () => {
  it('list, log, poll and kill a session’s shell through any node; nothing crosses a session boundary', async () => {
    const {
      nodes: [a, b, c],
    } = await startCluster();
    const key = 'agent:main:shells';
    // The event stream of one node carries the session's events from every node (LISTEN/NOTIFY relay).
    const stream = new AbortController();
    const response = await fetch(`${c!.gw.url}/v1/events?sessionKey=${encodeURIComponent(key)}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
      signal: stream.signal,
    });
    expect(response.status).toBe(200);
    let streamed = '';
    const reading = (async () => {
      const decoder = new TextDecoder();
      const reader = response.body!.getReader();
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done) return;
        streamed += decoder.decode(value, { stream: true });
      }
    })();
    const started = await a!.api.turn({ sessionKey: key, message: 'run in background: echo cluster-hello; sleep 600' });
    const id = startedId(started.reply);
    await until(
      () => streamed.includes(started.runId) && streamed.includes('run.finished') && streamed.includes(id),
      'node 0’s events on node 2’s stream',
    );
    stream.abort();
    await reading;
    for (const node of [b!, c!]) {
      await until(
        async () => (await node.api.processes(key)).some((shell) => shell.id === id && shell.status === 'running'),
        `the shell listed by ${node.gw.url}`,
      );
    }
    // Read through another node: forwarded to the owner, answered from its registry.
    await until(async () => {
      const log = await c!.gw.api<{ output: string; source: string }>('GET', `/v1/processes/${id}/log`);
      return log.status === 200 && log.body.source === 'registry' && log.body.output.includes('cluster-hello');
    }, 'the log read through node 2');
    const tree = await b!.gw.api<{ processCount: number; pids: number[] }>('GET', `/v1/processes/${id}/tree`);
    expect(tree.status).toBe(200);
    expect(tree.body.processCount).toBeGreaterThan(0);
    // The process tool of a turn on another node reaches it too (the model's own path).
    expect((await c!.api.turn({ sessionKey: key, message: `log ${id}` })).reply).toContain('cluster-hello');
    expect((await b!.api.turn({ sessionKey: key, message: `poll ${id}` })).reply).toContain('running');
    // A run accepted by one node, awaited through another: the wait lasts until the run ends there.
    const accepted = await a!.gw.api<{ runId: string }>('POST', '/v1/agent', {
      sessionKey: key,
      message: 'run: sleep 1; echo waited-across',
    });
    expect(accepted.status, accepted.text).toBe(202);
    const awaited = await b!.gw.api<{ status: string; reply?: string }>('GET', `/v1/runs/${accepted.body.runId}?waitMs=20000`, undefined, {
      timeoutMs: 30_000,
    });
    expect(awaited.body).toMatchObject({ status: 'ok', reply: expect.stringContaining('waited-across') });

    // Another session, through a third node, with a scoped token minted on a second: as if missing.
    const minted = await b!.gw.api<{ token: string }>('POST', '/v1/tokens', {
      name: 'other-session',
      sessionKey: 'agent:main:other',
      capabilities: ['processes:read', 'processes:kill', 'agent:run'],
    });
    expect(minted.status).toBe(201);
    const other = minted.body.token;
    const missing = await callApi(c!.gw.url, other, 'GET', '/v1/processes/no-such-shell/log');
    const foreign = await callApi(c!.gw.url, other, 'GET', `/v1/processes/${id}/log`);
    expect(foreign.status).toBe(404);
    expect(foreign.text.replace(id, 'no-such-shell')).toBe(missing.text);
    expect((await callApi(c!.gw.url, other, 'POST', `/v1/processes/${id}/kill`)).status).toBe(404);
    const listed = await callApi<{ processes: Array<{ id: string }> }>(c!.gw.url, other, 'GET', '/v1/processes');
    expect(listed.body.processes.map((shell) => shell.id)).not.toContain(id);
    // …and its turns' process tool on another node does not find it either.
    expect((await c!.api.turn({ sessionKey: 'agent:main:other', message: `log ${id}` })).reply).not.toContain('cluster-hello');
    // A case variant of the key is the same canonical session, not a second one.
    expect((await a!.api.processes('agent:main:SHELLS')).map((shell) => shell.id)).toContain(id);

    // The cluster secret is no API credential; the node route takes nothing but the secret.
    expect((await callApi(b!.gw.url, SECRET, 'GET', '/v1/status')).status).toBe(401);
    for (const credential of [TOKEN, other, null]) {
      const call = await callApi(b!.gw.url, credential, 'POST', '/v1/cluster/shells', { op: 'kill', id, scopeKey: key });
      expect(call.status).toBe(401);
    }
    const wrongScope = await fetch(`${a!.gw.url}/v1/cluster/shells`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-pincer-cluster-secret': SECRET },
      body: JSON.stringify({ op: 'kill', id, scopeKey: 'agent:main:other' }),
    });
    expect(wrongScope.status).toBe(404);

    // Kill through another node: the owner runs the kill ceremony.
    const [running] = (await a!.api.processes(key)).filter((shell) => shell.id === id);
    const killed = await b!.gw.api<{ status: string }>('POST', `/v1/processes/${id}/kill`);
    expect(killed.body.status).toBe('killed');
    await until(() => running?.pid !== undefined && !isAlive(running.pid), 'the killed shell gone');
    await until(
      async () => (await c!.api.processes(key)).find((shell) => shell.id === id)?.status === 'killed',
      'killed, seen from node 2',
    );
  });

  it('runs 1 000 turns over 100 sessions spread over the nodes, one run at a time per session', async () => {
    const { nodes: cluster } = await startCluster(3, { gateway: { maxConcurrentRuns: 8, maxQueuedRuns: 1000 } });
    const TURNS = 1000;
    const SESSIONS = 100;
    const IN_FLIGHT = 24;
    const results: Array<{ runId: string; sessionKey: string; node: number }> = [];
    let next = 0;
    // Ten turns of a session in a row, each to the next node: its turns meet on different nodes at once.
    const worker = async () => {
      while (next < TURNS) {
        const turn = next++;
        const node = turn % cluster.length;
        const sessionKey = `agent:main:load-${Math.floor(turn / (TURNS / SESSIONS))}`;
        const sent = await cluster[node]!.gw.api<{ runId: string }>('POST', '/v1/agent', { sessionKey, message: `turn ${turn}` });
        expect(sent.status, sent.text).toBe(202);
        results.push({ runId: sent.body.runId, sessionKey, node });
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    // Each run read back through another node than the one it was sent to, as many at once as were sent.
    type RunRead = (typeof results)[number] & { status?: string; startedAt?: number; endedAt?: number };
    const runs: RunRead[] = [];
    let read = 0;
    const reader = async () => {
      while (read < results.length) {
        const index = read++;
        const result = results[index]!;
        const node = cluster[(result.node + 1) % cluster.length]!;
        const answer = await node.gw.api<{ status: string; startedAt?: number; endedAt?: number }>(
          'GET',
          `/v1/runs/${result.runId}?waitMs=60000`,
          undefined,
          { timeoutMs: 70_000 },
        );
        runs.push({ ...result, ...answer.body });
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, reader));
    expect(runs.filter((run) => run.status !== 'ok').map((run) => run.status)).toEqual([]);
    const bySession = new Map<string, typeof runs>();
    for (const run of runs) bySession.set(run.sessionKey, [...(bySession.get(run.sessionKey) ?? []), run]);
    expect(bySession.size).toBe(SESSIONS);
    const overlaps: string[] = [];
    for (const [sessionKey, sessionRuns] of bySession) {
      expect(new Set(sessionRuns.map((run) => run.node)).size, `${sessionKey} ran on every node`).toBe(3);
      const ordered = [...sessionRuns].sort((left, right) => left.startedAt! - right.startedAt!);
      for (let index = 1; index < ordered.length; index++) {
        if (ordered[index]!.startedAt! < ordered[index - 1]!.endedAt!) overlaps.push(`${sessionKey}: ${ordered[index]!.runId}`);
      }
    }
    expect(overlaps).toEqual([]);
  }, 300_000);

  it('SIGKILL of a node mid-run: runs interrupted, shells lost with one notice each, queued events delivered once', async () => {
    const {
      nodes: [dying, b, c],
    } = await startCluster();
    const runKey = 'agent:main:crash-run';
    const shellKey = 'agent:main:crash-shell';
    const lostId = startedId((await dying!.api.turn({ sessionKey: shellKey, message: 'run in background: sleep 600' })).reply);
    const bg = startedId((await dying!.api.turn({ sessionKey: runKey, message: 'run in background: sleep 0.3; echo event-xyz' })).reply);
    const notice = `Exec completed (${bg}, code 0) :: event-xyz`;
    const running = await dying!.gw.api<{ runId: string }>('POST', '/v1/agent', { sessionKey: runKey, message: 'run: sleep 30' });
    await until(
      async () => (await dying!.api.processes(runKey)).some((shell) => shell.command === 'sleep 30' && shell.status === 'running'),
      'the run’s command running',
    );
    await until(async () => ((await dying!.api.session(runKey)).body.queuedEvents ?? 0) >= 1, 'the exit notice queued behind the busy run');
    expect((await b!.gw.api<{ status: string }>('GET', `/v1/runs/${running.body.runId}`)).body.status).toBe('running');

    await dying!.gw.kill9();

    const run = await until(async () => {
      const read = await b!.gw.api<{ status: string; error?: string }>('GET', `/v1/runs/${running.body.runId}`);
      return read.body.status === 'error' ? read.body : undefined;
    }, 'the dead node’s run finalized');
    expect(run.error).toMatch(/interrupted: node node-0 stopped/);
    await until(async () => (await c!.api.processes(shellKey)).find((shell) => shell.id === lostId)?.status === 'lost', 'the shell lost');
    const status = await b!.gw.api<{ cluster: { nodes: Array<{ id: string; state: string; reapedBy: string | null }> } }>(
      'GET',
      '/v1/status',
    );
    expect(status.body.cluster.nodes.find((entry) => entry.id === 'node-0')).toMatchObject({
      state: 'dead',
      reapedBy: expect.stringMatching(/^node-[12]$/),
    });
    // The lost shell's one notice and the dead node's queued event each reach their session once.
    await until(async () => (await userEntriesWith(b!, shellKey, `Exec lost: node node-0 stopped (${lostId}`)) > 0, 'the lost notice');
    await until(async () => (await userEntriesWith(c!, runKey, notice)) > 0, 'the queued event delivered by a survivor');
    await b!.api.turn({ sessionKey: runKey, message: 'anything new?' });
    await c!.api.turn({ sessionKey: shellKey, message: 'anything new?' });
    expect(await userEntriesWith(b!, runKey, notice)).toBe(1);
    expect(await userEntriesWith(b!, shellKey, 'Exec lost')).toBe(1);
  }, 120_000);

  it('a node stalled past its lease is taken over, and once it runs again it stops serving (exit 1)', async () => {
    const {
      nodes: [stalled, b],
    } = await startCluster(2);
    const key = 'agent:main:stall';
    const running = await stalled!.gw.api<{ runId: string }>('POST', '/v1/agent', { sessionKey: key, message: 'run: sleep 20' });
    await until(
      async () => (await stalled!.api.processes(key)).some((shell) => shell.command === 'sleep 20' && shell.status === 'running'),
      'the run’s command running',
    );
    stalled!.gw.proc.kill('SIGSTOP');
    try {
      await until(async () => {
        const read = await b!.gw.api<{ status: string; error?: string }>('GET', `/v1/runs/${running.body.runId}`);
        return read.body.status === 'error' && /interrupted: node node-0 stopped/.test(read.body.error ?? '');
      }, 'the stalled node’s run finalized by the survivor');
    } finally {
      stalled!.gw.proc.kill('SIGCONT');
    }
    const exitCode = await new Promise<number | null>((resolve) => {
      if (stalled!.gw.proc.exitCode !== null) resolve(stalled!.gw.proc.exitCode);
      else stalled!.gw.proc.once('exit', (code) => resolve(code));
    });
    expect(exitCode).toBe(1);
    expect(stalled!.gw.output()).toMatch(/stops serving/);
    // The survivor serves the session: a new turn runs (the stalled node's lock went with its connection).
    expect((await b!.api.turn({ sessionKey: key, message: 'still there?' })).status).toBe('ok');
  }, 120_000);

  it('fires every cron slot once across the nodes that all schedule the job', async () => {
    const schema = `cluster_${randomBytes(5).toString('hex')}`;
    schemas.push(schema);
    const first = await startNode(schema, 0);
    const created = await first.gw.api<{ id: string }>('POST', '/v1/cron', {
      sessionKey: 'agent:main:cron',
      every: '1s',
      text: 'tick',
      name: 'tick',
    });
    expect(created.status, created.text).toBe(201);
    // Started after the job exists, the other two load it: all three schedule every slot.
    const others = await Promise.all([startNode(schema, 1), startNode(schema, 2)]);
    const all = [first, ...others];
    type CronRun = { scheduledAtMs: number; status: string };
    // The shared history, read through each node in turn: the same on every node.
    let reads = 0;
    const history = async () => {
      const node = all[reads++ % all.length]!;
      const read = await node.gw.api<{ runs: CronRun[] }>('GET', `/v1/cron/${created.body.id}/runs`);
      if (read.status !== 200) throw new Error(`GET /v1/cron/…/runs on ${node.gw.url}: ${read.status} ${read.text}`);
      return read.body.runs;
    };
    await until(async () => (await history()).filter((run) => run.status === 'ok').length >= 12, '12 slots fired', 60_000);
    const runs = await history();
    expect(runs.filter((run) => run.status !== 'ok')).toEqual([]);
    const fired = runs.map((run) => run.scheduledAtMs).sort((left, right) => left - right);
    expect(fired.length).toBe(new Set(fired).size);
    // No slot missed, none twice: one run per second of the schedule.
    for (let index = 1; index < fired.length; index++) expect(fired[index]! - fired[index - 1]!).toBe(1000);
    // A job added through one node after all three started is scheduled by all (and fired once per slot).
    const late = await others[1]!.gw.api<{ id: string }>('POST', '/v1/cron', { sessionKey: 'agent:main:cron', every: '1s', text: 'late' });
    expect(late.status, late.text).toBe(201);
    for (const node of all) {
      await until(async () => (await node.gw.api('GET', `/v1/cron/${late.body.id}`)).status === 200, `the late job seen by ${node.gw.url}`);
    }
    const lateRuns = async () =>
      (await first.gw.api<{ runs: CronRun[] }>('GET', `/v1/cron/${late.body.id}/runs`)).body.runs.map((run) => run.scheduledAtMs);
    await until(async () => (await lateRuns()).length >= 6, 'the late job fired 6 slots', 60_000);
    const lateFired = await lateRuns();
    expect(lateFired.length).toBe(new Set(lateFired).size);
    // Removed through a third node: no node fires it again.
    expect((await first.gw.api('DELETE', `/v1/cron/${late.body.id}`)).status).toBe(200);
    const deletedAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    for (const node of all) expect((await node.gw.api('GET', `/v1/cron/${late.body.id}`)).status).toBe(404);
    // The history stays in the database: no run of the job was stored after its removal.
    const firedAfter = await query<{ count: string }>(
      `SELECT COUNT(*) AS count FROM ${schema}.cron_runs WHERE job_id = $1 AND created_at > $2`,
      [late.body.id, deletedAt],
    );
    expect(Number(firedAfter[0]!.count)).toBe(0);
  }, 120_000);
});
