import { describe, expect, it } from 'vitest';
import {
  createCeilingLedger,
  eventCeilingFromEvent,
  eventCeilingMetadata,
  eventCeilingOf,
  identityForEvents,
  narrowIdentityByEvents,
} from './event-ceiling.js';
import { ANONYMOUS_IDENTITY, OPERATOR_IDENTITY, type TokenIdentity } from './identity.js';

const token = (credentialId: string, capabilities: string[]): TokenIdentity => ({
  kind: 'token',
  credentialId,
  name: credentialId,
  scope: { kind: 'agent', agentId: 'ops' },
  capabilities: new Set(capabilities) as TokenIdentity['capabilities'],
  expiresAt: Date.now() + 60_000,
});
const eventOf = (identity: Parameters<typeof eventCeilingOf>[0]) => {
  const metadata = eventCeilingMetadata(eventCeilingOf(identity));
  return metadata ? { metadata } : {};
};

describe('event ceilings', () => {
  it('the operator and the gateway cause events without a ceiling; a token records its capabilities; anonymous none at all', () => {
    expect(eventCeilingOf(OPERATOR_IDENTITY)).toBeUndefined();
    expect(eventCeilingOf(undefined)).toBeUndefined();
    expect(eventCeilingOf(ANONYMOUS_IDENTITY)).toEqual({ credentialId: 'anonymous', capabilities: [] });
    expect(eventCeilingFromEvent(eventOf(token('tk_a', ['cron:write', 'events:read'])))).toEqual({
      credentialId: 'tk_a',
      capabilities: ['events:read', 'cron:write'],
    });
  });

  it('a turn over events without ceilings has none; with some, the intersection of theirs, confined to the session', () => {
    expect(identityForEvents([eventOf(undefined), eventOf(OPERATOR_IDENTITY)], 'agent:ops:main')).toBeUndefined();
    expect(identityForEvents([], 'agent:ops:main')).toBeUndefined();
    const identity = identityForEvents(
      [
        eventOf(OPERATOR_IDENTITY),
        eventOf(token('tk_b', ['processes:exec', 'cron:write'])),
        eventOf(token('tk_a', ['cron:write', 'agent:spawn'])),
      ],
      'agent:ops:main',
    );
    expect(identity).toMatchObject({ kind: 'token', credentialId: 'tk_a+tk_b', scope: { kind: 'session', sessionKey: 'agent:ops:main' } });
    expect([...(identity?.capabilities ?? [])]).toEqual(['cron:write']);
  });

  it('a malformed recorded ceiling counts as one with no capabilities, and unknown capability names are dropped', () => {
    expect(eventCeilingFromEvent({ metadata: { ceiling: 'everything' } })).toEqual({ credentialId: 'unknown', capabilities: [] });
    expect(eventCeilingFromEvent({ metadata: { ceiling: { credentialId: 'tk_a', capabilities: ['root', 'cron:read'] } } })).toEqual({
      credentialId: 'tk_a',
      capabilities: ['cron:read'],
    });
    expect(eventCeilingFromEvent({ metadata: { other: 1 } })).toBeUndefined();
    const identity = identityForEvents([{ metadata: { ceiling: null } }], 'agent:ops:main');
    expect(identity?.capabilities.size).toBe(0);
  });

  it('narrows a run identity by its events: unchanged without ceilings, intersected for a token, the events for the operator', () => {
    const own = token('tk_run', ['processes:exec', 'cron:write', 'sessions:read']);
    const plain = [eventOf(OPERATOR_IDENTITY)];
    expect(narrowIdentityByEvents(own, plain, 'agent:ops:main')).toBe(own);
    expect(narrowIdentityByEvents(undefined, plain, 'agent:ops:main')).toBeUndefined();
    const caused = [eventOf(token('tk_cron', ['cron:write', 'sessions:read']))];
    const narrowed = narrowIdentityByEvents(own, caused, 'agent:ops:main');
    expect(narrowed).toMatchObject({ kind: 'token', credentialId: 'tk_run', scope: { kind: 'agent', agentId: 'ops' } });
    expect(narrowed?.kind === 'token' && [...narrowed.capabilities].sort()).toEqual(['cron:write', 'sessions:read']);
    const operator = narrowIdentityByEvents(OPERATOR_IDENTITY, caused, 'agent:ops:main');
    expect(operator).toMatchObject({ kind: 'token', credentialId: 'tk_cron' });
    expect(narrowIdentityByEvents(ANONYMOUS_IDENTITY, caused, 'agent:ops:main')).toBe(ANONYMOUS_IDENTITY);
  });
});

describe('createCeilingLedger', () => {
  const ceiling = (credentialId: string) => ({ credentialId, capabilities: ['agent:run' as const] });

  it('gives a recorded ceiling back once, and nothing for the operator (no ceiling recorded)', () => {
    const ledger = createCeilingLedger();
    ledger.record('amber-atlas-k3f9x2', ceiling('tk_1'));
    ledger.record('dawn-rook-0a1b2c', undefined);
    expect(ledger.size).toBe(1);
    expect(ledger.take('amber-atlas-k3f9x2')).toEqual(ceiling('tk_1'));
    expect(ledger.take('amber-atlas-k3f9x2')).toBeUndefined();
    expect(ledger.take('dawn-rook-0a1b2c')).toBeUndefined();
    expect(ledger.size).toBe(0);
  });

  it('stays bounded, and an entry pushed out fails closed: its credential with no capabilities', () => {
    const ledger = createCeilingLedger({ maxEntries: 2 });
    ledger.record('a', ceiling('tk_a'));
    ledger.record('b', ceiling('tk_b'));
    ledger.record('c', ceiling('tk_c'));
    expect(ledger.size).toBe(2);
    expect(ledger.take('a')).toEqual({ credentialId: 'tk_a', capabilities: [] });
    expect(ledger.take('b')).toEqual(ceiling('tk_b'));
    expect(ledger.take('c')).toEqual(ceiling('tk_c'));
  });
});
