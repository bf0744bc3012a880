import { describe, expect, it } from 'vitest';
import { GatewayError } from '../errors.js';
import {
  decideInboundAccess,
  GUEST_DENIED_TOOLS,
  matchesOwnerEntry,
  ownerConfigWarnings,
  type InboundAccessInput,
} from './owner-policy.js';

function refusal(input: InboundAccessInput): GatewayError {
  try {
    decideInboundAccess(input);
  } catch (error) {
    if (GatewayError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

const dm = (sender: string, owners: string[] | undefined, peerId = sender): InboundAccessInput => ({
  agentId: 'main',
  channel: 'telegram',
  peerKind: 'direct',
  peerId,
  sender,
  owners,
});
const group = (sender: string, owners: string[] | undefined, guestTools?: string[]): InboundAccessInput => ({
  agentId: 'main',
  channel: 'slack',
  peerKind: 'group',
  peerId: 'C1',
  sender,
  owners,
  ...(guestTools ? { guestTools } : {}),
});

describe('decideInboundAccess', () => {
  it('refuses DMs when no owner allowlist is configured, saying what to configure', () => {
    const error = refusal(dm('123', undefined));
    expect(error.status).toBe(403);
    expect(error.message).toContain('"owners": ["telegram:123"]');
    expect(error.message).toContain('"owners": ["*"]');
    expect(refusal(dm('123', [])).status).toBe(403);
  });

  it('accepts DMs from anyone only with owners ["*"]', () => {
    expect(decideInboundAccess(dm('123', ['*']))).toEqual({ isOwner: true, deniedTools: [] });
  });

  it('refuses a DM whose peer.id differs from the sender (400)', () => {
    const error = refusal(dm('alice', ['alice'], 'bob'));
    expect(error.status).toBe(400);
    expect(error.field).toBe('peer.id');
  });

  it('qualified owner entries only match on their channel', () => {
    expect(decideInboundAccess(dm('123', ['telegram:123'])).isOwner).toBe(true);
    expect(refusal({ ...dm('123', ['telegram:123']), channel: 'discord' }).status).toBe(403);
    expect(matchesOwnerEntry('@alice:example.org', 'matrix', '@alice:example.org')).toBe(true);
  });

  it('identity links make a linked sender the listed owner', () => {
    expect(decideInboundAccess({ ...dm('123', ['alice']), identityLinks: { alice: ['telegram:123'] } }).isOwner).toBe(true);
    expect(refusal({ ...dm('999', ['alice']), identityLinks: { alice: ['telegram:123'] } }).status).toBe(403);
  });

  it('non-owners in groups get a tool policy without exec, process, cron and sessions_spawn', () => {
    expect(decideInboundAccess(group('mallory', ['alice']))).toEqual({ isOwner: false, deniedTools: [...GUEST_DENIED_TOOLS] });
    expect(decideInboundAccess(group('mallory', undefined)).deniedTools).toEqual([...GUEST_DENIED_TOOLS]);
    expect(decideInboundAccess(group('alice', ['alice']))).toEqual({ isOwner: true, deniedTools: [] });
  });

  it('the config can grant tools to non-owners', () => {
    expect(decideInboundAccess(group('mallory', ['alice'], ['cron'])).deniedTools).toEqual(['exec', 'process', 'sessions_spawn']);
  });
});

describe('ownerConfigWarnings', () => {
  it('warns when owners ["*"] meets dmScope main', () => {
    expect(ownerConfigWarnings([{ agentId: 'main', owners: ['*'], dmScope: undefined }])[0]).toContain('one session');
    expect(ownerConfigWarnings([{ agentId: 'main', owners: ['*'], dmScope: 'per-channel-peer' }])).toEqual([]);
    expect(ownerConfigWarnings([{ agentId: 'main', owners: ['alice'], dmScope: 'main' }])).toEqual([]);
  });
});
