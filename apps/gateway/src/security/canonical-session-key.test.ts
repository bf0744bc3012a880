import { describe, expect, it } from 'vitest';
import { canonicalSessionKey } from './canonical-session-key.js';

describe('canonicalSessionKey', () => {
  it('folds case and agent-id spelling aliases onto one key', () => {
    for (const alias of ['agent:main:VICTIM', 'agent:Main!:victim', ' agent:MAIN:Victim ', 'AGENT:main:victim']) {
      expect(canonicalSessionKey(alias)).toBe('agent:main:victim');
    }
  });

  it('keeps provider-opaque peer ids as written (Signal groups, Matrix rooms)', () => {
    expect(canonicalSessionKey('agent:Main:signal:group:AbC+dEf=')).toBe('agent:main:signal:group:AbC+dEf=');
    expect(canonicalSessionKey('agent:main:matrix:channel:!RoomId:Example.org')).toBe('agent:main:matrix:channel:!RoomId:Example.org');
  });

  it('is idempotent', () => {
    for (const key of ['agent:Ops:Subagent:ABC', 'agent:main:telegram:direct:123', 'agent:main:signal:group:XyZ']) {
      expect(canonicalSessionKey(canonicalSessionKey(key))).toBe(canonicalSessionKey(key));
    }
  });
});
