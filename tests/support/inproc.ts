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

/**
 * `config` with the run's store: unchanged (SQLite in the state dir), or — with
 * `PINCER_TEST_STORE=postgres` — a fresh schema of the run's PostgreSQL (the schema is left to
 * the server, which the run stops).
 */
function withTestStore(config: unknown): unknown {
  if (process.env.PINCER_TEST_STORE !== 'postgres') return config;
  const url = inject('postgresUrl');
  if (!url) throw new Error('PINCER_TEST_STORE=postgres, but no PostgreSQL was started for this run');
  const schema = `pincer_rel_${randomBytes(6).toString('hex')}`;
  return { ...(config as Record<string, unknown>), store: { kind: 'postgres', url, schema } };
}

/** Start one on a fresh temp state dir with `config`. */
export async function startInprocGateway(config: unknown): Promise<InprocGateway> {
  const state = makeStateDir(withTestStore(config), 'pincer-rel-');
  const token = `test-${Math.random().toString(36).slice(2)}`;
  const gw = await startGateway({
    port: 0,
    host: '127.0.0.1',
    stateDir: state.dir,
    configPath: state.configPath,
    token,
    logLevel: 'silent',
  });
  if (process.env.PINCER_TEST_STORE === 'postgres' && gw.runtime.config.store?.kind !== 'postgres') {
    await gw.close();
    throw new Error('PINCER_TEST_STORE=postgres, but this gateway is not on PostgreSQL');
  }
  return {
    url: gw.url,
    token,
    state,
    api: (method, path, body, opts) => callApi(gw.url, token, method, path, body, opts ?? {}),
    async close() {
      await gw.close();
      state.remove();
    },
  };
}
