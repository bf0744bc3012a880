import { describe, expect, it } from 'vitest';
import { SessionKeyError } from './errors.js';
import { deriveProcessScopeKey } from './process-scope.js';

describe('deriveProcessScopeKey', () => {
  it('prefers an explicit scope, then the session key, then the session id, then agent:<id>', () => {
    const all = { scopeKey: ' s ', sessionKey: 'agent:ops:main', sessionId: 'sid', agentId: 'Ops' };
    expect(deriveProcessScopeKey(all)).toBe('s');
    expect(deriveProcessScopeKey({ ...all, scopeKey: '  ' })).toBe('agent:ops:main');
    expect(deriveProcessScopeKey({ ...all, scopeKey: undefined, sessionKey: '' })).toBe('sid');
    expect(deriveProcessScopeKey({ agentId: 'Ops Team' })).toBe('agent:ops-team');
  });

  it('gives two sessions of the same agent different scopes (seed 000)', () => {
    const dm = deriveProcessScopeKey({ sessionKey: 'agent:keith:main', agentId: 'keith' });
    const group = deriveProcessScopeKey({ sessionKey: 'agent:keith:telegram:group:-1001', agentId: 'keith' });
    expect(dm).not.toBe(group);
    expect(dm).not.toBe(deriveProcessScopeKey({ agentId: 'keith' }));
  });

  it('refuses a malformed session key that would alias the agent-wide scope', () => {
    expect(deriveProcessScopeKey({ agentId: 'ops' })).toBe('agent:ops');
    expect(codeOf(() => deriveProcessScopeKey({ sessionKey: 'agent:ops', agentId: 'ops' }))).toBe('MALFORMED_SESSION_KEY');
    expect(codeOf(() => deriveProcessScopeKey({ sessionKey: ' AGENT:ops: ' }))).toBe('MALFORMED_SESSION_KEY');
  });

  it('refuses a session id that would alias another session key or agent scope', () => {
    expect(codeOf(() => deriveProcessScopeKey({ sessionId: 'agent:keith:main' }))).toBe('INVALID_INPUT');
    expect(codeOf(() => deriveProcessScopeKey({ sessionId: 'Agent:keith' }))).toBe('INVALID_INPUT');
    expect(deriveProcessScopeKey({ sessionId: '0b7c-uuid', agentId: 'keith' })).toBe('0b7c-uuid');
  });

  it('throws NO_AGENT_ID when nothing is given', () => {
    for (const input of [{}, { scopeKey: ' ', sessionKey: null, sessionId: '', agentId: ' ' }, null]) {
      try {
        deriveProcessScopeKey(input as never);
        expect.unreachable();
      } catch (error) {
        expect(SessionKeyError.isInstance(error)).toBe(true);
        expect((error as SessionKeyError).code).toBe('NO_AGENT_ID');
      }
    }
  });
});

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (SessionKeyError.isInstance(error)) return error.code;
    throw error;
  }
  return 'no error';
}

describe('deriveProcessScopeKey and canonical keys', () => {
  it('refuses a case or agent-id variant of a session key instead of scoping it separately', () => {
    expect(deriveProcessScopeKey({ sessionKey: 'agent:main:victim' })).toBe('agent:main:victim');
    for (const alias of ['agent:main:VICTIM', 'agent:Main!:victim', 'AGENT:main:victim']) {
      expect(
        codeOf(() => deriveProcessScopeKey({ sessionKey: alias, agentId: 'main' })),
        alias,
      ).toBe('NON_CANONICAL_SESSION_KEY');
    }
  });
});
