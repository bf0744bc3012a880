import { SessionKeyError } from '@pincer/session-key';
import { describe, expect, it } from 'vitest';
import { HeartbeatRouterError } from './errors.js';
import { resolveEventSession, resolveHeartbeatSession, resolveSingleOwner } from './routing.js';

const DM = 'agent:main:telegram:default:direct:12345';

describe('resolveSingleOwner', () => {
  it('needs exactly one distinct entry after lower-casing and no wildcard', () => {
    expect(resolveSingleOwner(['12345'])).toBe('12345');
    expect(resolveSingleOwner(['Alice', ' alice ', 'ALICE'])).toBe('alice');
    expect(resolveSingleOwner([12345, '12345'])).toBe('12345');
    expect(resolveSingleOwner(['alice', 'bob'])).toBeNull();
    expect(resolveSingleOwner(['alice', '*'])).toBeNull();
    expect(resolveSingleOwner(['*'])).toBeNull();
    expect(resolveSingleOwner(['', '  '])).toBeNull();
    expect(resolveSingleOwner([])).toBeNull();
    expect(resolveSingleOwner(undefined)).toBeNull();
  });
});

describe('resolveEventSession (seed 001)', () => {
  it('single owner + dmScope main → exec, cron and sub-agent completion events go to agent:<id>:main', () => {
    for (const source of ['exec', 'cron', 'subagent'] as const) {
      expect(resolveEventSession({ sessionKey: DM, source, session: { dmScope: 'main' }, allowFrom: ['12345'] })).toEqual({
        sessionKey: 'agent:main:main',
        agentId: 'main',
        rule: 'dm-scope-main',
        rerouted: true,
      });
    }
  });

  it('treats an unset dmScope as main', () => {
    expect(resolveEventSession({ sessionKey: DM, source: 'exec', allowFrom: ['12345'] }).sessionKey).toBe('agent:main:main');
  });

  // Behaviour change (issue 14 item 9): re-keying any session is now opt-in (`rerouteToMain: 'any-session'`).
  it('re-keys any session of that agent, including group and thread keys, honouring mainKey (rerouteToMain: any-session)', () => {
    const groupKey = 'agent:ops:discord:channel:42:thread:7';
    expect(
      resolveEventSession({
        sessionKey: groupKey,
        source: 'exec',
        session: { mainKey: 'work', rerouteToMain: 'any-session' },
        allowFrom: ['me'],
      }).sessionKey,
    ).toBe('agent:ops:work');
  });

  it('two owners → the original session', () => {
    const r = resolveEventSession({ sessionKey: DM, source: 'exec', session: { dmScope: 'main' }, allowFrom: ['12345', '999'] });
    expect(r).toMatchObject({ sessionKey: DM, rule: 'unchanged', rerouted: false });
  });

  it('wildcard allowlist or no allowlist → the original session', () => {
    expect(resolveEventSession({ sessionKey: DM, source: 'exec', allowFrom: ['12345', '*'] }).sessionKey).toBe(DM);
    expect(resolveEventSession({ sessionKey: DM, source: 'exec' }).sessionKey).toBe(DM);
  });

  it('per-channel-peer (and the other per-peer scopes) → the original session', () => {
    for (const dmScope of ['per-peer', 'per-channel-peer', 'per-account-channel-peer'] as const) {
      expect(resolveEventSession({ sessionKey: DM, source: 'exec', session: { dmScope }, allowFrom: ['12345'] }).sessionKey).toBe(DM);
    }
  });

  it("a sub-agent's own exec events stay in the sub-agent session", () => {
    const sub = 'agent:main:subagent:abc-123';
    const r = resolveEventSession({ sessionKey: sub, source: 'exec', session: { dmScope: 'main' }, allowFrom: ['12345'] });
    expect(r).toEqual({ sessionKey: sub, agentId: 'main', rule: 'subagent-session', rerouted: false });
  });

  // Behaviour change (issue 14 item 9): the cron-run remap is opt-in (`rerouteToMain: 'any-session'`).
  it('cron-run keys resolve to the main session whatever the allowlist (rerouteToMain: any-session)', () => {
    const run = 'agent:ops:cron:nightly:run:r1';
    const anySession = { rerouteToMain: 'any-session' } as const;
    expect(resolveEventSession({ sessionKey: run, source: 'cron', session: anySession })).toMatchObject({
      sessionKey: 'agent:ops:main',
      rule: 'cron-run',
    });
    expect(
      resolveEventSession({ sessionKey: run, source: 'exec', allowFrom: ['a', 'b'], session: { dmScope: 'per-peer', ...anySession } })
        .sessionKey,
    ).toBe('agent:ops:main');
    expect(resolveEventSession({ sessionKey: run, source: 'cron', session: { mainKey: 'primary', ...anySession } }).sessionKey).toBe(
      'agent:ops:primary',
    );
  });

  describe('rerouteToMain: owner-dm (the default)', () => {
    const owner = { source: 'exec', session: { dmScope: 'main' }, allowFrom: ['12345'] } as const;
    it.each([
      'agent:ops:telegram:default:direct:12345',
      'agent:ops:telegram:direct:12345',
      'agent:ops:direct:12345',
      'agent:ops:telegram:dm:12345',
      'agent:ops:telegram:default:direct:12345:thread:99',
    ])('moves the owner’s own DM session %s to main', (sessionKey) => {
      expect(resolveEventSession({ sessionKey, ...owner })).toMatchObject({ sessionKey: 'agent:ops:main', rule: 'dm-scope-main' });
    });

    it('matches a channel-qualified owner entry (telegram:12345)', () => {
      const key = 'agent:ops:telegram:default:direct:12345';
      expect(resolveEventSession({ sessionKey: key, ...owner, allowFrom: ['telegram:12345'] }).sessionKey).toBe('agent:ops:main');
      expect(resolveEventSession({ sessionKey: 'agent:ops:discord:direct:12345', ...owner, allowFrom: ['telegram:12345'] }).rule).toBe(
        'unchanged',
      );
    });

    it.each([
      'agent:ops:telegram:group:-1001',
      'agent:ops:discord:channel:42:thread:7',
      'agent:ops:telegram:default:direct:999',
      'agent:ops:incident-42',
      'agent:ops:cron:nightly',
      'agent:ops:cron:nightly:run:r1',
    ])('keeps events of %s where they are', (sessionKey) => {
      for (const source of ['exec', 'cron', 'subagent'] as const) {
        expect(resolveEventSession({ sessionKey, ...owner, source })).toMatchObject({ sessionKey, rerouted: false });
      }
    });
  });

  it('manual, hook and other sources are never re-keyed by dmScope', () => {
    for (const source of ['manual', 'hook', 'other'] as const) {
      expect(resolveEventSession({ sessionKey: DM, source, allowFrom: ['12345'] }).sessionKey).toBe(DM);
    }
  });

  it('a preserved (route-bound) key is kept', () => {
    expect(resolveEventSession({ sessionKey: DM, source: 'exec', allowFrom: ['12345'], preserveSessionKey: true }).rule).toBe('preserved');
  });

  it('never moves an event to another agent', () => {
    const r = resolveEventSession({ sessionKey: 'agent:ops:telegram:default:direct:1', source: 'exec', allowFrom: ['1'] });
    expect(r.sessionKey).toBe('agent:ops:main');
    expect(r.agentId).toBe('ops');
  });

  it('global scope routes to the agent-qualified global queue', () => {
    expect(resolveEventSession({ sessionKey: DM, source: 'exec', allowFrom: ['12345'], session: { scope: 'global' } }).sessionKey).toBe(
      'agent:main:global',
    );
  });

  it('throws SessionKeyError for keys that are not agent-qualified', () => {
    for (const key of ['main', 'telegram:direct:1', 'agent:ops']) {
      let caught: unknown;
      try {
        resolveEventSession({ sessionKey: key, source: 'exec', allowFrom: ['1'] });
      } catch (error) {
        caught = error;
      }
      expect(SessionKeyError.isInstance(caught)).toBe(true);
    }
  });
});

