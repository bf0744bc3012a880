import { SessionKeyError } from '@pincer/session-key';
import { describe, expect, it } from 'vitest';
import { HeartbeatRouterError } from './errors.js';
import { createInMemorySystemEventStore, createSystemEventQueue, type SystemEvent, type SystemEventStore } from './system-event-queue.js';

function fixedClock(start = 1_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

function counterIds() {
  let n = 0;
  return () => `ev-${++n}`;
}

const A = 'agent:ops:telegram:default:direct:111';
const B = 'agent:ops:telegram:default:direct:222';

describe('createSystemEventQueue', () => {
  it('queues events with id, timestamp, text and contextKey', () => {
    const clock = fixedClock(5_000);
    const q = createSystemEventQueue({ clock, idGenerator: counterIds() });
    const r = q.enqueue({ sessionKey: A, text: '  Exec completed (abc, code 0)  ', contextKey: 'Exec:ABC' });
    expect(r).toMatchObject({ accepted: true, dropped: [] });
    expect(q.peek(A)).toEqual([{ id: 'ev-1', sessionKey: A, text: 'Exec completed (abc, code 0)', ts: 5_000, contextKey: 'exec:abc' }]);
  });

  it('keeps opaque metadata on the event, through the store and a restore; without it the field is absent', async () => {
    const store = createInMemorySystemEventStore();
    const q = createSystemEventQueue({ store, idGenerator: counterIds() });
    q.enqueue({ sessionKey: A, text: 'with', metadata: { ceiling: { credentialId: 'tk_1', capabilities: ['cron:write'] } } });
    q.enqueue({ sessionKey: A, text: 'without' });
    expect(q.peek(A).map((event) => event.metadata)).toEqual([
      { ceiling: { credentialId: 'tk_1', capabilities: ['cron:write'] } },
      undefined,
    ]);
    expect('metadata' in q.peek(A)[1]!).toBe(false);
    const restored = createSystemEventQueue({ store });
    expect(await restored.restore()).toBe(2);
    expect(restored.peek(A)[0]?.metadata).toEqual({ ceiling: { credentialId: 'tk_1', capabilities: ['cron:write'] } });
    expect(() => q.enqueue({ sessionKey: A, text: 'bad', metadata: ['not', 'an', 'object'] as never })).toThrow(HeartbeatRouterError);
  });

  it('rejects keys that are not agent-qualified with a SessionKeyError', () => {
    const q = createSystemEventQueue();
    for (const key of ['main', 'global', 'agent:ops', 'agent::x', '']) {
      let caught: unknown;
      try {
        q.enqueue({ sessionKey: key, text: 'x' });
      } catch (error) {
        caught = error;
      }
      expect(SessionKeyError.isInstance(caught), key).toBe(true);
    }
    expect(q.stats().events).toBe(0);
  });

  // Behaviour change (issue 14 item 1): keys are compared as given and must be canonical; a
  // case variant used to be folded into the canonical queue, now it is refused.
  it("refuses a non-canonical key instead of folding it into another spelling's queue", () => {
    const q = createSystemEventQueue();
    q.enqueue({ sessionKey: 'agent:ops:main', text: 'one' });
    for (const alias of ['AGENT:Ops:Main', 'agent:ops:MAIN', 'agent:Ops!:main', ' agent:ops:main']) {
      expect(() => q.enqueue({ sessionKey: alias, text: 'forged' }), alias).toThrow(/not canonical/);
      expect(() => q.peek(alias), alias).toThrow(/not canonical/);
    }
    expect(q.peek('agent:ops:main').map((e) => e.text)).toEqual(['one']);
  });

  it('ignores blank text', () => {
    const q = createSystemEventQueue();
    expect(q.enqueue({ sessionKey: A, text: '   ' })).toEqual({ accepted: false, reason: 'empty' });
    expect(q.has(A)).toBe(false);
  });

  it('keeps at most 20 events per session, dropping and counting the oldest', () => {
    const q = createSystemEventQueue({ idGenerator: counterIds() });
    const dropped: SystemEvent[] = [];
    for (let i = 1; i <= 25; i++) {
      const r = q.enqueue({ sessionKey: A, text: `event ${i}` });
      if (r.accepted) dropped.push(...r.dropped);
    }
    const texts = q.peek(A).map((e) => e.text);
    expect(texts).toHaveLength(20);
    expect(texts[0]).toBe('event 6');
    expect(texts[19]).toBe('event 25');
    expect(dropped.map((e) => e.text)).toEqual(['event 1', 'event 2', 'event 3', 'event 4', 'event 5']);
    expect(q.stats()).toMatchObject({ events: 20, droppedByCap: 5 });
  });

  it('honours a custom cap', () => {
    const q = createSystemEventQueue({ maxPerSession: 2 });
    for (const t of ['a', 'b', 'c']) q.enqueue({ sessionKey: A, text: t });
    expect(q.peek(A).map((e) => e.text)).toEqual(['b', 'c']);
  });

  describe('dedupe', () => {
    it('without a contextKey, rejects only a repeat of the last event', () => {
      const q = createSystemEventQueue();
      expect(q.enqueue({ sessionKey: A, text: 'ping' }).accepted).toBe(true);
      expect(q.enqueue({ sessionKey: A, text: 'ping' })).toEqual({ accepted: false, reason: 'duplicate' });
      expect(q.enqueue({ sessionKey: A, text: 'pong' }).accepted).toBe(true);
      expect(q.enqueue({ sessionKey: A, text: 'ping' }).accepted).toBe(true);
      expect(q.peek(A).map((e) => e.text)).toEqual(['ping', 'pong', 'ping']);
      expect(q.stats().duplicates).toBe(1);
    });

    it('with a contextKey, rejects a repeat of any queued event with that contextKey', () => {
      const q = createSystemEventQueue();
      q.enqueue({ sessionKey: A, text: 'state: up', contextKey: 'node' });
      q.enqueue({ sessionKey: A, text: 'other' });
      expect(q.enqueue({ sessionKey: A, text: 'state: up', contextKey: 'NODE' })).toEqual({ accepted: false, reason: 'duplicate' });
      // Same text, different contextKey: accepted.
      expect(q.enqueue({ sessionKey: A, text: 'state: up', contextKey: 'other-node' }).accepted).toBe(true);
      // Same text without contextKey after an event with one: the last event has a contextKey → accepted.
      expect(q.enqueue({ sessionKey: A, text: 'state: up' }).accepted).toBe(true);
    });

    it('dedupe never looks at another session', () => {
      const q = createSystemEventQueue();
      q.enqueue({ sessionKey: A, text: 'same', contextKey: 'k' });
      expect(q.enqueue({ sessionKey: B, text: 'same', contextKey: 'k' }).accepted).toBe(true);
    });

    it('replace swaps every event with the same contextKey', () => {
      const q = createSystemEventQueue({ idGenerator: counterIds() });
      q.enqueue({ sessionKey: A, text: 'v1', contextKey: 'model' });
      q.enqueue({ sessionKey: A, text: 'keep' });
      q.enqueue({ sessionKey: A, text: 'v2', contextKey: 'model' });
      const r = q.enqueue({ sessionKey: A, text: 'v3', contextKey: 'model', replace: true });
      expect(r.accepted && r.dropped.map((e) => e.text)).toEqual(['v1', 'v2']);
      expect(q.peek(A).map((e) => e.text)).toEqual(['keep', 'v3']);
    });

    it('replace with the identical single event is a no-op', () => {
      const q = createSystemEventQueue({ idGenerator: counterIds() });
      q.enqueue({ sessionKey: A, text: 'v1', contextKey: 'model' });
      expect(q.enqueue({ sessionKey: A, text: 'v1', contextKey: 'model', replace: true })).toEqual({
        accepted: false,
        reason: 'duplicate',
      });
      expect(q.peek(A).map((e) => e.id)).toEqual(['ev-1']);
    });

    it('replace without a contextKey is an input error', () => {
      const q = createSystemEventQueue();
      expect(() => q.enqueue({ sessionKey: A, text: 'x', replace: true })).toThrow(HeartbeatRouterError);
    });
  });

  it('peek does not mutate; drain empties; remove takes only the given ids', () => {
    const q = createSystemEventQueue({ idGenerator: counterIds() });
    q.enqueue({ sessionKey: A, text: 'a' });
    q.enqueue({ sessionKey: A, text: 'b' });
    q.enqueue({ sessionKey: A, text: 'c' });
    const peeked = q.peek(A);
    peeked.pop();
    expect(q.peek(A)).toHaveLength(3);
    expect(q.remove(A, ['ev-2', 'nope'])).toBe(1);
    expect(q.drain(A).map((e) => e.text)).toEqual(['a', 'c']);
    expect(q.drain(A)).toEqual([]);
    expect(q.has(A)).toBe(false);
    expect(q.stats()).toMatchObject({ sessions: 0, events: 0 });
  });

  it('removeByContextKey works on one session or all of them', () => {
    const q = createSystemEventQueue();
    q.enqueue({ sessionKey: A, text: 'a', contextKey: 'cron:j1' });
    q.enqueue({ sessionKey: B, text: 'b', contextKey: 'cron:j1' });
    q.enqueue({ sessionKey: B, text: 'c', contextKey: 'cron:j2' });
    expect(q.removeByContextKey('cron:j1', A)).toBe(1);
    expect(q.peek(B)).toHaveLength(2);
    expect(q.removeByContextKey('CRON:J1')).toBe(1);
    expect(q.removeByContextKey('cron:none')).toBe(0);
    expect(q.peek(B).map((e) => e.text)).toEqual(['c']);
  });

  describe('isolation', () => {
    it('an event enqueued for one session is never returned by peek/drain/remove of another', () => {
      const q = createSystemEventQueue({ idGenerator: counterIds() });
      const sessions = [
        A,
        B,
        'agent:ops:main',
        'agent:other:telegram:default:direct:111',
        'agent:ops:subagent:worker',
        'agent:ops:telegram:default:direct:111:thread:9',
      ];
      q.enqueue({ sessionKey: A, text: 'secret for A', contextKey: 'exec:1' });
      for (const other of sessions.slice(1)) {
        expect(q.peek(other)).toEqual([]);
        expect(q.has(other)).toBe(false);
        expect(q.remove(other, ['ev-1'])).toBe(0);
        expect(q.removeByContextKey('exec:1', other)).toBe(0);
        expect(q.drain(other)).toEqual([]);
      }
      // Unknown session answers exactly like an empty one ("not found").
      expect(q.peek('agent:nobody:main')).toEqual(q.peek('agent:ops:never-used'));
      expect(q.drain(A).map((e) => e.text)).toEqual(['secret for A']);
    });
  });

  describe('durable store', () => {
    it('a restart loses no queued event', async () => {
      const store = createInMemorySystemEventStore();
      const clock = fixedClock();
      const q1 = createSystemEventQueue({ store, clock, idGenerator: counterIds() });
      q1.enqueue({ sessionKey: A, text: 'one' });
      clock.advance(1);
      q1.enqueue({ sessionKey: A, text: 'two' });
      q1.enqueue({ sessionKey: B, text: 'other' });
      q1.drain(B);
      await q1.flush();

      const q2 = createSystemEventQueue({ store, clock });
      expect(q2.peek(A)).toEqual([]);
      expect(await q2.restore()).toBe(2);
      expect(q2.peek(A).map((e) => e.text)).toEqual(['one', 'two']);
      expect(q2.peek(B)).toEqual([]);
      // Consuming in the new instance is persisted too.
      q2.remove(A, [q2.peek(A)[0]!.id]);
      expect(store.size()).toBe(1);
    });

    it('cap drops and replacements are removed from the store', () => {
      const store = createInMemorySystemEventStore();
      const q = createSystemEventQueue({ store, maxPerSession: 3 });
      for (let i = 0; i < 10; i++) q.enqueue({ sessionKey: A, text: `e${i}` });
      q.enqueue({ sessionKey: A, text: 'x', contextKey: 'k' });
      q.enqueue({ sessionKey: A, text: 'y', contextKey: 'k', replace: true });
      expect(store.size()).toBe(3);
    });

    it('a failing synchronous store leaves the queue untouched', () => {
      const store: SystemEventStore = {
        load: () => [],
        append: () => {
          throw new Error('disk full');
        },
        remove: () => undefined,
      };
      const q = createSystemEventQueue({ store });
      expect(() => q.enqueue({ sessionKey: A, text: 'x' })).toThrow('disk full');
      expect(q.has(A)).toBe(false);
    });

    it('async store failures surface through flush()', async () => {
      const store: SystemEventStore = {
        load: async () => [],
        append: async () => {
          throw new Error('async boom');
        },
        remove: async () => undefined,
      };
      const q = createSystemEventQueue({ store });
      q.enqueue({ sessionKey: A, text: 'x' });
      await expect(q.flush()).rejects.toThrow('async boom');
      await expect(q.flush()).resolves.toBeUndefined();
    });

    it('restore skips rows whose key is not agent-qualified and re-applies the cap', async () => {
      const rows: SystemEvent[] = [
        { id: '1', sessionKey: 'main', text: 'orphan', ts: 1, contextKey: null },
        ...Array.from({ length: 5 }, (_, i) => ({ id: `a${i}`, sessionKey: A, text: `t${i}`, ts: 10 + i, contextKey: null })),
      ];
      const removed: string[] = [];
      const q = createSystemEventQueue({
        maxPerSession: 3,
        store: { load: () => rows, append: () => undefined, remove: (_k, ids) => void removed.push(...ids) },
      });
      expect(await q.restore()).toBe(3);
      expect(q.peek(A).map((e) => e.text)).toEqual(['t2', 't3', 't4']);
      expect(removed).toEqual(['a0', 'a1']);
    });
  });
});
