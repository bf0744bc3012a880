import { PluginSdkError } from './errors.js';

/** Maximum route path length (relative to the plugin mount), in characters. */
export const ROUTE_PATH_MAX_LENGTH = 256;

const STATIC_SEGMENT = /^[A-Za-z0-9._~-]+$/;
const PARAM_SEGMENT = /^:([A-Za-z_][A-Za-z0-9_]{0,63})$/;

/** One parsed segment of a route pattern. */
export type RouteSegment = { readonly kind: 'static'; readonly value: string } | { readonly kind: 'param'; readonly name: string };

/**
 * Parses a plugin-relative route path. Rejects anything that could escape the plugin's mount
 * point (`.`/`..` segments, empty segments, encoded characters) with `INVALID_INPUT`.
 */
export function parseRoutePath(path: unknown): ReadonlyArray<RouteSegment> {
  const fail = (why: string): never => {
    throw new PluginSdkError('INVALID_INPUT', `registerHttpRoute: path ${why}.`, { field: 'path' });
  };
  if (typeof path !== 'string') return fail('must be a string');
  if (path.length === 0 || path.length > ROUTE_PATH_MAX_LENGTH) return fail(`must be 1–${ROUTE_PATH_MAX_LENGTH} characters`);
  if (!path.startsWith('/')) return fail('must start with "/"');
  if (path === '/') return [];
  const names = new Set<string>();
  return path
    .slice(1)
    .split('/')
    .map((segment): RouteSegment => {
      if (segment === '') return fail('must not contain empty segments or a trailing "/"');
      if (segment === '.' || segment === '..') return fail('must not contain "." or ".." segments');
      const param = PARAM_SEGMENT.exec(segment);
      if (param?.[1]) {
        if (names.has(param[1])) fail(`repeats the parameter :${param[1]}`);
        names.add(param[1]);
        return { kind: 'param', name: param[1] };
      }
      if (!STATIC_SEGMENT.test(segment)) return fail(`segment "${segment}" may only use [A-Za-z0-9._~-] or be a :name parameter`);
      return { kind: 'static', value: segment };
    });
}

/** Renders parsed segments back to a path under `prefix` (e.g. `/plugins/x`). */
export function renderRoutePath(prefix: string, segments: ReadonlyArray<RouteSegment>): string {
  if (segments.length === 0) return `${prefix}/`;
  return `${prefix}/${segments.map((s) => (s.kind === 'static' ? s.value : `:${s.name}`)).join('/')}`;
}

/**
 * Matches a request path (no query string) against `prefix` + segments. Returns decoded params,
 * or `undefined` — also for parameter values that decode to `.`, `..` or contain `/`, so a
 * parameter can never be used to point outside the route.
 */
export function matchRoutePath(
  prefix: string,
  segments: ReadonlyArray<RouteSegment>,
  requestPath: string,
): Record<string, string> | undefined {
  if (segments.length === 0) return requestPath === `${prefix}/` || requestPath === prefix ? {} : undefined;
  if (!requestPath.startsWith(`${prefix}/`)) return undefined;
  const parts = requestPath.slice(prefix.length + 1).split('/');
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let index = 0; index < segments.length; index += 1) {
    const segment = segments[index];
    const part = parts[index];
    if (segment === undefined || part === undefined || part === '') return undefined;
    if (segment.kind === 'static') {
      if (segment.value !== part) return undefined;
      continue;
    }
    let decoded: string;
    try {
      decoded = decodeURIComponent(part);
    } catch {
      return undefined;
    }
    if (decoded === '.' || decoded === '..' || decoded.includes('/') || decoded.includes('\\')) return undefined;
    params[segment.name] = decoded;
  }
  return params;
}
