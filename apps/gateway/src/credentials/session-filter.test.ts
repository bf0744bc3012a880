import { describe, expect, it } from 'vitest';
import { ANONYMOUS_IDENTITY, OPERATOR_IDENTITY, type TokenIdentity } from './identity.js';
import { sessionFilterFor, sessionFilterMatches } from './session-filter.js';

const token = (scope: TokenIdentity['scope']): TokenIdentity => ({
  kind: 'token',
  credentialId: 'tk_x',
  name: 'x',
  scope,
  capabilities: new Set(['sessions:read']),
  expiresAt: Number.MAX_SAFE_INTEGER,
});

describe('sessionFilterFor', () => {
  it('keeps ?sessionKey= a filter inside the scope', () => {
    const prefix = token({ kind: 'prefix', prefix: 'agent:ops:tenant-a' });
    expect(sessionFilterFor(prefix, undefined)).toEqual({ kind: 'prefix', prefix: 'agent:ops:tenant-a' });
    expect(sessionFilterFor(prefix, 'agent:ops:tenant-a:dm:bob')).toEqual({ kind: 'key', sessionKey: 'agent:ops:tenant-a:dm:bob' });
    expect(sessionFilterFor(prefix, 'agent:ops:tenant-b')).toEqual({ kind: 'none' });
  });

  it('lets the operator filter anything and see all without a filter', () => {
    expect(sessionFilterFor(OPERATOR_IDENTITY, undefined)).toEqual({ kind: 'all' });
    expect(sessionFilterFor(OPERATOR_IDENTITY, 'agent:main:x')).toEqual({ kind: 'key', sessionKey: 'agent:main:x' });
    expect(sessionFilterFor(ANONYMOUS_IDENTITY, undefined)).toEqual({ kind: 'none' });
  });

  it('maps each scope kind to a filter that matches exactly that scope', () => {
    const keys = ['agent:ops:dm-1', 'agent:ops:dm-10', 'agent:ops:dm-1:thread:2', 'agent:main:dm-1'];
    const agent = sessionFilterFor(token({ kind: 'agent', agentId: 'ops' }), undefined);
    const session = sessionFilterFor(token({ kind: 'session', sessionKey: 'agent:ops:dm-1' }), undefined);
    const prefix = sessionFilterFor(token({ kind: 'prefix', prefix: 'agent:ops:dm-1' }), undefined);
    expect(keys.filter((key) => sessionFilterMatches(agent, key))).toEqual(keys.slice(0, 3));
    expect(keys.filter((key) => sessionFilterMatches(session, key))).toEqual(['agent:ops:dm-1']);
    expect(keys.filter((key) => sessionFilterMatches(prefix, key))).toEqual(['agent:ops:dm-1', 'agent:ops:dm-1:thread:2']);
    expect(keys.filter((key) => sessionFilterMatches({ kind: 'none' }, key))).toEqual([]);
  });
});
