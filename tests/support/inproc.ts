/**
 * An in-process gateway (the real `startGateway` from `@pincer/gateway`, real SQLite in a temp
 * dir, real processes, an ephemeral loopback port) for suites that hammer the HTTP API.
 */
import { startGateway } from '@pincer/gateway';
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

/** Start one on a fresh temp state dir with `config`. */
export async function startInprocGateway(config: unknown): Promise<InprocGateway> {
  const state = makeStateDir(config, 'pincer-rel-');
  const token = `test-${Math.random().toString(36).slice(2)}`;
  const gw = await startGateway({
    port: 0,
    host: '127.0.0.1',
    stateDir: state.dir,
    configPath: state.configPath,
    token,
    logLevel: 'silent',
  });
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
