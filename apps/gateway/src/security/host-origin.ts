/**
 * Item 18 (issue 14): `Host` and `Origin` checks against DNS rebinding and cross-site requests.
 *
 * - `Host` must name loopback (`localhost`, `127.0.0.0/8`, `::1`) or a configured name; a request
 *   without `Host` is refused (HTTP/1.1 requires it; fail closed).
 * - A browser request from another origin is refused on every route, safe methods included
 *   (plugin routes with their own auth too): a state-changing GET on a plugin route is
 *   possible, and a CLI never sends `Origin`. "Another origin" = an `Origin` whose host is not an
 *   allowed host (`null` included), or `Sec-Fetch-Site: cross-site` / `same-site`.
 */

/** Options of {@link createHostOriginGuard}. */
export interface HostOriginOptions {
  /** Extra host names (no port) accepted in `Host`/`Origin`, e.g. `pincer.internal`. Default none. */
  allowedHosts?: ReadonlyArray<string>;
}

/** Headers the guard reads (lower-case names, as Node gives them). */
export interface HostOriginHeaders {
  host?: string | undefined;
  origin?: string | undefined;
  'sec-fetch-site'?: string | undefined;
}

/** The guard's verdict. */
export type HostOriginVerdict = { isAllowed: true } | { isAllowed: false; reason: 'host' | 'origin'; message: string };

/** The guard. */
export interface HostOriginGuard {
  check(headers: HostOriginHeaders): HostOriginVerdict;
  /** True when `hostname` (no port) is loopback or configured. */
  isAllowedHostname(hostname: string): boolean;
}

/** Strip the port and IPv6 brackets from a Host header value; lower-case. Undefined if malformed. */
export function hostnameOf(hostHeader: string): string | undefined {
  const value = hostHeader.trim().toLowerCase();
  if (value === '') return undefined;
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    if (end < 0) return undefined;
    const rest = value.slice(end + 1);
    if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return undefined;
    return value.slice(1, end);
  }
  const parts = value.split(':');
  if (parts.length > 2) return undefined; // bare IPv6 without brackets is not a valid Host
  if (parts.length === 2 && !/^\d{1,5}$/.test(parts[1] ?? '')) return undefined;
  const name = parts[0] ?? '';
  return /^[a-z0-9.-]+$/.test(name) ? name.replace(/\.$/, '') : undefined;
}

function isLoopback(hostname: string): boolean {
  if (hostname === 'localhost' || hostname.endsWith('.localhost') || hostname === '::1') return true;
  const octets = hostname.split('.');
  return octets.length === 4 && octets[0] === '127' && octets.every((octet) => /^\d{1,3}$/.test(octet) && Number(octet) <= 255);
}

/** Create the Host/Origin guard. */
export function createHostOriginGuard(options: HostOriginOptions = {}): HostOriginGuard {
  const configured = new Set((options.allowedHosts ?? []).map((name) => name.trim().toLowerCase().replace(/\.$/, '')));
  const isAllowedHostname = (hostname: string): boolean => isLoopback(hostname) || configured.has(hostname);
  return {
    isAllowedHostname,
    check(headers) {
      const host = headers.host;
      const hostname = host !== undefined ? hostnameOf(host) : undefined;
      if (hostname === undefined || !isAllowedHostname(hostname)) {
        return {
          isAllowed: false,
          reason: 'host',
          message: `Host ${JSON.stringify(host ?? '')} is not loopback or a configured name; add it to security.allowedHosts if you really serve under it`,
        };
      }
      const fetchSite = headers['sec-fetch-site']?.toLowerCase();
      if (fetchSite === 'cross-site' || fetchSite === 'same-site') {
        return { isAllowed: false, reason: 'origin', message: 'cross-origin browser requests are refused' };
      }
      const origin = headers.origin;
      if (origin !== undefined) {
        let originHost: string | undefined;
        try {
          const url = new URL(origin);
          originHost = url.protocol === 'http:' || url.protocol === 'https:' ? hostnameOf(url.host) : undefined;
        } catch {
          originHost = undefined;
        }
        if (originHost === undefined || !isAllowedHostname(originHost)) {
          return {
            isAllowed: false,
            reason: 'origin',
            message: `Origin ${JSON.stringify(origin)} is refused: cross-origin browser requests cannot reach the gateway`,
          };
        }
      }
      return { isAllowed: true };
    },
  };
}
