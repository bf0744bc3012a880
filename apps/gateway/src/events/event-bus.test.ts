import { describe, expect, it } from 'vitest';
import { createEventBus, type GatewayEvent } from './event-bus.js';

const note = (sessionKey: string, text: string): GatewayEvent => ({ type: 'system.event', sessionKey, text });
const texts = (events: ReadonlyArray<{ event: GatewayEvent }>) =>
  events.map(({ event }) => (event.type === 'system.event' ? event.text : ''));

describe('createEventBus', () => {
  it('stamps every event with `<bootId>-<n>` (n strictly increasing) and the clock time, and delivers it stamped', () => {
    let clock = 5_000;
    const bus = createEventBus({ bootId: 'boot1', now: () => clock });
    const seen: string[] = [];
    bus.subscribe((stamped) => seen.push(`${stamped.eventId}@${stamped.ts}`));
    expect(bus.latestEventId()).toBe('boot1-0');
    bus.publish(note('agent:main:a', 'one'));
    clock += 7;
    const second = bus.publish(note('agent:main:b', 'two'));
    expect(second).toMatchObject({ eventId: 'boot1-2', sequence: 2, ts: 5_007 });
    expect(seen).toEqual(['boot1-1@5000', 'boot1-2@5007']);
    expect(bus.latestEventId()).toBe('boot1-2');
  });

  it('a default boot id differs between two buses (two gateway processes)', () => {
    expect(createEventBus().bootId).not.toBe(createEventBus().bootId);
  });

  it('replays only the asked sessions, only after the given id', () => {
    const bus = createEventBus({ bootId: 'b' });
    bus.publish(note('agent:main:a', 'a1'));
    bus.publish(note('agent:main:b', 'b1'));
    bus.publish(note('agent:main:a', 'a2'));
    bus.publish(note('agent:main:b', 'b2'));
    const replay = bus.replayAfter('b-1', new Set(['agent:main:a']));
    expect(replay.ok && texts(replay.events)).toEqual(['a2']);
    const both = bus.replayAfter('b-0', new Set(['agent:main:a', 'agent:main:b']));
    expect(both.ok && texts(both.events)).toEqual(['a1', 'b1', 'a2', 'b2']);
    const latest = bus.replayAfter('b-4', new Set(['agent:main:a']));
    expect(latest).toEqual({ ok: true, events: [] });
  });

  it('an id of another boot, a malformed one, or one ahead of the stream is unknown', () => {
    const bus = createEventBus({ bootId: 'b' });
    bus.publish(note('agent:main:a', 'a1'));
    const keys = new Set(['agent:main:a']);
    for (const id of ['other-1', '1', 'b-', 'b-x', 'b-2', '', 'b-1-1'])
      expect(bus.replayAfter(id, keys), id).toEqual({ ok: false, reason: 'unknown' });
  });

  it('the global count cap drops the oldest; a resume point before the drop is expired, one at it replays the rest', () => {
    const bus = createEventBus({ bootId: 'b', maxEvents: 3 });
    for (let index = 1; index <= 5; index += 1) bus.publish(note('agent:main:a', `a${index}`));
    const keys = new Set(['agent:main:a']);
    expect(bus.replayAfter('b-1', keys)).toEqual({ ok: false, reason: 'expired' });
    const replay = bus.replayAfter('b-2', keys);
    expect(replay.ok && texts(replay.events)).toEqual(['a3', 'a4', 'a5']);
    expect(bus.stats()).toMatchObject({ events: 3 });
  });

  it('the per-session cap keeps a noisy session from pushing a quiet one out, and expires only the noisy session', () => {
    const bus = createEventBus({ bootId: 'b', maxEvents: 4, maxEventsPerSession: 2 });
    bus.publish(note('agent:main:quiet', 'q1'));
    for (let index = 2; index <= 9; index += 1) bus.publish(note('agent:main:noisy', `n${index}`));
    const quiet = bus.replayAfter('b-0', new Set(['agent:main:quiet']));
    expect(quiet.ok && texts(quiet.events)).toEqual(['q1']);
    expect(bus.replayAfter('b-0', new Set(['agent:main:noisy']))).toEqual({ ok: false, reason: 'expired' });
    expect(bus.replayAfter('b-0', new Set(['agent:main:quiet', 'agent:main:noisy']))).toEqual({ ok: false, reason: 'expired' });
    const noisy = bus.replayAfter('b-7', new Set(['agent:main:noisy']));
    expect(noisy.ok && texts(noisy.events)).toEqual(['n8', 'n9']);
    expect(bus.stats()).toMatchObject({ events: 3, sessions: 2 });
  });

  it('events older than the age cap leave the buffer', () => {
    let clock = 0;
    const bus = createEventBus({ bootId: 'b', maxAgeMs: 1_000, now: () => clock });
    bus.publish(note('agent:main:a', 'old'));
    clock = 600;
    bus.publish(note('agent:main:a', 'new'));
    const keys = new Set(['agent:main:a']);
    clock = 1_200;
    expect(bus.replayAfter('b-0', keys)).toEqual({ ok: false, reason: 'expired' });
    const replay = bus.replayAfter('b-1', keys);
    expect(replay.ok && texts(replay.events)).toEqual(['new']);
    clock = 1_601;
    expect(bus.replayAfter('b-1', keys)).toEqual({ ok: false, reason: 'expired' });
    expect(bus.replayAfter('b-2', keys)).toEqual({ ok: true, events: [] });
    expect(bus.stats()).toMatchObject({ events: 0, sessions: 0 });
  });

  it('stays bounded over many sessions and events', () => {
    const bus = createEventBus({ bootId: 'b', maxEvents: 50, maxEventsPerSession: 5 });
    for (let index = 0; index < 20_000; index += 1) bus.publish(note(`agent:main:s${index % 97}`, `e${index}`));
    const stats = bus.stats();
    expect(stats.events).toBeLessThanOrEqual(50);
    expect(stats.sessions).toBeLessThanOrEqual(50);
    expect(stats.marks).toBeLessThanOrEqual(10);
  });

  it('a throwing listener does not stop the others', () => {
    const bus = createEventBus();
    const seen: string[] = [];
    bus.subscribe(() => {
      throw new Error('broken subscriber');
    });
    bus.subscribe((stamped) => seen.push(stamped.eventId));
    bus.publish(note('agent:main:a', 'x'));
    expect(seen).toHaveLength(1);
  });
});
