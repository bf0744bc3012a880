import { ConsoleError, codeForStatus } from './console-error.js';

/** Query values; `undefined` entries are left out, arrays repeat the name. */
export type Query = Record<string, string | number | ReadonlyArray<string> | undefined>;

/** A JSON client of the gateway's HTTP API for one token. */
export interface ApiClient {
  /** GET `path` and parse JSON. Throws {@link ConsoleError}. */
  get<T>(path: string, query?: Query): Promise<T>;
  /** POST `path` with an optional JSON body. */
  post<T>(path: string, body?: unknown, query?: Query): Promise<T>;
  /** DELETE `path`. */
  delete<T>(path: string, query?: Query): Promise<T>;
  /** GET `path` as text (e.g. `/metrics`). */
  getText(path: string): Promise<string>;
  /** Headers for a raw request (the SSE stream). */
  authHeaders(): Record<string, string>;
}

/** Options of {@link createApiClient}. */
export interface ApiClientOptions {
  /** The bearer token (operator or scoped). */
  token: string;
  /** Origin of the gateway; default `''` (same origin — the CSP allows nothing else). */
  baseUrl?: string;
  /** Called once per 401 answer (the token was revoked, expired or mistyped). */
  onUnauthorized?: () => void;
  /** Per-request timeout, ms. Default 30 000. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** Builds `path?query` with every value URL-encoded. */
export function withQuery(path: string, query: Query = {}): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined || value === '') continue;
    if (Array.isArray(value)) for (const item of value as ReadonlyArray<string>) search.append(name, item);
    else search.append(name, String(value));
  }
  const text = search.toString();
  return text === '' ? path : `${path}?${text}`;
}

/** A path segment (a session key holds `:`; keys and ids may hold anything). */
export const segment = (value: string): string => encodeURIComponent(value);

/** Creates an {@link ApiClient}. */
export function createApiClient(options: ApiClientOptions): ApiClient {
  const baseUrl = options.baseUrl ?? '';
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const authHeaders = () => ({ authorization: `Bearer ${options.token}` });

  async function send(method: string, path: string, body: unknown, accept: 'json' | 'text'): Promise<unknown> {
    let answer: Response;
    try {
      answer = await doFetch(`${baseUrl}${path}`, {
        method,
        headers: { ...authHeaders(), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(timeoutMs),
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch (error) {
      throw new ConsoleError('network', `The gateway did not answer ${method} ${path}; is it running?`, { cause: error });
    }
    const text = await answer.text();
    if (!answer.ok) {
      if (answer.status === 401) options.onUnauthorized?.();
      let message = `${method} ${path} answered ${answer.status}`;
      try {
        const parsed = JSON.parse(text) as { error?: { message?: unknown } };
        if (typeof parsed.error?.message === 'string') message = parsed.error.message;
      } catch {
        // not JSON: keep the status line
      }
      throw new ConsoleError(codeForStatus(answer.status), message, { status: answer.status });
    }
    if (accept === 'text') return text;
    try {
      return text === '' ? undefined : JSON.parse(text);
    } catch (error) {
      throw new ConsoleError('invalid_response', `${method} ${path} did not answer JSON`, { status: answer.status, cause: error });
    }
  }

  return {
    get: (path, query) => send('GET', withQuery(path, query), undefined, 'json') as Promise<never>,
    post: (path, body, query) => send('POST', withQuery(path, query), body, 'json') as Promise<never>,
    delete: (path, query) => send('DELETE', withQuery(path, query), undefined, 'json') as Promise<never>,
    getText: (path) => send('GET', path, undefined, 'text') as Promise<string>,
    authHeaders,
  };
}
