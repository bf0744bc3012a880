import type { Logger } from 'pino';
import type { AuthLimitOptions } from './auth/failed-auth-limiter.js';
import { createGatewayRuntime, type GatewayRuntime } from './compose.js';
import { assertOperatorTokenStrength } from './credentials/token-entropy.js';
import { buildHttpApp } from './http/app.js';
import { acquireGatewayLock } from './security/gateway-lock.js';
import { checkStateDir } from './security/state-dir-guard.js';
import { ensureStateDir, loadOrCreateToken, removeDiscovery, resolveConfigPath, resolveStateDir, writeDiscovery } from './state.js';
import { DEFAULT_HOST, DEFAULT_PORT } from './http/listen-defaults.js';

export { DEFAULT_HOST, DEFAULT_PORT };

/** Options of {@link startGateway}. */
export interface StartGatewayOptions {
  /** Bind host; default `127.0.0.1` (config `gateway.host`). */
  host?: string | undefined;
  /** Port; default env `PINCER_PORT`, config `gateway.port`, else 7787; `0` = ephemeral. */
  port?: number | undefined;
  /** State dir; default env `PINCER_STATE_DIR`, else `~/.pincer`. */
  stateDir?: string | undefined;
  /** Config path; default env `PINCER_CONFIG`, else `<stateDir>/pincer.config.json` if present. */
  configPath?: string | undefined;
  /**
   * The operator token (else env `PINCER_GATEWAY_TOKEN`, which must carry at least 128 bits, else
   * `<stateDir>/token`, generated with 256 bits on first start).
   */
  token?: string | undefined;
  /** pino level (default `warn`). */
  logLevel?: string | undefined;
  /** pino logger for the runtime (e.g. the CLI's readable TTY lines); default a logger at `logLevel`. */
  logger?: Logger | undefined;
  /** Failed-auth limiter (tests). Default: one presented value 10 per 60 s, then 429 for 300 s; 100 per 60 s from anywhere, then 429 for 60 s. */
  authLimit?: AuthLimitOptions | undefined;
  /** The clock credentials read for expiry (tests). Default the gateway clock. */
  credentials?: { now?: (() => number) | undefined } | undefined;
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
export async function startGateway(options: StartGatewayOptions = {}): Promise<RunningGateway> {
  const stateDir = resolveStateDir(options.stateDir);
  ensureStateDir(stateDir);
  // Issue 14 item 13: nothing is read from a state dir another user could have written to.
  checkStateDir({ stateDir, configPath: resolveConfigPath(stateDir, options.configPath || undefined) });
  // Item 14: one gateway per state dir (a second one exits naming the first).
  const lock = acquireGatewayLock(stateDir);
  let token: string;
  let runtime: GatewayRuntime;
  try {
    const fromEnv = process.env.PINCER_GATEWAY_TOKEN?.trim();
    // A token chosen by hand must be as hard to guess as a generated one (128 bits at least).
    if (options.token === undefined && fromEnv) assertOperatorTokenStrength(fromEnv, 'PINCER_GATEWAY_TOKEN');
    token = loadOrCreateToken(stateDir, options.token);
    runtime = await createGatewayRuntime({
      stateDir,
      isServer: true,
      configPath: options.configPath || undefined,
      logLevel: options.logLevel || undefined,
      credentialsNow: options.credentials?.now,
      logger: options.logger,
    });
  } catch (error) {
    lock.release();
    throw error;
  }
  const host = options.host ?? runtime.config.gateway?.host ?? DEFAULT_HOST;
  const envPort = process.env.PINCER_PORT !== undefined && process.env.PINCER_PORT !== '' ? Number(process.env.PINCER_PORT) : undefined;
  const port = options.port ?? envPort ?? runtime.config.gateway?.port ?? DEFAULT_PORT;
  let app: Awaited<ReturnType<typeof buildHttpApp>>;
  try {
    app = await buildHttpApp(runtime, { token, authLimit: options.authLimit, boundHost: host });
    await app.listen({ host, port });
  } catch (error) {
    await runtime.close();
    lock.release();
    throw error;
  }
  const address = app.server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`;
  let closing: Promise<void> | undefined;
  const running: RunningGateway = {
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
        lock.release();
      })();
      return closing;
    },
  };
  // Cluster mode: register as a node (the other nodes forward shell calls to this URL) once listening.
  if (runtime.cluster) {
    try {
      runtime.cluster.join(url);
    } catch (error) {
      await running.close();
      throw error;
    }
    // A node whose lease ran out (a survivor took over its work) stops serving, and exits 1 under the CLI.
    void runtime.fenced.then(() => {
      process.exitCode = 1;
      return running.close();
    });
  }
  writeDiscovery(stateDir, { url, port: actualPort, pid: process.pid, startedAt: Date.now() });
  lock.setUrl(url);
  return running;
}
