import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createSystemClock, randomIdSource } from '../clock.js';
import { createMetrics } from '../metrics.js';
import type { GatewayStore } from '../store/gateway-store.js';
import { createSqliteGatewayStore } from '../store/sqlite/sqlite-store.js';
import { createSystemEvents } from './system-events.js';

const KEY = 'agent:ops:main';
let store: GatewayStore | undefined;
let dir: string | undefined;
afterEach(() => {
  store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  store = undefined;
  dir = undefined;
});

async function open() {
  dir = mkdtempSync(join(tmpdir(), 'pincer-system-events-'));
  store = createSqliteGatewayStore(join(dir, 'pincer.db'));
  return createSystemEvents({
    store,
    clock: createSystemClock(),
    newId: randomIdSource,
    metrics: createMetrics(),
    logger: pino({ level: 'silent' }),
    timeZone: 'UTC',
  });
}

describe('system-event fences', () => {
  it('while fenced, peek shows only the fenced events; later ones appear once released', async () => {
    const events = await open();
    events.queue.enqueue({ sessionKey: KEY, text: 'first' });
    const fenced = events.peek(KEY).map((event) => event.id);
    const release = events.fence(KEY, fenced);
    events.queue.enqueue({ sessionKey: KEY, text: 'queued meanwhile' });
    expect(events.peek(KEY).map((event) => event.text)).toEqual(['first']);
    release();
    release();
    expect(events.peek(KEY).map((event) => event.text)).toEqual(['first', 'queued meanwhile']);
  });

  it('two fences show the events in both; an empty fence shows none', async () => {
    const events = await open();
    events.queue.enqueue({ sessionKey: KEY, text: 'one' });
    events.queue.enqueue({ sessionKey: KEY, text: 'two' });
    const [one, two] = events.peek(KEY).map((event) => event.id);
    const outer = events.fence(KEY, [one!, two!]);
    const inner = events.fence(KEY, [two!]);
    expect(events.peek(KEY).map((event) => event.text)).toEqual(['two']);
    inner();
    expect(events.peek(KEY).map((event) => event.text)).toEqual(['one', 'two']);
    outer();
    const empty = events.fence(KEY, []);
    expect(events.peek(KEY)).toEqual([]);
    empty();
    expect(events.peek(KEY)).toHaveLength(2);
  });
});
