import { describe, expect, it } from 'vitest';
import { buildAgentPeerSessionKey, buildGroupHistoryKey, resolveLinkedDirectPeerId } from './peer-key.js';

type Row = readonly [
  label: string,
  params: { channel: string; accountId?: string; peerId: string },
  main: string,
  perPeer: string,
  perChannelPeer: string,
  perAccountChannelPeer: string,
];

// Reference §6.1 direct-peer table (agent `Ops`), every row × every dmScope.
const DIRECT_TABLE: ReadonlyArray<Row> = [
  [
    'telegram, no account, 123456',
    { channel: 'telegram', peerId: '123456' },
    'agent:ops:main',
    'agent:ops:direct:123456',
    'agent:ops:telegram:direct:123456',
    'agent:ops:telegram:default:direct:123456',
  ],
  [
    'WhatsApp, Work Acct, phone number',
    { channel: 'WhatsApp', accountId: 'Work Acct', peerId: '+1 (555) 123-4567' },
    'agent:ops:main',
    'agent:ops:direct:+1 (555) 123-4567',
    'agent:ops:whatsapp:direct:+1 (555) 123-4567',
    'agent:ops:whatsapp:work-acct:direct:+1 (555) 123-4567',
  ],
  [
    'discord, default, User:Name',
    { channel: 'discord', accountId: 'default', peerId: 'User:Name' },
    'agent:ops:main',
    'agent:ops:direct:user:name',
    'agent:ops:discord:direct:user:name',
    'agent:ops:discord:default:direct:user:name',
  ],
  [
    'blank channel, Alice',
    { channel: '', peerId: 'Alice' },
    'agent:ops:main',
    'agent:ops:direct:alice',
    'agent:ops:unknown:direct:alice',
    'agent:ops:unknown:default:direct:alice',
  ],
  [
    'slack, __proto__ account, blank peer',
    { channel: 'slack', accountId: '__proto__', peerId: '  ' },
    'agent:ops:main',
    'agent:ops:main',
    'agent:ops:main',
    'agent:ops:main',
  ],
];

describe('buildAgentPeerSessionKey — direct peers', () => {
  describe.each(DIRECT_TABLE)('%s', (_label, params, main, perPeer, perChannelPeer, perAccount) => {
    it.each([
      ['main', main],
      ['per-peer', perPeer],
      ['per-channel-peer', perChannelPeer],
      ['per-account-channel-peer', perAccount],
    ] as const)('dmScope %s → %s', (dmScope, expected) => {
      expect(buildAgentPeerSessionKey({ agentId: 'Ops', ...params, dmScope })).toBe(expected);
    });
  });

  it('uses the main key when dmScope is absent or unknown', () => {
    const base = { agentId: 'Ops', channel: 'telegram', peerId: '123456' };
    expect(buildAgentPeerSessionKey(base)).toBe('agent:ops:main');
    expect(buildAgentPeerSessionKey({ ...base, dmScope: 'bogus' })).toBe('agent:ops:main');
    expect(buildAgentPeerSessionKey({ ...base, dmScope: null, peerKind: null })).toBe('agent:ops:main');
    expect(buildAgentPeerSessionKey({ ...base, dmScope: 'per-peer', peerKind: 'direct' })).toBe('agent:ops:direct:123456');
  });

  it('honours mainKey for main-key results', () => {
    expect(buildAgentPeerSessionKey({ agentId: 'ops', mainKey: 'work', channel: 'x', peerId: 'y' })).toBe('agent:ops:work');
  });

  describe('identity links', () => {
    const identityLinks = { Alice: ['telegram:123456789', 'discord:987'] };
    it('replaces the peer with the canonical name (per-peer)', () => {
      expect(
        buildAgentPeerSessionKey({
          agentId: 'ops',
          channel: 'telegram',
          peerId: '123456789',
          dmScope: 'per-peer',
          identityLinks,
        }),
      ).toBe('agent:ops:direct:alice');
    });
    it('replaces the peer with the canonical name (per-channel-peer)', () => {
      expect(
        buildAgentPeerSessionKey({
          agentId: 'ops',
          channel: 'discord',
          peerId: '987',
          dmScope: 'per-channel-peer',
          identityLinks,
        }),
      ).toBe('agent:ops:discord:direct:alice');
    });
    it('is not consulted for dmScope main', () => {
      expect(buildAgentPeerSessionKey({ agentId: 'ops', channel: 'telegram', peerId: '123456789', dmScope: 'main', identityLinks })).toBe(
        'agent:ops:main',
      );
    });
  });
});

describe('buildAgentPeerSessionKey — groups and channels', () => {
  it.each([
    [{ channel: 'Telegram', peerKind: 'group', peerId: '-1001234567890' }, 'agent:ops:telegram:group:-1001234567890'],
    [{ channel: 'Discord', peerKind: 'channel', peerId: 'C0123TEAM' }, 'agent:ops:discord:channel:c0123team'],
    [{ channel: 'signal', peerKind: 'group', peerId: ' AbC=+/ ' }, 'agent:ops:signal:group:AbC=+/'],
    [{ channel: 'matrix', peerKind: 'channel', peerId: '!RoomID:Server.Org' }, 'agent:ops:matrix:channel:!RoomID:Server.Org'],
    [{ channel: '', peerKind: 'group', peerId: '' }, 'agent:ops:unknown:group:unknown'],
  ] as const)('builds %j → %j (reference §6.1)', (params, expected) => {
    expect(buildAgentPeerSessionKey({ agentId: 'Ops', ...params })).toBe(expected);
  });

  it('collapses to the main key under groupScope main', () => {
    expect(buildAgentPeerSessionKey({ agentId: 'ops', channel: 'telegram', peerKind: 'group', peerId: '1', groupScope: 'main' })).toBe(
      'agent:ops:main',
    );
    expect(
      buildAgentPeerSessionKey({
        agentId: 'ops',
        mainKey: 'work',
        channel: 'telegram',
        peerKind: 'group',
        peerId: '1',
        groupScope: 'main',
      }),
    ).toBe('agent:ops:work');
  });
});

describe('resolveLinkedDirectPeerId', () => {
  const identityLinks = { Alice: ['telegram:123', 'DISCORD:user'], '  ': ['telegram:999'], ' Bob ': ['42'] };
  it.each([
    ['telegram', '123', 'Alice'],
    ['discord', 'User', 'Alice'],
    ['telegram', '999', undefined],
    ['slack', '42', 'Bob'],
    ['telegram', '124', undefined],
    ['telegram', '', undefined],
  ] as const)('channel %j peer %j → %j (reference §3)', (channel, peerId, expected) => {
    expect(resolveLinkedDirectPeerId({ identityLinks, channel, peerId })).toBe(expected);
  });

  it('tolerates missing or malformed link tables', () => {
    expect(resolveLinkedDirectPeerId({ channel: 'x', peerId: 'y' })).toBeUndefined();
    expect(resolveLinkedDirectPeerId({ identityLinks: { A: 'x' as unknown as string[] }, channel: 'x', peerId: 'x' })).toBeUndefined();
  });
});

describe('buildGroupHistoryKey', () => {
  it('builds <channel>:<account>:<kind>:<peer> without an agent prefix (reference §3)', () => {
    expect(buildGroupHistoryKey({ channel: 'Telegram', accountId: 'Bot', peerKind: 'group', peerId: '-1001' })).toBe(
      'telegram:bot:group:-1001',
    );
    expect(buildGroupHistoryKey({ peerKind: 'group' })).toBe('unknown:default:group:unknown');
  });
});
