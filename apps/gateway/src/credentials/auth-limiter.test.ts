import { describe, expect, it } from 'vitest';
import { createAuthLimiter } from './auth-limiter.js';

describe('createAuthLimiter', () => {
  it('locks one presented value after its limit and answers 429 with the remaining time', () => {
    let now = 1_000;
    const limiter = createAuthLimiter({ maxFailuresPerCredential: 3, lockoutMs: 10_000, now: () => now });
    expect(limiter.fail('bad').kind).toBe('unauthorized');
    expect(limiter.fail('bad').kind).toBe('unauthorized');
    expect(limiter.fail('bad').kind).toBe('unauthorized');
    now += 1_000;
    expect(limiter.fail('bad')).toEqual({ kind: 'limited', retryAfterMs: 9_000, reason: 'credential' });
    // Another presented value is not affected by that lock.
    expect(limiter.fail('other').kind).toBe('unauthorized');
    now += 9_000;
    expect(limiter.fail('bad').kind).toBe('unauthorized');
  });

  it('locks every invalid request after the global limit, however the values rotate', () => {
    let now = 0;
    const limiter = createAuthLimiter({ maxFailuresPerCredential: 1_000, maxFailuresGlobal: 5, globalLockoutMs: 2_000, now: () => now });
    for (let attempt = 0; attempt < 5; attempt += 1) expect(limiter.fail(`guess-${attempt}`).kind).toBe('unauthorized');
    expect(limiter.fail('guess-new')).toMatchObject({ kind: 'limited', reason: 'global' });
    expect(limiter.stats().isGloballyLocked).toBe(true);
    now += 2_000;
    expect(limiter.fail('guess-later').kind).toBe('unauthorized');
  });

  it('forgets failures older than the window', () => {
    let now = 0;
    const limiter = createAuthLimiter({ maxFailuresPerCredential: 2, windowMs: 1_000, now: () => now });
    limiter.fail('x');
    now += 1_000;
    limiter.fail('x');
    now += 1;
    expect(limiter.fail('x').kind).toBe('unauthorized');
  });

  it('tracks a bounded number of values, evicting the least recently failed', () => {
    const limiter = createAuthLimiter({ maxTrackedCredentials: 3, maxFailuresGlobal: 1_000_000 });
    for (let index = 0; index < 50; index += 1) limiter.fail(`value-${index}`);
    expect(limiter.stats().trackedCredentials).toBe(3);
  });
});
