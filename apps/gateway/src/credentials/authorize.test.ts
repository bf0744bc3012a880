import { describe, expect, it } from 'vitest';
import { GatewayError } from '../errors.js';
import { can, canSeeSession, requirePermission, requireVisibleSession } from './authorize.js';
import { ANONYMOUS_IDENTITY, OPERATOR_IDENTITY, toCallerView, type TokenIdentity } from './identity.js';

const dashboard: TokenIdentity = {
  kind: 'token',
  credentialId: 'tk_0123456789abcdef',
  name: 'dashboard',
  scope: { kind: 'session', sessionKey: 'agent:ops:dm-1' },
  capabilities: new Set(['sessions:read', 'processes:read']),
  expiresAt: 2_000_000_000_000,
};

describe('can', () => {
  it('lets the operator do anything, anywhere', () => {
    expect(can(OPERATOR_IDENTITY, 'processes:kill', { sessionKey: 'agent:main:x' })).toBe(true);
    expect(can(OPERATOR_IDENTITY, 'tokens:admin')).toBe(true);
  });

  it('lets the anonymous caller do nothing', () => {
    expect(can(ANONYMOUS_IDENTITY, 'sessions:read')).toBe(false);
  });

  it('needs both the capability and the target in scope for a token', () => {
    expect(can(dashboard, 'sessions:read', { sessionKey: 'agent:ops:dm-1' })).toBe(true);
    expect(can(dashboard, 'sessions:read', { sessionKey: 'agent:ops:dm-2' })).toBe(false);
    expect(can(dashboard, 'processes:kill', { sessionKey: 'agent:ops:dm-1' })).toBe(false);
    expect(can(dashboard, 'sessions:read')).toBe(true);
    expect(can(dashboard, 'sessions:read', { agentId: 'ops' })).toBe(true);
    expect(can(dashboard, 'sessions:read', { agentId: 'main' })).toBe(false);
  });

  it('never grants an operator-only power to a token', () => {
    const greedy = { ...dashboard, capabilities: new Set(['tokens:admin']) } as unknown as TokenIdentity;
    expect(can(greedy, 'tokens:admin')).toBe(false);
    expect(can(greedy, 'audit:read')).toBe(false);
  });
});

describe('requirePermission', () => {
  it('answers 403 naming the capability, decided before any object is looked up', () => {
    expect(() => requirePermission(dashboard, 'processes:kill')).toThrow('This token lacks the "processes:kill" capability.');
    expect(() => requirePermission(dashboard, 'audit:read')).toThrow('Only the operator credential may do this.');
    try {
      requirePermission(ANONYMOUS_IDENTITY, 'sessions:read');
    } catch (error) {
      expect(GatewayError.isInstance(error) && error.status).toBe(401);
    }
  });
});

describe('requireVisibleSession', () => {
  it('answers a foreign session exactly like a missing one', () => {
    const answer = (key: string | undefined) => {
      try {
        requireVisibleSession(dashboard, key, 'Session agent:ops:dm-2');
        return undefined;
      } catch (error) {
        return GatewayError.isInstance(error) ? JSON.stringify([error.status, error.toBody()]) : 'other';
      }
    };
    expect(answer('agent:ops:dm-2')).toBe(answer(undefined));
    expect(answer('agent:ops:dm-2')).toContain('404');
    expect(requireVisibleSession(dashboard, 'agent:ops:dm-1', 'x')).toBe('agent:ops:dm-1');
    expect(canSeeSession(OPERATOR_IDENTITY, 'anything')).toBe(true);
  });
});

describe('toCallerView', () => {
  it('gives plugins plain JSON with the scope and capabilities of a token', () => {
    expect(toCallerView(dashboard)).toEqual({
      kind: 'token',
      credentialId: 'tk_0123456789abcdef',
      name: 'dashboard',
      scope: { kind: 'session', sessionKey: 'agent:ops:dm-1' },
      capabilities: ['sessions:read', 'processes:read'],
      expiresAt: 2_000_000_000_000,
    });
    expect(toCallerView(OPERATOR_IDENTITY)).toEqual({ kind: 'operator', credentialId: 'operator', name: 'operator' });
  });
});
