import fc from 'fast-check';
import { parseAgentSessionKey } from '@pincer/session-key';
import { describe, expect, it } from 'vitest';
import { canonicalAgentSessionKey, resolveChildSessionKey } from './child-key.js';

const newId = () => 'fresh-id';

describe('resolveChildSessionKey', () => {
  it.each([
    [undefined, 'agent:ops:subagent:fresh-id'],
    ['', 'agent:ops:subagent:fresh-id'],
    ['   ', 'agent:ops:subagent:fresh-id'],
    ['worker', 'agent:ops:subagent:worker'],
    [' Worker.2 ', 'agent:ops:subagent:worker.2'],
    ['agent:ops:subagent:worker', 'agent:ops:subagent:worker'],
    ['AGENT:OPS:SUBAGENT:Worker', 'agent:ops:subagent:worker'],
    ['agent:ops:subagent:parent:subagent:child', 'agent:ops:subagent:parent:subagent:child'],
  ])('resolves %j to %s', (sessionKey, expected) => {
    expect(resolveChildSessionKey({ targetAgentId: 'ops', sessionKey, newId })).toEqual({
      ok: true,
      childSessionKey: expected,
    });
  });

  it.each([
    ['agent:research:subagent:w', 'CROSS_AGENT_SESSION_KEY'],
    ['agent:opsx:subagent:w', 'CROSS_AGENT_SESSION_KEY'],
    ['agent:ops:main', 'INVALID_SESSION_KEY'],
    ['agent:ops:subagent:', 'INVALID_SESSION_KEY'],
    ['agent:ops:subagent::x', 'INVALID_SESSION_KEY'],
    ['agent:ops', 'INVALID_SESSION_KEY'],
    ['agent::subagent:x', 'INVALID_SESSION_KEY'],
    ['subagent:worker', 'INVALID_SESSION_KEY'],
    ['-leading-dash', 'INVALID_SESSION_KEY'],
    ['has space', 'INVALID_SESSION_KEY'],
    ['x'.repeat(129), 'INVALID_SESSION_KEY'],
  ])('refuses %j with %s', (sessionKey, code) => {
    expect(resolveChildSessionKey({ targetAgentId: 'ops', sessionKey, newId })).toMatchObject({ ok: false, code });
  });

  it('matches agents after normalization ("Ops Team" is ops-team)', () => {
    expect(resolveChildSessionKey({ targetAgentId: 'ops-team', sessionKey: 'agent:Ops Team:subagent:w', newId })).toEqual({
      ok: true,
      childSessionKey: 'agent:ops-team:subagent:w',
    });
  });

  it('never throws, and every accepted key is a sub-agent key of the target agent', () => {
    fc.assert(
      fc.property(
        fc.option(
          fc
            .oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.constantFrom('agent:', ':subagent:', 'AGENT:OPS:'))
            .chain((prefix) => fc.string().map((s) => prefix + s)),
        ),
        fc.constantFrom('ops', 'research', 'main'),
        (sessionKey, targetAgentId) => {
          const result = resolveChildSessionKey({ targetAgentId, sessionKey: sessionKey ?? undefined, newId });
          if (!result.ok) return;
          const parsed = parseAgentSessionKey(result.childSessionKey);
          expect(parsed?.agentId).toBe(targetAgentId);
          expect(parsed?.rest.startsWith('subagent:')).toBe(true);
          expect(result.childSessionKey).toBe(result.childSessionKey.toLowerCase());
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('canonicalAgentSessionKey', () => {
  it('accepts only canonical agent keys (behaviour change: variants used to be lower-cased)', () => {
    expect(canonicalAgentSessionKey('agent:ops:main')?.key).toBe('agent:ops:main');
    expect(canonicalAgentSessionKey(' AGENT:Ops:Main ')).toBeUndefined();
    expect(canonicalAgentSessionKey('agent:Ops!:main')).toBeUndefined();
    expect(canonicalAgentSessionKey('main')).toBeUndefined();
    expect(canonicalAgentSessionKey('agent:ops')).toBeUndefined();
  });
});
