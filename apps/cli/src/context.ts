import { InvalidArgumentError } from 'commander';
import { discoverGateway, resolveConfigPath, resolveStateDir, type GatewayTarget } from './discovery.js';
import { CliError } from './errors.js';
import { createGatewayClient, type GatewayClient } from './gateway-client.js';
import { loadGatewayModule, type GatewayModuleLoader } from './gateway-module.js';
import { abortableSleep, type CliClock, type CliIo } from './io.js';

/** Overridable collaborators of `runCli` (tests inject fakes; the binary uses the defaults). */
export interface CliDeps {
  /** Loads `@pincer/gateway`; defaults to a dynamic import. */
  loadGateway?: GatewayModuleLoader;
}

/**
 * The global options, given before or after the command (`pincer --state-dir d ps` and
 * `pincer ps --state-dir d` are the same). Precedence everywhere: flag > environment > state dir.
 */
export interface GlobalOptions {
  /** `--state-dir <dir>` (else `PINCER_STATE_DIR`, else `~/.pincer`). */
  stateDir?: string | undefined;
  /** `--url <url>` (else `PINCER_GATEWAY_URL`, else the state dir's `gateway.json`). */
  url?: string | undefined;
  /** `--token <token>` (else `PINCER_GATEWAY_TOKEN`, else the state dir's `token` file). */
  token?: string | undefined;
}

/** What every command action receives. */
export interface CommandContext {
  readonly io: CliIo;
  /** The global options of this invocation (set before the command's action runs). */
  globals: GlobalOptions;
  readonly clock: CliClock;
  readonly loadGateway: GatewayModuleLoader;
  /** Sleeps `ms`, cut short by `io.signal`. */
  sleep(ms: number): Promise<void>;
  /** The state dir (`--state-dir` > `PINCER_STATE_DIR` > `~/.pincer`). */
  stateDir(explicit?: string): string;
  /** The config path (`--config` > `PINCER_CONFIG` > `<stateDir>/pincer.config.json` if present). */
  configPath(stateDir: string, explicit?: string): string | undefined;
  /** Where the gateway for a state dir is, and its token (no network). */
  target(stateDir: string): GatewayTarget;
  /** A client for the discovered gateway; throws `GATEWAY_UNAVAILABLE` when nothing names one. */
  client(stateDir: string): GatewayClient;
}

/** Builds the command context from the IO and deps. */
export function createCommandContext(io: CliIo, deps: CliDeps = {}): CommandContext {
  const clock = io.clock ?? Date;
  const ctx: CommandContext = {
    io,
    globals: {},
    clock,
    loadGateway: deps.loadGateway ?? loadGatewayModule,
    sleep: io.sleep ?? ((ms) => abortableSleep(ms, io.signal)),
    stateDir: (explicit) => resolveStateDir(io, explicit ?? ctx.globals.stateDir),
    configPath: (stateDir, explicit) => resolveConfigPath(io, stateDir, explicit),
    target: (stateDir) => discoverGateway(io, stateDir, ctx.globals),
    client(stateDir) {
      const target = discoverGateway(io, stateDir, ctx.globals);
      if (target.url === undefined) throw noGatewayError(target);
      return createGatewayClient({
        url: target.url,
        token: target.token,
        ...(io.fetch ? { fetch: io.fetch } : {}),
        ...(io.signal ? { signal: io.signal } : {}),
      });
    },
  };
  return ctx;
}

/** The error for "nothing says where a gateway is"; `hint` replaces the default advice. */
export function noGatewayError(target: GatewayTarget, hint = 'Start one with "pincer gateway".'): CliError {
  return new CliError(
    'GATEWAY_UNAVAILABLE',
    `No gateway is running for state dir ${target.stateDir} (no gateway.json; PINCER_GATEWAY_URL is not set). ${hint}`,
    { stableCode: 'GATEWAY_NOT_RUNNING' },
  );
}

/** Commander argument parser for non-negative integers (`--offset`, `--limit`, `--port`). */
export function parseNonNegativeInt(value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError('Expected a whole number (0 or more).');
  const n = Number(value.trim());
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError('Number is too large.');
  return n;
}

/** Commander argument parser for positive integers. */
export function parsePositiveInt(value: string): number {
  if (!/^\d+$/.test(value.trim()) || /^0+$/.test(value.trim())) throw new InvalidArgumentError('Expected a whole number greater than 0.');
  return parseNonNegativeInt(value);
}

/** Commander argument parser for `--timeout <seconds>` (positive, fractions allowed). */
export function parseSeconds(value: string): number {
  const text = value.trim();
  const n = Number(text);
  if (text === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('Expected a number of seconds greater than 0.');
  return n;
}

/** Commander argument parser for a TCP port (0–65535; 0 picks a free port). */
export function parsePortArg(value: string): number {
  const n = parseNonNegativeInt(value);
  if (n > 65535) throw new InvalidArgumentError('Expected a port between 0 and 65535.');
  return n;
}

/** Extracts a list from a gateway answer: the body itself if it is an array, else `body[key]`. */
export function listFrom(body: unknown, ...keys: string[]): unknown[] {
  if (Array.isArray(body)) return body;
  if (typeof body === 'object' && body !== null) {
    for (const key of keys) {
      const value = (body as Record<string, unknown>)[key];
      if (Array.isArray(value)) return value;
    }
  }
  throw new CliError('GATEWAY_ERROR', `Unexpected answer from the gateway (expected a list${keys.length ? ` in "${keys[0]}"` : ''}).`);
}

/** Reads a property of an unknown record. */
export function field(value: unknown, ...names: string[]): unknown {
  if (typeof value !== 'object' || value === null) return undefined;
  for (const name of names) {
    const found = (value as Record<string, unknown>)[name];
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Reads a string property (first of several names); `undefined` otherwise. */
export function stringField(value: unknown, ...names: string[]): string | undefined {
  const found = field(value, ...names);
  return typeof found === 'string' ? found : typeof found === 'number' ? String(found) : undefined;
}
