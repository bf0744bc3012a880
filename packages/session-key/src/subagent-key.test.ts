import { describe, expect, it, vi } from 'vitest';
import { SessionKeyError } from './errors.js';
import { resolveSubagentSessionKey } from './subagent-key.js';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (SessionKeyError.isInstance(error)) return error.code;
    throw error;
  }
  return 'no error';
}

describe('resolveSubagentSessionKey', () => {
  const newId = () => '0b7c-uuid';

  it('mints agent:<target>:subagent:<newId()> when the key is omitted or blank', () => {
    const gen = vi.fn(newId);
    expect(resolveSubagentSessionKey({ targetAgentId: 'Ops', newId: gen })).toBe('agent:ops:subagent:0b7c-uuid');
    expect(resolveSubagentSessionKey({ targetAgentId: 'ops', sessionKey: '  ', newId: gen })).toBe('agent:ops:subagent:0b7c-uuid');
    expect(gen).toHaveBeenCalledTimes(2);
  });

  it('namespaces a short key under the target agent without calling newId', () => {
    const gen = vi.fn(newId);
    expect(resolveSubagentSessionKey({ targetAgentId: 'ops', sessionKey: ' Worker-1 ', newId: gen })).toBe('agent:ops:subagent:worker-1');
    expect(gen).not.toHaveBeenCalled();
  });

  it('accepts a fully-qualified key for the target agent, compared after normalization', () => {
    expect(resolveSubagentSessionKey({ targetAgentId: 'ops', sessionKey: 'agent:OPS:subagent:Worker', newId })).toBe(
      'agent:ops:subagent:worker',
    );
    expect(resolveSubagentSessionKey({ targetAgentId: 'Ops Team', sessionKey: 'agent:Ops Team:subagent:w', newId })).toBe(
      'agent:ops-team:subagent:w',
    );
    expect(resolveSubagentSessionKey({ targetAgentId: 'ops', sessionKey: 'agent:ops:subagent:p:subagent:c', newId })).toBe(
      'agent:ops:subagent:p:subagent:c',
    );
  });

  it('refuses a fully-qualified key of another agent with CROSS_AGENT_SESSION_KEY (never re-homes it)', () => {
    const attempt = () => resolveSubagentSessionKey({ targetAgentId: 'ops', sessionKey: 'agent:main:subagent:x', newId });
    expect(codeOf(attempt)).toBe('CROSS_AGENT_SESSION_KEY');
    expect(attempt).toThrowError('Session key "agent:main:subagent:x" belongs to agent "main", not to the target agent "ops".');
    // Ownership is the first head only: a later agent: segment cannot smuggle the target in.
    expect(codeOf(() => resolveSubagentSessionKey({ targetAgentId: 'ops', sessionKey: 'agent:main:subagent:agent:ops:x', newId }))).toBe(
      'CROSS_AGENT_SESSION_KEY',
    );
  });

  it('refuses malformed and non-subagent fully-qualified keys', () => {
    expect(codeOf(() => resolveSubagentSessionKey({ targetAgentId: 'ops', sessionKey: 'agent:ops', newId }))).toBe('MALFORMED_AGENT_KEY');
    expect(codeOf(() => resolveSubagentSessionKey({ targetAgentId: 'ops', sessionKey: 'agent:ops:main', newId }))).toBe(
      'INVALID_SUBAGENT_KEY',
    );
    expect(codeOf(() => resolveSubagentSessionKey({ targetAgentId: 'ops', sessionKey: 'foo:subagent:x', newId }))).toBe(
      'INVALID_SUBAGENT_KEY',
    );
    for (const sessionKey of [':x', 'agent:ops:subagent:', 'agent:ops:subagent::x', 'agent:ops:subagentx']) {
      expect(
        codeOf(() => resolveSubagentSessionKey({ targetAgentId: 'ops', sessionKey, newId })),
        sessionKey,
      ).toBe('INVALID_SUBAGENT_KEY');
    }
  });

  it('rejects a blank generated id and missing newId with INVALID_INPUT', () => {
    expect(codeOf(() => resolveSubagentSessionKey({ targetAgentId: 'ops', newId: () => ' ' }))).toBe('INVALID_INPUT');
    expect(codeOf(() => resolveSubagentSessionKey({ targetAgentId: 'ops', newId: () => ':x' }))).toBe('INVALID_INPUT');
    expect(codeOf(() => resolveSubagentSessionKey({ targetAgentId: 'ops' } as never))).toBe('INVALID_INPUT');
  });
});
