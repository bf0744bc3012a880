import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { CliError } from './errors.js';

/** Shape of `<stateDir>/gateway.json`, written by a gateway when it listens. */
export const GatewayInfoFileSchema = z.looseObject({
  url: z.string().min(1),
  port: z.number().int().nonnegative().optional(),
  pid: z.number().int().positive().optional(),
  startedAt: z.union([z.number(), z.string()]).optional(),
});
/** Parsed `gateway.json`. */
export type GatewayInfoFile = z.infer<typeof GatewayInfoFileSchema>;

/** Where the CLI will look for a gateway, and how it authenticates. */
export interface GatewayTarget {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:7787`; `undefined` when nothing names a gateway. */
  url: string | undefined;
  /** Bearer token, when one was found. */
  token: string | undefined;
  /** Where the URL came from. */
  urlSource: 'flag' | 'env' | 'gateway.json' | 'port-env' | 'none';
  /** Where the token came from. */
  tokenSource: 'flag' | 'env' | 'token-file' | 'none';
  /** The state dir searched. */
  stateDir: string;
  /** The parsed `gateway.json`, when present. */
  info: GatewayInfoFile | undefined;
}

/** Inputs for discovery (a subset of `CliIo`). */
export interface DiscoveryContext {
  env: Readonly<Record<string, string | undefined>>;
  homeDir: string;
  cwd: string;
}

/** The state dir: `--state-dir` if given, else env `PINCER_STATE_DIR`, else `<home>/.pincer`. */
export function resolveStateDir(ctx: DiscoveryContext, explicit?: string): string {
  const chosen = nonBlank(explicit) ?? nonBlank(ctx.env.PINCER_STATE_DIR);
  if (chosen === undefined) return join(ctx.homeDir, '.pincer');
  return isAbsolute(chosen) ? chosen : resolve(ctx.cwd, chosen);
}

/**
 * The config path: `--config` if given, else env `PINCER_CONFIG`, else
 * `<stateDir>/pincer.config.json` when that file exists, else `undefined` (built-in defaults).
 */
export function resolveConfigPath(ctx: DiscoveryContext, stateDir: string, explicit?: string): string | undefined {
  const chosen = nonBlank(explicit) ?? nonBlank(ctx.env.PINCER_CONFIG);
  if (chosen !== undefined) return isAbsolute(chosen) ? chosen : resolve(ctx.cwd, chosen);
  const fallback = join(stateDir, 'pincer.config.json');
  return existsSync(fallback) ? fallback : undefined;
}

/** Reads `<stateDir>/gateway.json`; `undefined` when absent or unreadable (a stale or partial file is ignored). */
export function readGatewayInfo(stateDir: string): GatewayInfoFile | undefined {
  const file = join(stateDir, 'gateway.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = GatewayInfoFileSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Reads `<stateDir>/token` (trimmed); `undefined` when absent or empty. */
export function readTokenFile(stateDir: string): string | undefined {
  try {
    return nonBlank(readFileSync(join(stateDir, 'token'), 'utf8'));
  } catch {
    return undefined;
  }
}

/** Values of the global `--url` / `--token` flags (they win over the environment and the state dir). */
export interface GatewayOverrides {
  url?: string | undefined;
  token?: string | undefined;
}

/**
 * Finds the gateway: URL from `--url`, else env `PINCER_GATEWAY_URL`, else `gateway.json` in the
 * state dir, else `http://127.0.0.1:<PINCER_PORT>` when that env is set, else none (a gateway
 * writes `gateway.json` when it listens, so no file means no gateway for this state dir); token
 * from `--token`, else env `PINCER_GATEWAY_TOKEN`, else the state dir's `token` file. Never
 * touches the network.
 */
export function discoverGateway(ctx: DiscoveryContext, stateDir: string, overrides: GatewayOverrides = {}): GatewayTarget {
  const info = readGatewayInfo(stateDir);
  const flagUrl = nonBlank(overrides.url);
  const envUrl = nonBlank(ctx.env.PINCER_GATEWAY_URL);
  let url: string | undefined;
  let urlSource: GatewayTarget['urlSource'];
  if (flagUrl !== undefined) {
    url = flagUrl;
    urlSource = 'flag';
  } else if (envUrl !== undefined) {
    url = envUrl;
    urlSource = 'env';
  } else if (info !== undefined) {
    url = info.url;
    urlSource = 'gateway.json';
  } else {
    const port = parsePort(ctx.env.PINCER_PORT);
    url = port === undefined ? undefined : `http://127.0.0.1:${port}`;
    urlSource = port === undefined ? 'none' : 'port-env';
  }
  const flagToken = nonBlank(overrides.token);
  const envToken = nonBlank(ctx.env.PINCER_GATEWAY_TOKEN);
  const fileToken = flagToken === undefined && envToken === undefined ? readTokenFile(stateDir) : undefined;
  return {
    url: url === undefined ? undefined : normalizeBaseUrl(url),
    token: flagToken ?? envToken ?? fileToken,
    urlSource,
    tokenSource: flagToken !== undefined ? 'flag' : envToken !== undefined ? 'env' : fileToken !== undefined ? 'token-file' : 'none',
    stateDir,
    info,
  };
}

/** Validates a base URL (http/https only) and strips trailing slashes. */
export function normalizeBaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new CliError('USAGE', `Invalid gateway URL "${url}". Use http://<host>:<port>.`, { cause });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new CliError('USAGE', `Invalid gateway URL "${url}". Use http://<host>:<port>.`);
  }
  return url.trim().replace(/\/+$/, '');
}

/** Parses a TCP port (0–65535); `undefined` for blank input; throws `USAGE` otherwise. */
export function parsePort(value: string | undefined, flag = 'PINCER_PORT'): number | undefined {
  const text = nonBlank(value);
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) > 65535) {
    throw new CliError('USAGE', `${flag} must be a port number between 0 and 65535 (got "${text}").`);
  }
  return Number(text);
}

function nonBlank(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}
