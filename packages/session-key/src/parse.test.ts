import { describe, expect, it } from 'vitest';
import { SessionKeyError } from './errors.js';
import {
  classifySessionKeyShape,
  isUnscopedSessionKeySentinel,
  parseAgentSessionKey,
  parseAgentSessionKeyParts,
  resolveAgentIdFromSessionKey,
} from './parse.js';

// Reference §1 shape table, every example.
const SHAPE_TABLE: ReadonlyArray<readonly [string | null | undefined, string]> = [
  [undefined, 'missing'],
  [null, 'missing'],
  ['', 'missing'],
  ['   ', 'missing'],
  ['agent:main:main', 'agent'],
  ['AGENT:Ops:Main', 'agent'],
  [' agent:ops:main ', 'agent'],
  ['agent:ops:main:', 'agent'],
  ['agent:Ops Team:main', 'agent'],
  ['agent: ops :main', 'agent'],
  ['agent:日本:main', 'agent'],
  ['agent:../x:main', 'agent'],
  ['agent:ops', 'malformed_agent'],
  ['agent:ops:', 'malformed_agent'],
  ['agent::main', 'malformed_agent'],
  ['agent:', 'malformed_agent'],
  ['agent: :main', 'malformed_agent'],
  ['agent:ops::x', 'malformed_agent'],
  ['Agent:', 'malformed_agent'],
  ['main', 'legacy_or_alias'],
  ['global', 'legacy_or_alias'],
  ['unknown', 'legacy_or_alias'],
  ['incident-42', 'legacy_or_alias'],
  ['subagent:worker', 'legacy_or_alias'],
  ['cron:job-1', 'legacy_or_alias'],
  ['hook:abc', 'legacy_or_alias'],
  ['agent', 'legacy_or_alias'],
  ['agentx:ops:main', 'legacy_or_alias'],
  [':agent:ops:main', 'legacy_or_alias'],
];

describe('classifySessionKeyShape', () => {
  it.each(SHAPE_TABLE)('classifies %j as %s (reference §1)', (input, shape) => {
    expect(classifySessionKeyShape(input)).toBe(shape);
  });

  it('treats non-string input as missing', () => {
    expect(classifySessionKeyShape(12 as unknown as string)).toBe('missing');
  });

  it('agrees with parseAgentSessionKey: agent ⇔ parse succeeds', () => {
    for (const [input, shape] of SHAPE_TABLE) {
      expect(parseAgentSessionKey(input) !== null).toBe(shape === 'agent');
    }
  });
});

describe('parseAgentSessionKey', () => {
  it.each([
    ['AGENT:Ops:Main', { agentId: 'ops', rest: 'main' }],
    ['agent:Ops Team:main', { agentId: 'ops team', rest: 'main' }],
    ['agent: ops :main', { agentId: 'ops', rest: 'main' }],
    ['agent:ops:ma\u0000in', { agentId: 'ops', rest: 'ma\u0000in' }],
    ['agent:OPS:Signal:Group:AbCdEf==', { agentId: 'ops', rest: 'signal:group:AbCdEf==' }],
    ['agent:ops:main:', { agentId: 'ops', rest: 'main:' }],
    [' agent:ops:main ', { agentId: 'ops', rest: 'main' }],
    ['agent:ops:subagent:agent:main:main', { agentId: 'ops', rest: 'subagent:agent:main:main' }],
  ] as const)('parses %j (reference §3)', (input, expected) => {
    expect(parseAgentSessionKey(input)).toEqual(expected);
  });

  it.each(['agent:ops', 'agent::x', 'main', '', '   ', 'agent:ops::x', 'agent:ops:'])('returns null for %j', (input) => {
    expect(parseAgentSessionKey(input)).toBeNull();
  });

  it('returns a lower-cased but un-normalized agent id (quirk 1)', () => {
    expect(parseAgentSessionKey('agent:Ops Team:main')?.agentId).toBe('ops team');
    expect(parseAgentSessionKey('agent:日本:main')?.agentId).toBe('日本');
  });

  it('parses the legacy DM marker and Telegram topic keys as agent keys (reference §1.1, §6.3)', () => {
    expect(parseAgentSessionKey('agent:ops:telegram:dm:12345')).toEqual({ agentId: 'ops', rest: 'telegram:dm:12345' });
    expect(parseAgentSessionKey('agent:main:telegram:group:-1001234567890:topic:42')).toEqual({
      agentId: 'main',
      rest: 'telegram:group:-1001234567890:topic:42',
    });
  });

  it('keeps Matrix room tails as written', () => {
    expect(parseAgentSessionKey('agent:ops:matrix:channel:!Room:srv:THREAD:$EvT')).toEqual({
      agentId: 'ops',
      rest: 'matrix:channel:!Room:srv:thread:$EvT',
    });
  });
});

describe('parseAgentSessionKeyParts', () => {
  it('splits without trimming or lower-casing (reference §3)', () => {
    expect(parseAgentSessionKeyParts('agent:OPS:Signal:Group:AbCdEf==')).toEqual({
      agentId: 'OPS',
      rest: 'Signal:Group:AbCdEf==',
    });
    expect(parseAgentSessionKeyParts('agent:ops')).toBeNull();
  });
});

describe('resolveAgentIdFromSessionKey', () => {
  it.each([
    ['agent:Ops Team:main', undefined, 'ops-team'],
    ['agent:日本:main', undefined, 'main'],
    ['agent:../x:main', undefined, 'x'],
    ['main', 'Fallback Agent', 'fallback-agent'],
    ['AGENT:OPS:x', 'other', 'ops'],
    ['', 'ops', 'ops'],
  ] as const)('resolves %j (default %j) to %j (reference §3)', (key, fallback, expected) => {
    expect(resolveAgentIdFromSessionKey(key, fallback)).toBe(expected);
  });

  it('throws NO_AGENT_ID for a bare key without a default', () => {
    const attempt = () => resolveAgentIdFromSessionKey('main');
    expect(attempt).toThrowError('Session key does not contain an agent id; resolve it with the configured default agent.');
    expect(catchError(attempt).code).toBe('NO_AGENT_ID');
    expect(catchError(() => resolveAgentIdFromSessionKey('main', '   ')).code).toBe('NO_AGENT_ID');
  });

  it('throws MALFORMED_SESSION_KEY for a malformed key even with a default', () => {
    const attempt = () => resolveAgentIdFromSessionKey('agent:ops', 'x');
    expect(attempt).toThrowError('Malformed agent session key; refusing default-agent resolution.');
    expect(catchError(attempt).code).toBe('MALFORMED_SESSION_KEY');
  });
});

describe('isUnscopedSessionKeySentinel', () => {
  it.each([' Global ', 'GLOBAL', 'Unknown', 'global', 'unknown'])('recognizes %j', (key) => {
    expect(isUnscopedSessionKeySentinel(key)).toBe(true);
  });

  it.each(['agent:ops:global', 'main', '', 'globals', 'unknow', undefined, null])('rejects %j', (key) => {
    expect(isUnscopedSessionKeySentinel(key)).toBe(false);
  });
});

function catchError(fn: () => unknown): SessionKeyError {
  try {
    fn();
  } catch (error) {
    if (SessionKeyError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a SessionKeyError');
}
