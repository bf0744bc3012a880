import { readFileSync, realpathSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, sep } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { whoamiRoute } from './whoami-route.js';

/** Where the console is served. `/console` redirects to `/console/`. */
export const CONSOLE_PATH_PREFIX = '/console';

/**
 * The Content-Security-Policy of every console response: only this origin, no inline script
 * or style, no plugins, no framing, and `connect-src 'self'` (the API and its SSE stream).
 */
export const CONSOLE_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Security headers sent with every console answer (the page, its assets, the "not built" page). */
export const CONSOLE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONSOLE_CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/** Content types of the files the console build emits; any other extension is not served. */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/** One path segment a build emits: letters, digits, `.`, `_`, `-`; never starting with a dot. */
const SAFE_SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$/;

/** Options of {@link consolePlugin}. */
export interface ConsolePluginOptions {
  /**
   * The console's built files (holding `index.html` and `assets/`). Default: the `dist/` folder
   * beside `@pincer/console/package.json`, resolved from the gateway; `null` = never found.
   */
  distDir?: string | null;
}

/**
 * True for requests the console answers without the gateway's bearer token: `GET`/`HEAD` of
 * `/console` and anything under `/console/`. The files are static and hold no secret; every API
 * call the console makes still carries the token the operator pasted.
 */
export function isPublicConsoleRequest(method: string, path: string): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  return path === CONSOLE_PATH_PREFIX || path.startsWith(`${CONSOLE_PATH_PREFIX}/`);
}

/** The console's `dist/` folder as installed beside the gateway, or undefined when `@pincer/console` is not installed. */
export function resolveConsoleDistDir(): string | undefined {
  try {
    const manifest = createRequire(import.meta.url).resolve('@pincer/console/package.json');
    return join(dirname(manifest), 'dist');
  } catch {
    return undefined;
  }
}

/**
 * Maps the raw (percent-encoded) part of a URL after `/console/` to a file of `distDir`:
 * `assets/<name>` and a top-level `<name>.<known ext>` → that file; an unsafe name there (dot
 * segments, encoded separators, hidden files, unknown extensions under `assets/`) → undefined,
 * which answers 404; anything else is a client-side route → `index.html`.
 * Pure: the caller checks that the file exists and lies inside `distDir`.
 */
export function mapConsolePath(rest: string): { file: string; isIndex: boolean } | undefined {
  const segments = rest.split('/');
  const isFileName = (name: string) => SAFE_SEGMENT.test(name) && CONTENT_TYPES[extname(name).toLowerCase()] !== undefined;
  if (segments[0] === 'assets') {
    if (segments.length !== 2 || !isFileName(segments[1]!)) return undefined;
    return { file: `assets/${segments[1]!}`, isIndex: false };
  }
  const only = segments.length === 1 ? segments[0]! : '';
  if (only !== '' && CONTENT_TYPES[extname(only).toLowerCase()] !== undefined) {
    if (!isFileName(only)) return undefined;
    return { file: only, isIndex: only === 'index.html' };
  }
  // A client-side route (`sessions/agent%3Amain%3Ax.y`, `shells/amber-atlas`): the app reads it.
  return { file: 'index.html', isIndex: true };
}

const notBuiltPage = (distDir: string | undefined) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Pincer console not built</title></head>
<body><main><h1>The Pincer console is not built</h1>
<p>This gateway serves the console from ${distDir === undefined ? 'the <code>@pincer/console</code> package, which is not installed beside it' : `<code>${escapeHtml(distDir)}</code>, which holds no <code>index.html</code>`}.</p>
<p>Build it from the repository root with <code>pnpm build</code> (or <code>pnpm --filter @pincer/console build</code>), then reload this page. The HTTP API works without it.</p>
</main></body></html>
`;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function sendText(reply: FastifyReply, status: number, contentType: string, body: string | Buffer): FastifyReply {
  return reply.status(status).headers(CONSOLE_SECURITY_HEADERS).header('content-type', contentType).send(body);
}

/** Reads `relative` under `distDir` if it is a regular file whose real path stays inside `distDir`. */
function readInside(distDir: string, relative: string): Buffer | undefined {
  try {
    const root = realpathSync(distDir);
    const real = realpathSync(join(root, relative));
    if (!real.startsWith(`${root}${sep}`) || !statSync(real).isFile()) return undefined;
    return readFileSync(real);
  } catch {
    return undefined;
  }
}

/**
 * Fastify plugin serving the built console at `/console/` (GET/HEAD only) with
 * {@link CONSOLE_SECURITY_HEADERS}. Client-side routes fall back to `index.html`; hashed assets
 * are cached for a year, the page itself never. When the build is missing it answers 503 with a
 * page that says how to build it; nothing else of the gateway depends on the console.
 * Also registers `GET /v1/whoami` (see `whoami-route.ts`), which the console asks first.
 */
export async function consolePlugin(app: FastifyInstance, options: ConsolePluginOptions = {}): Promise<void> {
  const distDir = options.distDir === null ? undefined : (options.distDir ?? resolveConsoleDistDir());
  // Who the pasted token is: the console offers only what it may do (an API route: the token is required).
  await app.register(whoamiRoute);

  app.get(CONSOLE_PATH_PREFIX, { schema: { hide: true } }, async (_request, reply) =>
    reply.status(308).headers(CONSOLE_SECURITY_HEADERS).header('location', `${CONSOLE_PATH_PREFIX}/`).send(),
  );

  app.get<{ Params: { '*': string } }>(
    `${CONSOLE_PATH_PREFIX}/*`,
    { schema: { hide: true } },
    async (request: FastifyRequest<{ Params: { '*': string } }>, reply) => {
      const index = distDir === undefined ? undefined : readInside(distDir, 'index.html');
      if (index === undefined)
        return sendText(reply.header('cache-control', 'no-store'), 503, 'text/html; charset=utf-8', notBuiltPage(distDir));
      // The raw (still percent-encoded) path: an encoded `/` or `..` never becomes a separator.
      const rawPath = (request.raw.url ?? '').split('?')[0] ?? '';
      const mapped = mapConsolePath(rawPath.slice(CONSOLE_PATH_PREFIX.length + 1));
      if (mapped === undefined) return sendText(reply, 404, 'text/plain; charset=utf-8', 'Not found\n');
      if (mapped.isIndex) return sendText(reply.header('cache-control', 'no-cache'), 200, CONTENT_TYPES['.html']!, index);
      const body = readInside(distDir!, mapped.file);
      if (body === undefined) return sendText(reply, 404, 'text/plain; charset=utf-8', 'Not found\n');
      const isHashedAsset = mapped.file.startsWith('assets/');
      return sendText(
        reply.header('cache-control', isHashedAsset ? 'public, max-age=31536000, immutable' : 'no-cache'),
        200,
        CONTENT_TYPES[extname(mapped.file).toLowerCase()]!,
        body,
      );
    },
  );
}
