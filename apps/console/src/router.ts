import { useEffect, useState } from 'preact/hooks';

/** Where the gateway serves the console. */
export const CONSOLE_BASE = '/console';

/** The console's pages. */
export type Route =
  | { name: 'sessions' }
  | { name: 'session'; key: string }
  | { name: 'shells' }
  | { name: 'shell'; id: string }
  | { name: 'cron' }
  | { name: 'audit' }
  | { name: 'status' }
  | { name: 'not-found'; path: string };

const decode = (value: string): string | undefined => {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
};

/** Reads a console path (`/console/sessions/agent%3Amain%3Ax`). Pure. */
export function parseRoute(pathname: string): Route {
  const rest = pathname.startsWith(`${CONSOLE_BASE}/`)
    ? pathname.slice(CONSOLE_BASE.length + 1)
    : pathname === CONSOLE_BASE
      ? ''
      : undefined;
  if (rest === undefined) return { name: 'not-found', path: pathname };
  const parts = rest.replace(/\/+$/, '').split('/');
  const [first = '', second, ...extra] = parts;
  if (extra.length > 0) return { name: 'not-found', path: pathname };
  if (second === undefined) {
    if (first === '' || first === 'sessions') return { name: 'sessions' };
    if (first === 'shells' || first === 'cron' || first === 'audit' || first === 'status') return { name: first };
    return { name: 'not-found', path: pathname };
  }
  const value = decode(second);
  if (value === undefined || value === '') return { name: 'not-found', path: pathname };
  if (first === 'sessions') return { name: 'session', key: value };
  if (first === 'shells') return { name: 'shell', id: value };
  return { name: 'not-found', path: pathname };
}

/** The path of a page. Pure. */
export function pathFor(route: Exclude<Route, { name: 'not-found' }>): string {
  switch (route.name) {
    case 'session':
      return `${CONSOLE_BASE}/sessions/${encodeURIComponent(route.key)}`;
    case 'shell':
      return `${CONSOLE_BASE}/shells/${encodeURIComponent(route.id)}`;
    default:
      return `${CONSOLE_BASE}/${route.name}`;
  }
}

const listeners = new Set<() => void>();

/** Go to `href` (same origin) without a reload. */
export function navigate(href: string, options: { replace?: boolean } = {}): void {
  if (options.replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  for (const listener of listeners) listener();
}

/** The current location, re-rendering on navigation and back/forward. */
export function useLocation(): { pathname: string; search: string } {
  const read = () => ({ pathname: location.pathname, search: location.search });
  const [value, setValue] = useState(read);
  useEffect(() => {
    const update = () => setValue(read());
    listeners.add(update);
    addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      removeEventListener('popstate', update);
    };
  }, []);
  return value;
}
