/**
 * An in-process gateway (the real `startGateway` from `@pincer/gateway`, real SQLite in a temp
 * dir, real processes, an ephemeral loopback port) for suites that hammer the HTTP API.
 */
import { randomBytes } from 'node:crypto';
import { startGateway } from '@pincer/gateway';
import { inject } from 'vitest';
import { type ApiResponse, type StateDir, callApi, makeStateDir } from './harness.js';

/** A gateway running inside the test process. */
export interface InprocGateway {
  url: string;
  token: string;
  state: StateDir;
  api<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    opts?: { rawBody?: string; timeoutMs?: number; contentType?: string },
  ): Promise<ApiResponse<T>>;
  close(): Promise<void>;
}

/** Nodes of the in-process cluster under `PINCER_TEST_STORE=cluster`. */
const CLUSTER_NODES = 3;

/**
 * The run's store for `config`: unchanged (SQLite in the state dir); with
 * `PINCER_TEST_STORE=postgres`, a fresh schema of the run's PostgreSQL (the schema is left to the
 * server, which the run stops); with `PINCER_TEST_STORE=cluster`, that schema shared by three
 * cluster nodes (one config each).
 */
function withTestStore(config: unknown): unknown[] {
  const mode = process.env.PINCER_TEST_STORE;
  if (mode !== 'postgres' && mode !== 'cluster') return [config];
  const url = inject('postgresUrl');
  if (!url) throw new Error(`PINCER_TEST_STORE=${mode}, but no PostgreSQL was started for this run`);
  const schema = `pincer_rel_${randomBytes(6).toString('hex')}`;
  const store = { kind: 'postgres', url, schema };
  if (mode === 'postgres') return [{ ...(config as Record<string, unknown>), store }];
  // Every node of the run shares one secret (the variable the gateway reads by default).
  process.env.PINCER_CLUSTER_SECRET ??= randomBytes(24).toString('hex');
  return Array.from({ length: CLUSTER_NODES }, (_, index) => ({
    ...(config as Record<string, unknown>),
    store,
    cluster: { nodeId: `node-${index}-${randomBytes(3).toString('hex')}` },
  }));
}

/**
 * Start one on a fresh temp state dir with `config` — or, under `PINCER_TEST_STORE=cluster`,
 * three cluster nodes on one schema whose `api` takes turns between them (each request goes to
 * the next node; `url` is the first node's).
 */
export async function startInprocGateway(config: unknown): Promise<InprocGateway> {
  const token = `test-${Math.random().toString(36).slice(2)}`;
  const configs = withTestStore(config);
  const started: Array<{ state: StateDir; gw: Awaited<ReturnType<typeof startGateway>> }> = [];
  try {
    for (const nodeConfig of configs) {
      const state = makeStateDir(nodeConfig, 'pincer-rel-');
      const gw = await startGateway({
        port: 0,
        host: '127.0.0.1',
        stateDir: state.dir,
        configPath: state.configPath,
        token,
        logLevel: 'silent',
      }).catch((error: unknown) => {
        state.remove();
        throw error;
      });
      started.push({ state, gw });
      const expected = process.env.PINCER_TEST_STORE === 'cluster' ? 'a cluster node' : 'on PostgreSQL';
      const isExpected =
        process.env.PINCER_TEST_STORE === 'cluster'
          ? gw.runtime.cluster !== undefined
          : process.env.PINCER_TEST_STORE !== 'postgres' || gw.runtime.config.store?.kind === 'postgres';
      if (!isExpected) throw new Error(`PINCER_TEST_STORE=${process.env.PINCER_TEST_STORE}, but this gateway is not ${expected}`);
    }
  } catch (error) {
    for (const node of started) {
      await node.gw.close();
      node.state.remove();
    }
    throw error;
  }
  const first = started[0]!;
  let turn = 0;
  return {
    url: first.gw.url,
    token,
    state: first.state,
    api: (method, path, body, opts) => callApi(started[turn++ % started.length]!.gw.url, token, method, path, body, opts ?? {}),
    async close() {
      for (const node of started) await node.gw.close();
      for (const node of started) node.state.remove();
    },
  };
}
