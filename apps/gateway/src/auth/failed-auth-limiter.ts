import type { GatewayClock } from '../clock.js';

/** Failed-auth limiter settings. */
export interface AuthLimitOptions {
  /** Failed attempts allowed per window. Default 10 (config `gateway.authMaxAttempts`). */
  maxAttempts?: number | undefined;
  /** Window, ms. Default 60 000. */
  windowMs?: number | undefined;
  /** Lockout after the limit, ms. Default 300 000. */
  lockoutMs?: number | undefined;
  /** Clock (epoch ms) the limiter reads. Default the gateway clock. */
  now?: (() => number) | undefined;
}

/** Addresses tracked at most; beyond it the oldest half is forgotten. */
const MAX_TRACKED_ADDRESSES = 10_000;

/** Counts failed authentications per client address and locks an address out after too many. */
export interface FailedAuthLimiter {
  /** Seconds until `address` may try again, or 0. */
  lockedForSeconds(address: string): number;
  recordFailure(address: string): void;
}

/** A limiter: `maxAttempts` failures within `windowMs` lock the address for `lockoutMs`. */
export function createFailedAuthLimiter(options: AuthLimitOptions, clock: Pick<GatewayClock, 'now'>): FailedAuthLimiter {
  const maxAttempts = options.maxAttempts ?? 10;
  const windowMs = options.windowMs ?? 60_000;
  const lockoutMs = options.lockoutMs ?? 300_000;
  const now = options.now ?? clock.now;
  const failures = new Map<string, { attemptsAt: number[]; lockedUntil: number }>();
  return {
    lockedForSeconds(address) {
      const entry = failures.get(address);
      const at = now();
      return entry && entry.lockedUntil > at ? Math.ceil((entry.lockedUntil - at) / 1000) : 0;
    },
    recordFailure(address) {
      const at = now();
      const entry = failures.get(address) ?? { attemptsAt: [], lockedUntil: 0 };
      entry.attemptsAt = entry.attemptsAt.filter((attemptAt) => at - attemptAt < windowMs);
      entry.attemptsAt.push(at);
      if (entry.attemptsAt.length >= maxAttempts) {
        entry.lockedUntil = at + lockoutMs;
        entry.attemptsAt = [];
      }
      failures.set(address, entry);
      if (failures.size > MAX_TRACKED_ADDRESSES) {
        for (const tracked of failures.keys()) if (failures.size > MAX_TRACKED_ADDRESSES / 2) failures.delete(tracked);
      }
    },
  };
}
