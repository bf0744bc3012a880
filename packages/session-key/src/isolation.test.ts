import { describe, expect, it } from 'vitest';
import { SessionKeyError, normalizeExplicitSessionKey, resolveAgentIdFromSessionKey, resolveSubagentSessionKey } from './index.js';

// Attempts to cross an agent boundary through key syntax. Each must either stay owned by the
// agent the caller is scoped to, or fail with a SessionKeyError before anything is dispatched.

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (SessionKeyError.isInstance(error)) return error.code;
    throw error;
  }
  return 'no error';
}

describe('crossing agent boundaries through session keys', () => {
  const base = { defaultAgentId: 'ops', knownAgentIds: ['ops', 'main'] };

  it.each(['subagent:agent:main:main', 'x:agent:main:main', ' agentx:main:main', 'agent_main_main'])(
    'a bare key embedding another agent (%j) stays owned by the scoped agent',
    (sessionKey) => {
      const out = normalizeExplicitSessionKey({ ...base, agentId: 'ops', sessionKey });
      expect(out.agentId).toBe('ops');
      expect(resolveAgentIdFromSessionKey(out.sessionKey)).toBe('ops');
    },
  );

  it.each(['agent:main:x', 'AGENT:MAIN:x', ' agent: main :x', 'agent:Main:subagent:agent:ops:x'])(
    'an agent key of another agent (%j) with --agent ops is a mismatch',
    (sessionKey) => {
      expect(codeOf(() => normalizeExplicitSessionKey({ ...base, agentId: 'ops', sessionKey }))).toBe('AGENT_MISMATCH');
    },
  );

  it('a look-alike agent id does not normalize onto the real one', () => {
    // Cyrillic "р" (U+0440) is outside the charset: "oрs" → "o-s", not "ops".
    expect(codeOf(() => normalizeExplicitSessionKey({ ...base, agentId: 'ops', sessionKey: 'agent:o\u0440s:x' }))).toBe('AGENT_MISMATCH');
  });

  it('a malformed key is refused instead of falling back to the default agent', () => {
    for (const sessionKey of ['agent:main', 'agent::main', 'agent:main::x', 'AGENT: :x']) {
      expect(codeOf(() => normalizeExplicitSessionKey({ ...base, sessionKey }))).toBe('MALFORMED_AGENT_KEY');
      expect(codeOf(() => resolveAgentIdFromSessionKey(sessionKey, 'ops'))).toBe('MALFORMED_SESSION_KEY');
    }
  });

  it("a subagent spawn cannot be pointed at another agent's subagent session", () => {
    for (const sessionKey of ['agent:main:subagent:x', 'AGENT:Main:SubAgent:x', 'agent:main:subagent:agent:ops:subagent:x']) {
      expect(codeOf(() => resolveSubagentSessionKey({ targetAgentId: 'ops', sessionKey, newId: () => 'n' }))).toBe(
        'CROSS_AGENT_SESSION_KEY',
      );
    }
    // A short key that mentions another agent is namespaced under the target.
    expect(resolveSubagentSessionKey({ targetAgentId: 'ops', sessionKey: 'main', newId: () => 'n' })).toBe('agent:ops:subagent:main');
  });
});
