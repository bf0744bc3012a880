import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Item 17 (issue 14): slow or idle clients cannot take the gateway offline. Header and body
 * deadlines and idle keep-alive sockets use Node's own server settings; a per-source counter on
 * `connection` destroys sockets beyond the cap before a byte is parsed.
 */

/** Connection limits (all optional; the defaults are documented in the gateway README). */
export type ConnectionLimits = { [Key in keyof ConnectionLimitSettings]?: ConnectionLimitSettings[Key] | undefined };

/** Every connection limit. */
export interface ConnectionLimitSettings {
  /** Time to receive the request headers, from connect (ms). Default 10 000. */
  headersTimeoutMs: number;
  /** Time to receive the whole request, headers and body (ms). Default 30 000. */
  requestTimeoutMs: number;
  /** Idle keep-alive socket closed after (ms). Default 72 000 (Fastify's own default: a shorter one races clients reusing the socket). */
  keepAliveTimeoutMs: number;
  /** A socket with no traffic at all in either direction is closed after (ms); SSE pings every 15 s. Default 120 000. */
  idleSocketTimeoutMs: number;
  /** Open connections per source address. Default 128. */
  maxConnectionsPerSource: number;
  /** Open connections in total. Default 512. */
  maxConnections: number;
  /** How often Node checks the header/request deadlines (ms). Default 1 000 (Node's own is 30 000). */
  checkIntervalMs: number;
}

/** The defaults of {@link ConnectionLimits}. */
export const DEFAULT_CONNECTION_LIMITS: ConnectionLimitSettings = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 72_000,
  idleSocketTimeoutMs: 120_000,
  maxConnectionsPerSource: 128,
  maxConnections: 512,
  checkIntervalMs: 1_000,
};

function withDefaults(limits: ConnectionLimits): ConnectionLimitSettings {
  const settings = { ...DEFAULT_CONNECTION_LIMITS };
  for (const key of Object.keys(settings) as Array<keyof ConnectionLimitSettings>) {
    const value = limits[key];
    if (value !== undefined) settings[key] = value;
  }
  return settings;
}

/** Live counters (for metrics and tests). */
export interface ConnectionStats {
  open: number;
  refused: number;
  bySource(address: string): number;
}

/** An http server with the limits applied, plus its counters. */
export interface LimitedServer {
  server: Server;
  stats: ConnectionStats;
}

/**
 * Create a `node:http` server with the limits applied. Usable as Fastify's `serverFactory`:
 * `serverFactory: (handler) => createLimitedServer(handler, limits).server`.
 */
export function createLimitedServer(
  handler: RequestListener<typeof IncomingMessage, typeof ServerResponse>,
  limits: ConnectionLimits = {},
): LimitedServer {
  const settings = withDefaults(limits);
  const server = createServer(
    {
      headersTimeout: settings.headersTimeoutMs,
      requestTimeout: settings.requestTimeoutMs,
      keepAliveTimeout: settings.keepAliveTimeoutMs,
      connectionsCheckingInterval: settings.checkIntervalMs,
    },
    handler,
  );
  const stats = attachConnectionCaps(server, settings);
  return { server, stats };
}

/** Apply the per-source and total caps and the idle timeout to an existing server. */
export function attachConnectionCaps(server: Server, limits: ConnectionLimits = {}): ConnectionStats {
  const settings = withDefaults(limits);
  const perSource = new Map<string, number>();
  const stats = { open: 0, refused: 0, bySource: (address: string) => perSource.get(address) ?? 0 };
  server.setTimeout(settings.idleSocketTimeoutMs, (socket: Socket) => socket.destroy());
  server.on('connection', (socket: Socket) => {
    const source = socket.remoteAddress ?? 'unknown';
    const count = perSource.get(source) ?? 0;
    if (count >= settings.maxConnectionsPerSource || stats.open >= settings.maxConnections) {
      stats.refused += 1;
      socket.destroy();
      return;
    }
    perSource.set(source, count + 1);
    stats.open += 1;
    socket.once('close', () => {
      stats.open -= 1;
      const left = (perSource.get(source) ?? 1) - 1;
      if (left <= 0) perSource.delete(source);
      else perSource.set(source, left);
    });
  });
  return stats;
}
