/**
 * The failed-authentication limiter. It is consulted **only for requests that did not present a
 * valid credential**, so it can never lock out a valid token, and it is keyed by what was
 * presented, never by source address, so rotating loopback addresses (127.0.0.2, 127.0.0.3, …)
 * gains nothing:
 *
 * - per presented value (the fingerprint of the bearer string, or of "none"): after
 *   `maxFailuresPerCredential` failures in `windowMs`, that value answers 429 for `lockoutMs`;
 * - globally: after `maxFailuresGlobal` failures in `windowMs` from anywhere, every invalid
 *   request answers 429 for `globalLockoutMs`; valid credentials keep working throughout.
 *
 * Every credential has at least 128 bits of entropy (scoped tokens 256, a `PINCER_GATEWAY_TOKEN`
 * is refused below 128), so guessing is not the threat this answers; the limiter bounds the cost
 * and noise of a misbehaving client and makes it visible (429 + `retry-after`, metrics).
 * Memory is bounded: at most `maxTrackedCredentials` fingerprints, least recently failed evicted.
 */
export interface AuthLimiterOptions {
  /** Failures of one presented value per window before it is locked. Default 10. */
  maxFailuresPerCredential?: number | undefined;
  /** Failures from anywhere per window before every invalid request is locked. Default 100. */
  maxFailuresGlobal?: number | undefined;
  /** Counting window, ms. Default 60 000. */
  windowMs?: number | undefined;
  /** Lockout of one presented value, ms. Default 300 000. */
  lockoutMs?: number | undefined;
  /** Lockout of all invalid requests after the global limit, ms. Default 60 000. */
  globalLockoutMs?: number | undefined;
  /** Presented values tracked at once (least recently failed evicted). Default 1 024. */
  maxTrackedCredentials?: number | undefined;
  /** Clock, epoch ms. Default `Date.now`. */
  now?: (() => number) | undefined;
}

/** Defaults of {@link AuthLimiterOptions}. */
export const AUTH_LIMITER_DEFAULTS = {
  maxFailuresPerCredential: 10,
  maxFailuresGlobal: 100,
  windowMs: 60_000,
  lockoutMs: 300_000,
  globalLockoutMs: 60_000,
  maxTrackedCredentials: 1_024,
} as const;

/** What to answer a request that presented no valid credential. */
export type AuthFailureVerdict = { kind: 'unauthorized' } | { kind: 'limited'; retryAfterMs: number; reason: 'credential' | 'global' };

/** Limiter state, for metrics and tests. */
export interface AuthLimiterStats {
  trackedCredentials: number;
  globalFailuresInWindow: number;
  isGloballyLocked: boolean;
}

/** The limiter. */
export interface AuthLimiter {
  /** Record one failure of `fingerprint` and say what to answer (401, or 429 while locked). */
  fail(fingerprint: string): AuthFailureVerdict;
  /** Current state. */
  stats(): AuthLimiterStats;
}

interface Counter {
  windowStart: number;
  count: number;
  lockedUntil: number;
}

/** Create a limiter; see {@link AuthLimiterOptions} for the defaults. */
export function createAuthLimiter(options: AuthLimiterOptions = {}): AuthLimiter {
  const settings = { ...AUTH_LIMITER_DEFAULTS, ...definedOnly(options) };
  const clock = options.now ?? Date.now;
  const perCredential = new Map<string, Counter>();
  const global: Counter = { windowStart: 0, count: 0, lockedUntil: 0 };

  const bump = (counter: Counter, now: number, limit: number, lockMs: number): void => {
    if (now - counter.windowStart >= settings.windowMs) {
      counter.windowStart = now;
      counter.count = 0;
    }
    counter.count += 1;
    if (counter.count >= limit && counter.lockedUntil <= now) {
      counter.lockedUntil = now + lockMs;
      counter.count = 0;
      counter.windowStart = now;
    }
  };

  return {
    fail(fingerprint) {
      const now = clock();
      let counter = perCredential.get(fingerprint);
      if (counter) perCredential.delete(fingerprint); // re-insert: Map order is recency order
      counter ??= { windowStart: now, count: 0, lockedUntil: 0 };
      const wasLocked = counter.lockedUntil > now;
      const wasGloballyLocked = global.lockedUntil > now;
      if (!wasLocked) bump(counter, now, settings.maxFailuresPerCredential, settings.lockoutMs);
      if (!wasGloballyLocked) bump(global, now, settings.maxFailuresGlobal, settings.globalLockoutMs);
      perCredential.set(fingerprint, counter);
      while (perCredential.size > settings.maxTrackedCredentials) {
        const oldest = perCredential.keys().next().value;
        if (oldest === undefined) break;
        perCredential.delete(oldest);
      }
      // The request that reaches a limit is still answered 401; the next one is limited.
      if (wasLocked) return { kind: 'limited', retryAfterMs: counter.lockedUntil - now, reason: 'credential' };
      if (wasGloballyLocked) return { kind: 'limited', retryAfterMs: global.lockedUntil - now, reason: 'global' };
      return { kind: 'unauthorized' };
    },
    stats() {
      const now = clock();
      return {
        trackedCredentials: perCredential.size,
        globalFailuresInWindow: now - global.windowStart < settings.windowMs ? global.count : 0,
        isGloballyLocked: global.lockedUntil > now,
      };
    },
  };
}

function definedOnly(options: AuthLimiterOptions): Partial<typeof AUTH_LIMITER_DEFAULTS> {
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(options)) if (typeof value === 'number') out[name] = value;
  return out as Partial<typeof AUTH_LIMITER_DEFAULTS>;
}