describe('resolveHeartbeatSession', () => {
  it('main session when nothing is forced or configured', () => {
    expect(resolveHeartbeatSession({ agentId: 'Ops' })).toEqual({
      sessionKey: 'agent:ops:main',
      queueKey: 'agent:ops:main',
      agentId: 'ops',
      selectedBy: 'main',
    });
  });

  it('forced key beats configured heartbeat.session beats main', () => {
    expect(resolveHeartbeatSession({ agentId: 'ops', heartbeatSession: 'ops-room' })).toMatchObject({
      sessionKey: 'agent:ops:ops-room',
      selectedBy: 'configured',
    });
    expect(
      resolveHeartbeatSession({ agentId: 'ops', heartbeatSession: 'ops-room', forcedSessionKey: 'agent:ops:incident-42' }),
    ).toMatchObject({ sessionKey: 'agent:ops:incident-42', selectedBy: 'forced' });
  });

  it('canonicalizes main aliases', () => {
    for (const forced of ['main', 'agent:ops:main', 'agent:main:main']) {
      expect(resolveHeartbeatSession({ agentId: 'ops', forcedSessionKey: forced }).sessionKey).toBe('agent:ops:main');
    }
    expect(resolveHeartbeatSession({ agentId: 'ops', heartbeatSession: 'main' }).sessionKey).toBe('agent:ops:main');
    expect(resolveHeartbeatSession({ agentId: 'ops', forcedSessionKey: 'work', session: { mainKey: 'work' } }).sessionKey).toBe(
      'agent:ops:work',
    );
  });

  it('session.scope global → global', () => {
    expect(resolveHeartbeatSession({ agentId: 'ops', forcedSessionKey: 'agent:ops:x', session: { scope: 'global' } })).toEqual({
      sessionKey: 'global',
      queueKey: 'agent:ops:global',
      agentId: 'ops',
      selectedBy: 'main',
    });
  });

  it('applies the dmScope=main rule to forced event wakes only', () => {
    const base = { agentId: 'main', forcedSessionKey: DM, allowFrom: ['12345'] };
    expect(resolveHeartbeatSession({ ...base, source: 'exec' }).sessionKey).toBe('agent:main:main');
    expect(resolveHeartbeatSession({ ...base, source: 'manual' }).sessionKey).toBe(DM);
    expect(resolveHeartbeatSession({ ...base, allowFrom: ['1', '2'], source: 'exec' }).sessionKey).toBe(DM);
  });

  it('cron-run keys resolve to main with rerouteToMain: any-session, and stay by default', () => {
    const forcedSessionKey = 'agent:ops:cron:j:run:r';
    expect(resolveHeartbeatSession({ agentId: 'ops', forcedSessionKey, session: { rerouteToMain: 'any-session' } }).sessionKey).toBe(
      'agent:ops:main',
    );
    expect(resolveHeartbeatSession({ agentId: 'ops', forcedSessionKey }).sessionKey).toBe(forcedSessionKey);
  });

  it('keeps a forced sub-agent key (its events are queued there)', () => {
    expect(resolveHeartbeatSession({ agentId: 'ops', forcedSessionKey: 'agent:ops:subagent:w1', source: 'exec' }).sessionKey).toBe(
      'agent:ops:subagent:w1',
    );
  });

  it('refuses a forced key of another agent instead of re-homing it', () => {
    expect(() => resolveHeartbeatSession({ agentId: 'ops', forcedSessionKey: 'agent:other:main' })).toThrow(HeartbeatRouterError);
    try {
      resolveHeartbeatSession({ agentId: 'ops', forcedSessionKey: 'agent:other:secret' });
    } catch (error) {
      expect(HeartbeatRouterError.isInstance(error) && error.code).toBe('AGENT_MISMATCH');
    }
  });

  it('a configured session of another agent or a sub-agent falls back to main', () => {
    expect(resolveHeartbeatSession({ agentId: 'ops', heartbeatSession: 'agent:other:room' }).sessionKey).toBe('agent:ops:main');
    expect(resolveHeartbeatSession({ agentId: 'ops', heartbeatSession: 'agent:ops:subagent:x' }).sessionKey).toBe('agent:ops:main');
  });
});
