import { describe, expect, it } from 'vitest';
import {
  agentSessionKeysMatchByRequestKey,
  buildAgentMainSessionKey,
  scopeLegacySessionKeyToAgent,
  toAgentRequestSessionKey,
  toAgentStoreSessionKey,
} from './store-key.js';

describe('toAgentStoreSessionKey', () => {
  it.each([
    [{ agentId: 'ops', requestKey: 'MAIN' }, 'agent:ops:main'],
    [{ agentId: 'Ops Team', requestKey: 'main', mainKey: 'work' }, 'agent:ops-team:work'],
    [{ agentId: 'ops', requestKey: 'global' }, 'agent:ops:global'],
    [{ agentId: 'ops', requestKey: 'AGENT:Ops:X' }, 'agent:ops:x'],
    [{ agentId: 'ops', requestKey: 'agent:ops' }, 'agent:ops'],
    [{ agentId: 'ops', requestKey: 'signal:group:AbC' }, 'agent:ops:signal:group:AbC'],
    [{ agentId: '', requestKey: 'x' }, 'agent:main:x'],
  ] as const)('maps %j to %j (reference §3)', (params, expected) => {
    expect(toAgentStoreSessionKey(params)).toBe(expected);
  });

  it('maps a blank request key to the main key', () => {
    expect(toAgentStoreSessionKey({ agentId: 'ops', requestKey: '  ' })).toBe('agent:ops:main');
    expect(toAgentStoreSessionKey({ agentId: 'ops' })).toBe('agent:ops:main');
  });

  it('keeps a foreign agent id un-normalized (only lower-cased)', () => {
    expect(toAgentStoreSessionKey({ agentId: 'ops', requestKey: 'agent:Ops Team:x' })).toBe('agent:ops team:x');
  });

  it('does not special-case sentinels (reference §5)', () => {
    expect(toAgentStoreSessionKey({ agentId: 'ops', requestKey: 'Unknown' })).toBe('agent:ops:unknown');
  });
});

describe('scopeLegacySessionKeyToAgent', () => {
  it.each([
    [{ agentId: 'ops', sessionKey: 'Main ' }, 'agent:ops:main'],
    [{ agentId: 'ops', sessionKey: 'global' }, 'agent:ops:global'],
    [{ agentId: undefined, sessionKey: 'Main ' }, 'Main'],
    [{ agentId: 'ops', sessionKey: 'AGENT:Ops:X' }, 'AGENT:Ops:X'],
    [{ agentId: '  ', sessionKey: 'incident-42' }, 'incident-42'],
    [{ agentId: 'ops', sessionKey: 'agent:ops' }, 'agent:ops'],
  ] as const)('maps %j to %j (reference §3)', (params, expected) => {
    expect(scopeLegacySessionKeyToAgent(params)).toBe(expected);
  });

  it('returns undefined for a blank key', () => {
    expect(scopeLegacySessionKeyToAgent({ agentId: 'ops', sessionKey: '  ' })).toBeUndefined();
    expect(scopeLegacySessionKeyToAgent({ agentId: 'ops' })).toBeUndefined();
  });
});

describe('toAgentRequestSessionKey', () => {
  it.each([
    ['agent:ops:subagent:worker', 'subagent:worker'],
    [' Global ', 'Global'],
    ['AGENT:Ops:Incident', 'incident'],
    ['agent:ops', 'agent:ops'],
  ] as const)('maps %j to %j', (input, expected) => {
    expect(toAgentRequestSessionKey(input)).toBe(expected);
  });

  it('returns undefined for blank input', () => {
    expect(toAgentRequestSessionKey('   ')).toBeUndefined();
    expect(toAgentRequestSessionKey(undefined)).toBeUndefined();
  });
});

describe('agentSessionKeysMatchByRequestKey', () => {
  it.each([
    ['agent:ops:main', 'agent:main:main', true],
    ['incident-42', 'agent:ops:incident-42', true],
    ['', '', false],
    [' x ', 'x', true],
    ['agent:ops:a', 'agent:ops:b', false],
    ['x', '', false],
  ] as const)('compares %j and %j → %j (quirk 8: ignores the agent)', (a, b, expected) => {
    expect(agentSessionKeysMatchByRequestKey(a, b)).toBe(expected);
  });
});

describe('buildAgentMainSessionKey', () => {
  it.each([
    [{ agentId: '!!!' }, 'agent:main:main'],
    [{ agentId: 'ops', mainKey: ' WORK ' }, 'agent:ops:work'],
    [{ agentId: 'ops', mainKey: 'a:b' }, 'agent:ops:a:b'],
    [{ agentId: 'Ops Team' }, 'agent:ops-team:main'],
    [{ agentId: '' }, 'agent:main:main'],
  ] as const)('builds %j → %j (reference §3)', (params, expected) => {
    expect(buildAgentMainSessionKey(params)).toBe(expected);
  });
});
