import { z } from 'zod';
import { type AgentAcceptedSchema, ErrorBodySchema, type RunViewSchema } from '@pincer/gateway/schemas';
import { CliError, type CliErrorCode } from './errors.js';

// The gateway's own wire schemas (`@pincer/gateway/schemas`, zod only): the CLI parses what the
// gateway sends with the shapes the gateway declares its routes with, never a hand-kept copy.
export {
  AgentAcceptedSchema,
  AgentRequestSchema,
  ErrorBodySchema,
  RunViewSchema,
  type AgentRequest,
} from '@pincer/gateway/schemas';

/** Accepted agent turn (`POST /v1/agent` → 202 `{ runId, sessionKey }`). */
export type AgentAccepted = z.infer<typeof AgentAcceptedSchema>;
/** A run's state as the gateway reports it (`GET /v1/runs/:id`). */
export type RunView = z.infer<typeof RunViewSchema>;

/** Options for {@link createGatewayClient}. */
export interface GatewayClientOptions {
  /** Base URL without a trailing slash. */
  url: string;
  /** Bearer token (sent as `Authorization: Bearer <token>`). */
  token: string | undefined;
  /** HTTP implementation; defaults to the global `fetch`. */
  fetch?: typeof fetch;
  /** Aborts in-flight requests (SIGINT). */
  signal?: AbortSignal;
  /** Per-request timeout in ms for ordinary calls. Default 30 000. */
  requestTimeoutMs?: number;
}

/** A thin JSON-over-HTTP client for the gateway's `/v1` API. */
export interface GatewayClient {
  /** Base URL this client talks to. */
  readonly url: string;
  /**
   * Probes `GET /healthz` (no auth). Resolves with the body when something answers 2xx;
   * throws `GATEWAY_UNAVAILABLE` when nothing answers within `timeoutMs` (default 2000).
   */
  health(timeoutMs?: number): Promise<unknown>;
  /** Sends a JSON request and returns the parsed JSON body; non-2xx answers throw a mapped `CliError`. */
  request(method: 'GET' | 'POST' | 'DELETE' | 'PUT' | 'PATCH', path: string, options?: RequestOptions): Promise<unknown>;
}

/** Options for one {@link GatewayClient.request}. */
export interface RequestOptions {
  /** JSON body. */
  body?: unknown;
  /** Query string parameters; `undefined` values are dropped. */
  query?: Record<string, string | number | boolean | undefined>;
  /** Overrides the client's per-request timeout (ms). */
  timeoutMs?: number;
}

/** Builds a gateway client. Never retries; the caller decides what a failure means. */
export function createGatewayClient(options: GatewayClientOptions): GatewayClient {
  const doFetch = options.fetch ?? globalThis.fetch;
  const baseUrl = options.url.replace(/\/+$/, '');
  const defaultTimeoutMs = options.requestTimeoutMs ?? 30_000;

  async function send(method: string, path: string, init: RequestOptions & { auth: boolean }): Promise<Response> {
    const url = new URL(baseUrl + path);
    for (const [name, value] of Object.entries(init.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    const headers: Record<string, string> = { accept: 'application/json' };
    if (init.auth && options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    const timeout = AbortSignal.timeout(init.timeoutMs ?? defaultTimeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    try {
      return await doFetch(url, {
        method,
        headers,
        signal,
        ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
      });
    } catch (cause) {
      if (options.signal?.aborted) throw new CliError('INTERNAL', 'Interrupted.', { cause });
      if (timeout.aborted) {
        throw new CliError('GATEWAY_UNAVAILABLE', `Gateway at ${baseUrl} did not answer ${method} ${path} in time.`, { cause });
      }
      throw new CliError('GATEWAY_UNAVAILABLE', `No gateway answered at ${baseUrl} (${describeFetchFailure(cause)}).`, { cause });
    }
  }

  return {
    url: baseUrl,
    async health(timeoutMs = 2_000) {
      const response = await send('GET', '/healthz', { auth: false, timeoutMs });
      const body = await readJson(response, 'GET /healthz');
      if (!response.ok) {
        throw new CliError('GATEWAY_UNAVAILABLE', `Gateway at ${baseUrl} is not healthy (HTTP ${response.status}).`);
      }
      return body;
    },
    async request(method, path, requestOptions = {}) {
      const response = await send(method, path, { ...requestOptions, auth: true });
      const body = await readJson(response, `${method} ${path}`);
      if (!response.ok) throw errorFromResponse(response.status, body, `${method} ${path}`);
      return body;
    },
  };
}

/** Maps an HTTP error answer to a `CliError` (400/413/422 → VALIDATION, 401, 403, 404, 429, else GATEWAY_ERROR). */
export function errorFromResponse(status: number, body: unknown, what: string): CliError {
  const parsed = ErrorBodySchema.safeParse(body);
  const message = parsed.success ? parsed.data.error.message : `Gateway answered HTTP ${status} to ${what}.`;
  const field = parsed.success ? parsed.data.error.field : undefined;
  const code: CliErrorCode =
    status === 400 || status === 413 || status === 422
      ? 'VALIDATION'
      : status === 401
        ? 'UNAUTHORIZED'
        : status === 403
          ? 'FORBIDDEN'
          : status === 404
            ? 'NOT_FOUND'
            : status === 429
              ? 'RATE_LIMITED'
              : 'GATEWAY_ERROR';
  const hint = code === 'UNAUTHORIZED' ? ' Set PINCER_GATEWAY_TOKEN or use the state dir the gateway runs on (PINCER_STATE_DIR).' : '';
  return new CliError(code, `${message}${hint}`, field === undefined ? {} : { field });
}

async function readJson(response: Response, what: string): Promise<unknown> {
  const text = await response.text();
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    if (!response.ok) return undefined;
    throw new CliError('GATEWAY_ERROR', `Gateway sent a body that is not JSON for ${what}.`, { cause });
  }
}

function describeFetchFailure(error: unknown): string {
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  const code = (cause as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') return code;
  if (cause instanceof Error && cause.message) return cause.message;
  return error instanceof Error ? error.message : String(error);
}

/** Parses a success body with a schema; a mismatch is a `GATEWAY_ERROR` naming the call. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
    throw new CliError('GATEWAY_ERROR', `Unexpected answer from the gateway for ${what}${where}: ${issue?.message ?? 'invalid'}.`);
  }
  return parsed.data;
}
