import { describe, expect, it } from 'vitest';
import { normalizeSessionKeyPreservingOpaquePeerIds, normalizeSessionPeerId } from './opaque-peer.js';

describe('normalizeSessionKeyPreservingOpaquePeerIds', () => {
  it.each([
    ['agent:ops:matrix:channel:!Room:srv:THREAD:$EvT', 'agent:ops:matrix:channel:!Room:srv:thread:$EvT'],
    ['  AGENT:OPS:Main  ', 'agent:ops:main'],
    ['agent:OPS:Signal:Group:AbCdEf==', 'agent:ops:signal:group:AbCdEf=='],
    ['Signal:Group:AbC:THREAD:X', 'signal:group:AbC:thread:x'],
    ['Matrix:Group:!Abc:Srv', 'matrix:group:!Abc:Srv'],
    ['agent:ops:MATRIX:CHANNEL:!R:s', 'agent:ops:matrix:channel:!R:s'],
    ['agent:ops:matrix:direct:@Bob:srv', 'agent:ops:matrix:direct:@bob:srv'],
    ['agent:ops:xsignal:group:AbC', 'agent:ops:xsignal:group:abc'],
    // An agent named `signal`: the marker counts in the rest only, never across the agent id.
    ['agent:signal:group:AbC', 'agent:signal:group:abc'],
    ['agent:signal:signal:group:AbC', 'agent:signal:signal:group:AbC'],
    ['', ''],
  ] as const)('normalizes %j → %j', (input, expected) => {
    expect(normalizeSessionKeyPreservingOpaquePeerIds(input)).toBe(expected);
  });
});

describe('normalizeSessionPeerId', () => {
  it.each([
    [{ channel: 'signal', peerKind: 'group', peerId: 'AbC' }, 'AbC'],
    [{ channel: 'telegram', peerKind: 'group', peerId: 'ABC' }, 'abc'],
    [{ channel: 'Matrix', peerKind: 'channel', peerId: ' !Room:Srv ' }, '!Room:Srv'],
    [{ channel: 'matrix', peerKind: 'direct', peerId: '@Bob' }, '@bob'],
    [{ channel: 'signal', peerKind: 'direct', peerId: 'AbC' }, 'abc'],
  ] as const)('normalizes %j → %j (reference §3)', (params, expected) => {
    expect(normalizeSessionPeerId(params)).toBe(expected);
  });
});
