import { describe, expect, it } from 'vitest';
import { parseThreadSessionSuffix, resolveThreadSessionKeys } from './thread.js';

describe('resolveThreadSessionKeys', () => {
  const base = 'agent:ops:slack:channel:c1';
  it('appends :thread:<lower(threadId)> (reference §3)', () => {
    expect(resolveThreadSessionKeys({ baseSessionKey: base, threadId: 'ABC', parentSessionKey: base })).toEqual({
      sessionKey: `${base}:thread:abc`,
      parentSessionKey: base,
    });
  });
  it('returns the base key for a blank thread', () => {
    expect(resolveThreadSessionKeys({ baseSessionKey: base, threadId: '  ', parentSessionKey: 'p' })).toEqual({
      sessionKey: base,
      parentSessionKey: undefined,
    });
    expect(resolveThreadSessionKeys({ baseSessionKey: base })).toEqual({ sessionKey: base, parentSessionKey: undefined });
  });
  it('trims the base key (OpenClaw 2026.9.6 trims its inputs)', () => {
    expect(resolveThreadSessionKeys({ baseSessionKey: ` ${base}\t`, threadId: 'ABC' }).sessionKey).toBe(`${base}:thread:abc`);
    expect(resolveThreadSessionKeys({ baseSessionKey: ` ${base} ` }).sessionKey).toBe(base);
  });
  it('omits the suffix with useSuffix: false and honours normalizeThreadId', () => {
    expect(resolveThreadSessionKeys({ baseSessionKey: base, threadId: 'X', useSuffix: false }).sessionKey).toBe(base);
    expect(
      resolveThreadSessionKeys({ baseSessionKey: base, threadId: ' 1700.5 ', normalizeThreadId: (id) => id.replace('.', '-') }).sessionKey,
    ).toBe(`${base}:thread:1700-5`);
  });
});

describe('parseThreadSessionSuffix', () => {
  it.each([
    ['agent:ops:thread:', { baseSessionKey: 'agent:ops', threadId: undefined }],
    ['agent:ops:slack:channel:C1:THREAD:Ts1', { baseSessionKey: 'agent:ops:slack:channel:C1', threadId: 'Ts1' }],
    ['a:thread:1:thread:2', { baseSessionKey: 'a:thread:1', threadId: '2' }],
    ['agent:ops:main', { baseSessionKey: 'agent:ops:main', threadId: undefined }],
    ['', { baseSessionKey: undefined, threadId: undefined }],
    [' agent:ops:main ', { baseSessionKey: 'agent:ops:main', threadId: undefined }],
    ['\t agent:ops:slack:channel:c1:thread:Ts1 \n', { baseSessionKey: 'agent:ops:slack:channel:c1', threadId: 'Ts1' }],
    ['   ', { baseSessionKey: undefined, threadId: undefined }],
  ] as const)('splits %j at the last :thread: (reference §3)', (input, expected) => {
    expect(parseThreadSessionSuffix(input)).toEqual(expected);
  });
});
