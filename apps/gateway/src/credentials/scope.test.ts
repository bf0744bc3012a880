import { describe, expect, it } from 'vitest';
import { GatewayError } from '../errors.js';
import {
  agentOfScope,
  canonicalizeScope,
  describeScope,
  scopeCoversSession,
  scopeTouchesAgent,
  type SessionKeyCanonicalizer,
} from './scope.js';

// The gateway's rule in miniature: trim, lower-case, bare keys belong to the default agent `main`.
const canonicalize: SessionKeyCanonicalizer = (raw) => {
  const key = raw.trim().toLowerCase();
  const full = key.startsWith('agent:') ? key : `agent:main:${key}`;
  const agentId = full.split(':')[1] ?? '';
  if (!['main', 'ops'].includes(agentId)) throw new GatewayError('invalid_request', `Unknown agent id "${agentId}".`);
  return { sessionKey: full, agentId };
};
const options = { canonicalize, knownAgentIds: ['main', 'ops'] };

describe('canonicalizeScope', () => {
  it('canonicalizes a session key once, at mint time', () => {
    expect(canonicalizeScope({ sessionKey: ' Agent:OPS:Incident-42 ' }, options)).toEqual({
      kind: 'session',
      sessionKey: 'agent:ops:incident-42',
    });
    expect(canonicalizeScope({ sessionKey: 'dm-1' }, options)).toEqual({ kind: 'session', sessionKey: 'agent:main:dm-1' });
  });

  it('normalizes an agent id and refuses an unknown one', () => {
    expect(canonicalizeScope({ agentId: 'OPS' }, options)).toEqual({ kind: 'agent', agentId: 'ops' });
    expect(() => canonicalizeScope({ agentId: 'nobody' }, options)).toThrow(/Unknown agent id "nobody"/);
  });

  it('drops a trailing colon of a prefix', () => {
    expect(canonicalizeScope({ prefix: 'agent:ops:tenant-a:' }, options)).toEqual({ kind: 'prefix', prefix: 'agent:ops:tenant-a' });
  });

  it('requires exactly one scope', () => {
    expect(() => canonicalizeScope({}, options)).toThrow(/exactly one scope/);
    expect(() => canonicalizeScope({ agentId: 'ops', sessionKey: 'x' }, options)).toThrow(/exactly one scope/);
  });

  it('names the field of a key the gateway refuses', () => {
    try {
      canonicalizeScope({ sessionKey: 'agent:ghost:x' }, options);
      expect.unreachable();
    } catch (error) {
      expect(GatewayError.isInstance(error) && error.field).toBe('sessionKey');
    }
    expect(() => canonicalizeScope({ prefix: '   ' }, options)).toThrow(/prefix must not be blank/);
  });
});

describe('scopeCoversSession', () => {
  it('matches a session scope exactly, on the canonical key only', () => {
    const scope = { kind: 'session', sessionKey: 'agent:ops:dm-1' } as const;
    expect(scopeCoversSession(scope, 'agent:ops:dm-1')).toBe(true);
    expect(scopeCoversSession(scope, 'agent:ops:dm-1:thread:7')).toBe(false);
    expect(scopeCoversSession(scope, 'agent:ops:dm-10')).toBe(false);
    // A differently spelled key is not the canonical key: the caller canonicalizes first.
    expect(scopeCoversSession(scope, 'AGENT:ops:dm-1')).toBe(false);
  });

  it('matches a prefix only at a ":" boundary', () => {
    const scope = { kind: 'prefix', prefix: 'agent:ops:tenant-a' } as const;
    expect(scopeCoversSession(scope, 'agent:ops:tenant-a')).toBe(true);
    expect(scopeCoversSession(scope, 'agent:ops:tenant-a:dm:bob')).toBe(true);
    expect(scopeCoversSession(scope, 'agent:ops:tenant-ab')).toBe(false);
    expect(scopeCoversSession(scope, 'agent:ops:tenant')).toBe(false);
  });

  it('matches every session of one agent for an agent scope', () => {
    const scope = { kind: 'agent', agentId: 'ops' } as const;
    expect(scopeCoversSession(scope, 'agent:ops:main')).toBe(true);
    expect(scopeCoversSession(scope, 'agent:ops:subagent:x')).toBe(true);
    expect(scopeCoversSession(scope, 'agent:main:main')).toBe(false);
    expect(scopeCoversSession(scope, 'agent:opsx:main')).toBe(false);
    expect(scopeCoversSession(scope, 'global')).toBe(false);
  });
});

describe('scopeTouchesAgent / agentOfScope / describeScope', () => {
  it('names the one agent of every scope kind', () => {
    expect(scopeTouchesAgent({ kind: 'session', sessionKey: 'agent:ops:x' }, 'ops')).toBe(true);
    expect(scopeTouchesAgent({ kind: 'prefix', prefix: 'agent:ops:t' }, 'main')).toBe(false);
    expect(agentOfScope({ kind: 'prefix', prefix: 'agent:ops:t' })).toBe('ops');
    expect(describeScope({ kind: 'agent', agentId: 'ops' })).toBe('agent ops');
  });
});
