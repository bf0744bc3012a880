import { describe, expect, it } from 'vitest';
import { createSessionQuota } from './session-quota.js';

describe('createSessionQuota', () => {
  it('caps one session without touching another', () => {
    const quota = createSessionQuota(2);
    const first = quota.tryAcquire('agent:main:a');
    expect(quota.tryAcquire('agent:main:a')).toBeTypeOf('function');
    expect(quota.tryAcquire('agent:main:a')).toBeUndefined();
    expect(quota.tryAcquire('agent:main:b')).toBeTypeOf('function');
    first?.();
    first?.(); // releasing twice frees one slot only
    expect(quota.count('agent:main:a')).toBe(1);
    expect(quota.tryAcquire('agent:main:a')).toBeTypeOf('function');
    expect(quota.tryAcquire('agent:main:a')).toBeUndefined();
  });

  it('forgets sessions with no slot in use', () => {
    const quota = createSessionQuota(1);
    quota.tryAcquire('x')?.();
    expect(quota.size()).toBe(0);
    expect(() => createSessionQuota(0)).toThrow(RangeError);
  });
});
