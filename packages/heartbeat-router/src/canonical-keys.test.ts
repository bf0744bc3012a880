import { SessionKeyError, canonicalizeSessionKey } from '@pincer/session-key';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createCronScheduler, createInMemoryCronStore } from './cron-scheduler.js';
import { dispatchSystemEvent } from './dispatch.js';
import { resolveEventSession, resolveHeartbeatSession } from './routing.js';
import { createSystemEventQueue } from './system-event-queue.js';
import { createWakeScheduler, type WakeRun } from './wake-scheduler.js';

// Issue 14 item 1: the gateway computes a session's key once (`canonicalizeSessionKey`) and
// every component compares that string. These tests play the gateway: for any spelling a client
// may send, the event either lands in the canonical session the gateway computed for that
// spelling, or is refused — it never reaches a different session.

const VICTIM = 'agent:main:victim';
const SESSIONS = [VICTIM, 'agent:main:other', 'agent:ops:victim', 'agent:main:signal:group:AbC', 'agent:main:signal:group:abc'];

/** Random case flips, padding and agent-id noise: spellings of `key` a client might send. */
const spellingOf = (key: string) =>
  fc
    .tuple(fc.array(fc.boolean(), { minLength: 1, maxLength: 24 }), fc.constantFrom('', ' ', '\t'), fc.constantFrom('', '!', ' '))
    .map(([flips, padding, noise]) => {
      const [, agentId, ...rest] = key.split(':');
      const flipped = `agent:${agentId}${noise}:${rest.join(':')}`
        .split('')
        .map((char, index) => (flips[index % flips.length] && !key.includes('signal:group:') ? char.toUpperCase() : char))
        .join('');
      return `${padding}${flipped}${padding}`;
    });

function refusedAsNonCanonical(fn: () => unknown): boolean {
  try {
    fn();
  } catch (error) {
    return SessionKeyError.isInstance(error) && error.code === 'NON_CANONICAL_SESSION_KEY';
  }
  return false;
}

describe('case variants never reach another canonical session', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('queue + routing: an event keyed by any spelling lands in the gateway’s key for it, or is refused', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SESSIONS).chain((key) => spellingOf(key).map((spelling) => ({ key, spelling }))),
        ({ key, spelling }) => {
          const queue = createSystemEventQueue();
          const gatewayKey = canonicalizeSessionKey(spelling);
          expect(gatewayKey).toBe(key);
          if (spelling === gatewayKey) {
            dispatchSystemEvent({ queue }, { sessionKey: spelling, text: 'Exec completed (x, code 0)', source: 'exec' });
            expect(queue.sessionKeys()).toEqual([gatewayKey]);
          } else {
            expect(refusedAsNonCanonical(() => dispatchSystemEvent({ queue }, { sessionKey: spelling, text: 'x', source: 'exec' }))).toBe(
              true,
            );
            expect(queue.sessionKeys()).toEqual([]);
            expect(refusedAsNonCanonical(() => queue.drain(spelling))).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('an alias cannot drain, peek or remove the victim’s events', () => {
    const queue = createSystemEventQueue();
    const queued = queue.enqueue({ sessionKey: VICTIM, text: 'secret output', contextKey: 'exec:1' });
    for (const alias of ['agent:main:VICTIM', 'agent:Main!:victim', 'AGENT:main:victim', ' agent:main:victim']) {
      expect(
        refusedAsNonCanonical(() => queue.drain(alias)),
        alias,
      ).toBe(true);
      expect(
        refusedAsNonCanonical(() => queue.peek(alias)),
        alias,
      ).toBe(true);
      expect(
        refusedAsNonCanonical(() => queue.removeByContextKey('exec:1', alias)),
        alias,
      ).toBe(true);
      expect(
        refusedAsNonCanonical(() => queue.remove(alias, queued.accepted ? [queued.event.id] : [])),
        alias,
      ).toBe(true);
    }
    expect(queue.peek(VICTIM).map((event) => event.text)).toEqual(['secret output']);
  });

  it('the seed-001 reroute is computed from the canonical key only', () => {
    const dm = 'agent:main:telegram:default:direct:12345';
    expect(resolveEventSession({ sessionKey: dm, source: 'exec', allowFrom: ['12345'] }).sessionKey).toBe('agent:main:main');
    expect(
      refusedAsNonCanonical(() =>
        resolveEventSession({ sessionKey: 'agent:main:Telegram:default:direct:12345', source: 'exec', allowFrom: ['12345'] }),
      ),
    ).toBe(true);
  });

  it('wake scheduler: an alias wake is refused and never runs the victim’s heartbeat', async () => {
    const runs: WakeRun[] = [];
    const scheduler = createWakeScheduler({ runHeartbeat: (run) => void runs.push(run) });
    for (const alias of ['agent:main:VICTIM', 'agent:Main!:victim', 'GLOBAL']) {
      expect(() => scheduler.requestHeartbeatNow({ sessionKey: alias, agentId: 'main', reason: 'exec-event' }), alias).toThrow();
    }
    await vi.advanceTimersByTimeAsync(5_000);
    expect(runs).toEqual([]);
    expect(scheduler.isPending(VICTIM)).toBe(false);
    scheduler.dispose();
  });

  it('heartbeat session: a forced alias is refused, a configured one is canonicalized', () => {
    expect(refusedAsNonCanonical(() => resolveHeartbeatSession({ agentId: 'main', forcedSessionKey: 'agent:main:VICTIM' }))).toBe(true);
    expect(resolveHeartbeatSession({ agentId: 'main', heartbeatSession: 'Victim' }).sessionKey).toBe(VICTIM);
  });

  it('cron: a job cannot target an alias of a session; a bare target is built canonical', async () => {
    const cron = createCronScheduler({ store: createInMemoryCronStore(), onFire: () => undefined });
    await cron.start();
    const base = {
      agentId: 'main',
      schedule: { kind: 'every' as const, every: '1m' },
      payload: { kind: 'systemEvent' as const, text: 'x' },
    };
    const alias = await cron.add({ ...base, target: 'session:agent:main:VICTIM' }).catch((error: unknown) => error);
    expect(SessionKeyError.isInstance(alias) && alias.code).toBe('NON_CANONICAL_SESSION_KEY');
    expect((await cron.add({ ...base, target: 'session:VICTIM' })).target).toBe(`session:${VICTIM}`);
    cron.stop();
  });
});
