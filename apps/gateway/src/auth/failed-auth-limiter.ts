import type { GatewayClock } from '../clock.js';
import { AUTH_LIMITER_DEFAULTS, createAuthLimiter, type AuthLimiter } from '../credentials/auth-limiter.js';

/**
 * Failed-auth limiter settings (see credentials/auth-limiter.ts): failures are counted per
 * presented value and globally, never per address, and only for requests without a valid credential.
 */
export interface AuthLimitOptions {
  /** Failures of one presented value per window before it answers 429. Default 10 (config `gateway.authMaxAttempts`). */
  maxAttempts?: number | undefined;
  /** Failures from anywhere per window before every invalid request answers 429. Default 100. */
  maxFailuresGlobal?: number | undefined;
  /** Window, ms. Default 60 000. */
  windowMs?: number | undefined;
  /** Lockout of one presented value, ms. Default 300 000. */
  lockoutMs?: number | undefined;
  /** Lockout of all invalid requests after the global limit, ms. Default 60 000. */
  globalLockoutMs?: number | undefined;
  /** Clock (epoch ms) the limiter reads. Default the gateway clock. */
  now?: (() => number) | undefined;
}

/** The gateway's limiter from its options, config and clock. */
export function createFailedAuthLimiter(options: AuthLimitOptions, clock: Pick<GatewayClock, 'now'>): AuthLimiter {
  return createAuthLimiter({
    maxFailuresPerCredential: options.maxAttempts ?? AUTH_LIMITER_DEFAULTS.maxFailuresPerCredential,
    maxFailuresGlobal: options.maxFailuresGlobal ?? AUTH_LIMITER_DEFAULTS.maxFailuresGlobal,
    windowMs: options.windowMs ?? AUTH_LIMITER_DEFAULTS.windowMs,
    lockoutMs: options.lockoutMs ?? AUTH_LIMITER_DEFAULTS.lockoutMs,
    globalLockoutMs: options.globalLockoutMs ?? AUTH_LIMITER_DEFAULTS.globalLockoutMs,
    now: options.now ?? (() => clock.now()),
  });
}
