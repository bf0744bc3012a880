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
