import type { Logger } from 'pino';
import { CliError } from './errors.js';

/** What `pincer` needs from a started gateway (the pinned `startGateway` result). */
export interface StartedGateway {
  url: string;
  port: number;
  token: string;
  stateDir: string;
  close(): Promise<void>;
}

/** Options `pincer gateway` passes to `startGateway`. */
export interface StartGatewayOptions {
  host?: string;
  port?: number;
  stateDir?: string;
  configPath?: string;
  token?: string;
  logLevel?: string;
  /**
   * A pino logger for the gateway (the CLI passes one that prints readable lines on a TTY).
   * `startGateway` hands it to the runtime; without one the gateway logs JSON.
   */
  logger?: Logger;
}

/** One embedded agent turn (`pincer agent --local` and the fallback). */
export interface EmbeddedTurnInput {
  message: string;
  agentId?: string;
  sessionKey?: string;
  sessionId?: string;
  to?: string;
  timeoutMs?: number;
}

/** Result of an embedded agent turn. */
export interface EmbeddedTurnResult {
  runId: string;
  sessionKey: string;
  reply: string | null | undefined;
  status: string;
  error?: unknown;
}

/** The embedded runtime (`createGatewayRuntime`). */
export interface EmbeddedRuntime {
  runAgentTurn(input: EmbeddedTurnInput): Promise<EmbeddedTurnResult>;
  close(): Promise<void>;
}

/** Options the CLI passes to `createGatewayRuntime` for an embedded turn. */
export interface EmbeddedRuntimeOptions {
  stateDir: string;
  configPath?: string;
  /** pino level; the CLI passes `silent` (logs would go to stdout and break `--json`) unless PINCER_LOG_LEVEL is set. */
  logLevel?: string;
  /** `false`: no wakes, cron or orphan reaping — an embedded turn must not act on a live gateway's processes. */
  isServer?: boolean;
}

/** The subset of `@pincer/gateway` the CLI uses, loaded lazily so most commands never pay for it. */
export interface GatewayModule {
  startGateway(options: StartGatewayOptions): Promise<StartedGateway>;
  createGatewayRuntime(options: EmbeddedRuntimeOptions): EmbeddedRuntime | Promise<EmbeddedRuntime>;
  loadConfig(path?: string): unknown;
}

// A variable specifier: the CLI binds to the pinned contract above (checked at runtime below),
// and the heavy gateway graph (fastify, SQLite) is only loaded by commands that need it.
const GATEWAY_SPECIFIER: string = '@pincer/gateway';

/** Loads `@pincer/gateway` on first use. */
export type GatewayModuleLoader = () => Promise<GatewayModule>;

/** The default loader: a dynamic `import('@pincer/gateway')`; failures become a clear `INTERNAL` error. */
export const loadGatewayModule: GatewayModuleLoader = async () => {
  try {
    const mod = (await import(GATEWAY_SPECIFIER)) as Partial<GatewayModule>;
    if (typeof mod.startGateway !== 'function' || typeof mod.createGatewayRuntime !== 'function' || typeof mod.loadConfig !== 'function') {
      throw new Error('it does not export startGateway, createGatewayRuntime and loadConfig');
    }
    return mod as GatewayModule;
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new CliError('INTERNAL', `Could not load @pincer/gateway (${reason}). Build it with "pnpm --filter @pincer/gateway build".`, {
      cause,
    });
  }
};
