import { buildHttpApp, type AuthLimitOptions } from './http/server.js';
import { createGatewayRuntime, type GatewayRuntime } from './runtime.js';
import { ensureStateDir, loadOrCreateToken, removeDiscovery, resolveStateDir, writeDiscovery } from './state.js';

/** Default port. */
export const DEFAULT_PORT = 7787;
/** Default bind host (loopback). */
export const DEFAULT_HOST = '127.0.0.1';

/** Options of {@link startGateway}. */
export interface StartGatewayOptions {
  /** Bind host; default `127.0.0.1` (config `gateway.host`). */
  host?: string;
  /** Port; default env `PINCER_PORT`, config `gateway.port`, else 7787; `0` = ephemeral. */
  port?: number;
  /** State dir; default env `PINCER_STATE_DIR`, else `~/.pincer`. */
  stateDir?: string;
  /** Config path; default env `PINCER_CONFIG`, else `<stateDir>/pincer.config.json` if present. */
  configPath?: string;
  /** Bearer token override (else env `PINCER_GATEWAY_TOKEN`, else `<stateDir>/token`). */
  token?: string;
  /** pino level (default `warn`). */
  logLevel?: string;
  /** Failed-auth limiter (tests). Default 10 per 60 s, then 429 for 300 s. */
  authLimit?: AuthLimitOptions;
}

/** A running gateway. */
export interface RunningGateway {
  url: string;
  port: number;
  token: string;
  stateDir: string;
  /** The runtime behind the HTTP API. */
  runtime: GatewayRuntime;
  /** Graceful stop: refuse new requests, finish or cancel runs, stop processes, close the DB. */
  close(): Promise<void>;
}

/**
 * Start the gateway: state dir + token, SQLite, runtime, HTTP on loopback, `gateway.json`.
 */
export async function startGateway(opts: StartGatewayOptions = {}): Promise<RunningGateway> {
  const stateDir = resolveStateDir(opts.stateDir);
  ensureStateDir(stateDir);
  const token = loadOrCreateToken(stateDir, opts.token);
  const runtime = await createGatewayRuntime({
    stateDir,
    isServer: true,
    ...(opts.configPath ? { configPath: opts.configPath } : {}),
    ...(opts.logLevel ? { logLevel: opts.logLevel } : {}),
  });
  const app = buildHttpApp(runtime, { token, ...(opts.authLimit ? { authLimit: opts.authLimit } : {}) });
  const host = opts.host ?? runtime.config.gateway?.host ?? DEFAULT_HOST;
  const envPort = process.env.PINCER_PORT !== undefined && process.env.PINCER_PORT !== '' ? Number(process.env.PINCER_PORT) : undefined;
  const port = opts.port ?? envPort ?? runtime.config.gateway?.port ?? DEFAULT_PORT;
  try {
    await app.listen({ host, port });
  } catch (e) {
    await runtime.close();
    throw e;
  }
  const addr = app.server.address();
  const actualPort = typeof addr === 'object' && addr ? addr.port : port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`;
  writeDiscovery(stateDir, { url, port: actualPort, pid: process.pid, startedAt: Date.now() });
  let closing: Promise<void> | undefined;
  return {
    url,
    port: actualPort,
    token,
    stateDir,
    runtime,
    close() {
      closing ??= (async () => {
        await app.close();
        await runtime.close();
        removeDiscovery(stateDir);
      })();
      return closing;
    },
  };
}
