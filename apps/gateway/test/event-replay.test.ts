/**
 * SSE resume (issue 17 item 4): ids and timestamps on every event, replay after `Last-Event-ID`
 * (header or `?lastEventId=`) without duplicates or gaps, `event: reset` for ids outside the
 * window, and a scoped token's replay never carrying another session's events. Real gateway on
 * loopback, real SQLite, the scripted model.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway } from '../src/index.js';
import { FAST, startTestGateway, type TestGateway } from './helpers.js';

const A = 'agent:main:alpha';
const B = 'agent:main:beta';

interface Frame {
  id?: string;
  event?: string;
  data: Record<string, unknown>;
}

/** An open SSE stream: frames parsed as they arrive. */
interface Stream {
  status: number;
  frames: Frame[];
  /** Resolves once `predicate` holds for the frames received (bounded by the test timeout). */
  waitFor(predicate: (frames: Frame[]) => boolean, what: string): Promise<Frame[]>;
  close(): void;
}

let t: TestGateway | undefined;
const opened: Stream[] = [];
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const stream of opened.splice(0)) stream.close();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await t?.close();
  t = undefined;
});

function parseFrame(block: string): Frame | undefined {
  const frame: Frame = { data: {} };
  let data = '';
  for (const line of block.split('\n')) {
    if (line.startsWith(':') || line === '') continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'id') frame.id = value;
    else if (field === 'event') frame.event = value;
    else if (field === 'data') data += value;
  }
  if (data === '') return undefined;
  frame.data = JSON.parse(data) as Record<string, unknown>;
  return frame;
}

async function openStream(
  url: string,
  token: string,
  keys: ReadonlyArray<string>,
  resume?: { header?: string | undefined; query?: string | undefined },
): Promise<Stream> {
  const controller = new AbortController();
  const params = new URLSearchParams();
  for (const key of keys) params.append('sessionKey', key);
  if (resume?.query !== undefined) params.set('lastEventId', resume.query);
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (resume?.header !== undefined) headers['last-event-id'] = resume.header;
  const response = await fetch(`${url}/v1/events?${params}`, { headers, signal: controller.signal });
  const frames: Frame[] = [];
  const waiters = new Set<() => void>();
  let ended = false;
  if (response.status === 200 && response.body) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let pending = '';
    void (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          pending += decoder.decode(value, { stream: true });
          let end = pending.indexOf('\n\n');
          while (end >= 0) {
            const frame = parseFrame(pending.slice(0, end));
            pending = pending.slice(end + 2);
            if (frame) frames.push(frame);
            end = pending.indexOf('\n\n');
          }
          for (const wake of waiters) wake();
        }
      } catch {
        // aborted
      } finally {
        ended = true;
        for (const wake of waiters) wake();
      }
    })();
  } else {
    await response.text();
  }
  const stream: Stream = {
    status: response.status,
    frames,
    async waitFor(predicate, what) {
      while (!predicate(frames)) {
        if (ended) throw new Error(`stream ended before ${what}: ${JSON.stringify(frames)}`);
        await new Promise<void>((resolve) => {
          const wake = () => {
            waiters.delete(wake);
            resolve();
          };
          waiters.add(wake);
        });
      }
      return frames;
    },
    close: () => controller.abort(),
  };
  opened.push(stream);
  return stream;
}

const finishedCount = (frames: Frame[]) => frames.filter((frame) => frame.event === 'run.finished').length;
const sequenceOf = (id: string | undefined) => Number(id?.split('-')[1]);

async function mint(gateway: TestGateway, body: Record<string, unknown>): Promise<string> {
  const created = await gateway.api<{ token: string }>('POST', '/v1/tokens', body);
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.token;
}

describe('SSE event ids and timestamps', () => {
  it('every event has `id: <bootId>-<n>` (n increasing) and `eventId` + `ts` in its data', async () => {
    t = await startTestGateway(FAST);
    const stream = await openStream(t.gw.url, t.gw.token, [A]);
    const before = Date.now();
    await t.turn({ sessionKey: A, message: 'hello' });
    const frames = await stream.waitFor((all) => finishedCount(all) === 1, 'run.finished');
    expect(frames.map((frame) => frame.event)).toEqual(['run.queued', 'run.started', 'transcript', 'run.finished']);
    const boot = frames[0]?.id?.split('-')[0];
    expect(boot).toMatch(/^[0-9a-f]{8}$/);
    for (const frame of frames) {
      expect(frame.id).toMatch(new RegExp(`^${boot}-\\d+$`));
      expect(frame.data.eventId).toBe(frame.id);
      expect(frame.data.ts).toBeGreaterThanOrEqual(before - 1);
      expect(frame.data.sessionKey).toBe(A);
    }
    const sequences = frames.map((frame) => sequenceOf(frame.id));
    expect(sequences).toEqual([...sequences].sort((left, right) => left - right));
    expect(new Set(sequences).size).toBe(sequences.length);
  });
});

describe('resuming with Last-Event-ID', () => {
  it('replays what was missed, then continues live: the two streams together equal one that never dropped', async () => {
    t = await startTestGateway(FAST);
    const gateway = t;
    const reference = await openStream(gateway.gw.url, gateway.gw.token, [A]);
    const first = await openStream(gateway.gw.url, gateway.gw.token, [A]);
    await gateway.turn({ sessionKey: A, message: 'one' });
    await first.waitFor((all) => finishedCount(all) === 1, 'the first run');
    first.close();
    const lastSeen = first.frames.at(-1)?.id;
    expect(lastSeen).toBeDefined();
    // Missed while disconnected (and events of another session in between).
    await gateway.turn({ sessionKey: A, message: 'two' });
    await gateway.turn({ sessionKey: B, message: 'elsewhere' });
    await gateway.turn({ sessionKey: A, message: 'three' });
    const resumed = await openStream(gateway.gw.url, gateway.gw.token, [A], { header: lastSeen });
    expect(resumed.status).toBe(200);
    await resumed.waitFor((all) => finishedCount(all) === 2, 'the replay');
    // Live after the replay.
    await gateway.turn({ sessionKey: A, message: 'four' });
    await resumed.waitFor((all) => finishedCount(all) === 3, 'the live run');
    await reference.waitFor((all) => finishedCount(all) === 4, 'the reference stream');
    const ids = [...first.frames, ...resumed.frames].map((frame) => frame.id);
    expect(ids).toEqual(reference.frames.map((frame) => frame.id));
    expect(new Set(ids).size).toBe(ids.length);
    expect(resumed.frames.some((frame) => frame.event === 'reset')).toBe(false);
    const replies = resumed.frames.filter((frame) => frame.event === 'transcript').map((frame) => frame.data.text);
    expect(replies).toEqual(['[scripted] echo: two', '[scripted] echo: three', '[scripted] echo: four']);
  });

  it('`?lastEventId=` resumes like the header, and the header wins over it', async () => {
    t = await startTestGateway(FAST);
    const first = await openStream(t.gw.url, t.gw.token, [A]);
    await t.turn({ sessionKey: A, message: 'one' });
    await t.turn({ sessionKey: A, message: 'two' });
    const frames = [...(await first.waitFor((all) => finishedCount(all) === 2, 'two runs'))];
    const afterFirst = frames.find((frame) => frame.event === 'run.finished')?.id;
    const byQuery = await openStream(t.gw.url, t.gw.token, [A], { query: afterFirst });
    const replayed = await byQuery.waitFor((all) => finishedCount(all) === 1, 'the replay');
    expect(replayed.map((frame) => frame.id)).toEqual(frames.slice(4).map((frame) => frame.id));
    const both = await openStream(t.gw.url, t.gw.token, [A], { header: frames.at(-1)?.id, query: afterFirst });
    await t.turn({ sessionKey: A, message: 'three' });
    const live = await both.waitFor((all) => finishedCount(all) === 1, 'the live run');
    expect(live.map((frame) => frame.event)).toEqual(['run.queued', 'run.started', 'transcript', 'run.finished']);
    expect(sequenceOf(live[0]?.id)).toBeGreaterThan(sequenceOf(frames.at(-1)?.id));
  });

  it('an unknown id gets `event: reset` (reason unknown) and then live events', async () => {
    t = await startTestGateway(FAST);
    const stream = await openStream(t.gw.url, t.gw.token, [A], { header: 'deadbeef-3' });
    const [reset] = await stream.waitFor((all) => all.length >= 1, 'the reset');
    expect(reset).toMatchObject({ event: 'reset', data: { reason: 'unknown' } });
    expect(reset?.id).toBe(reset?.data.eventId);
    await t.turn({ sessionKey: A, message: 'after reset' });
    const frames = await stream.waitFor((all) => finishedCount(all) === 1, 'the live run');
    expect(frames.map((frame) => frame.event)).toEqual(['reset', 'run.queued', 'run.started', 'transcript', 'run.finished']);
    // Resuming from the reset's id replays exactly what followed it.
    const again = await openStream(t.gw.url, t.gw.token, [A], { header: reset?.id });
    const replayed = await again.waitFor((all) => finishedCount(all) === 1, 'the replay after reset');
    expect(replayed.map((frame) => frame.id)).toEqual(frames.slice(1).map((frame) => frame.id));
  });

  it('an id from before a gateway restart gets `reset` from the new process', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pincer-gw-restart-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const start = () => startGateway({ port: 0, stateDir: dir, token: 'test-token', logLevel: 'error' });
    const before = await start();
    const beforeStream = await openStream(before.url, 'test-token', [A]);
    await fetch(`${before.url}/v1/agent`, {
      method: 'POST',
      headers: { authorization: 'Bearer test-token', 'content-type': 'application/json' },
      body: JSON.stringify({ sessionKey: A, message: 'before restart' }),
    });
    const frames = await beforeStream.waitFor((all) => finishedCount(all) === 1, 'a run before the restart');
    beforeStream.close();
    await before.close();
    const after = await start();
    cleanups.push(() => after.close());
    // Same sequence numbers exist again in the new process; the boot id tells them apart.
    await fetch(`${after.url}/v1/agent`, {
      method: 'POST',
      headers: { authorization: 'Bearer test-token', 'content-type': 'application/json' },
      body: JSON.stringify({ sessionKey: A, message: 'after restart' }),
    });
    const stream = await openStream(after.url, 'test-token', [A], { header: frames.at(-2)?.id });
    const [first] = await stream.waitFor((all) => all.length >= 1, 'the first frame');
    expect(first).toMatchObject({ event: 'reset', data: { reason: 'unknown' } });
    expect(first?.id?.split('-')[0]).not.toBe(frames[0]?.id?.split('-')[0]);
  });

  it('an id whose session successors left the buffer gets `reset` (expired); a quiet session resumes from the same id', async () => {
    t = await startTestGateway(FAST);
    const stream = await openStream(t.gw.url, t.gw.token, [A, B]);
    await t.turn({ sessionKey: A, message: 'alpha' });
    await t.turn({ sessionKey: B, message: 'beta' });
    const frames = [...(await stream.waitFor((all) => finishedCount(all) === 2, 'two runs'))];
    const resumeFrom = frames[3]?.id; // alpha's run.finished
    // A noisy session A: more events than the per-session cap (the bus of this very gateway).
    for (let index = 0; index < 250; index += 1) t.gw.runtime.bus.publish({ type: 'system.event', sessionKey: A, text: `noise ${index}` });
    const noisy = await openStream(t.gw.url, t.gw.token, [A], { header: resumeFrom });
    const [reset] = await noisy.waitFor((all) => all.length >= 1, 'the reset');
    expect(reset).toMatchObject({ event: 'reset', data: { reason: 'expired' } });
    expect(noisy.frames.filter((frame) => frame.event !== 'reset')).toEqual([]);
    const quiet = await openStream(t.gw.url, t.gw.token, [B], { header: resumeFrom });
    const replayed = await quiet.waitFor((all) => finishedCount(all) === 1, "beta's replay");
    expect(replayed.map((frame) => frame.id)).toEqual(frames.slice(4).map((frame) => frame.id));
  });
});

describe('a scoped token resuming never gets another session’s events', () => {
  it('replays only its own session from any id, even one taken from another session', async () => {
    t = await startTestGateway(FAST);
    const token = await mint(t, { name: 'alpha-only', sessionKey: A, capabilities: ['events:read', 'agent:run'] });
    const operator = await openStream(t.gw.url, t.gw.token, [A, B]);
    await t.turn({ sessionKey: B, message: 'beta-secret one' });
    await t.turn({ sessionKey: A, message: 'alpha hello' });
    await t.turn({ sessionKey: B, message: 'beta-secret two' });
    const all = await operator.waitFor((frames) => finishedCount(frames) === 3, 'three runs');
    const boot = all[0]?.id?.split('-')[0];
    const betaId = all.find((frame) => frame.data.sessionKey === B)?.id;
    // The operator's replay of both sessions has beta's events: the scoped one must not.
    const operatorReplay = await openStream(t.gw.url, t.gw.token, [A, B], { header: `${boot}-0` });
    await operatorReplay.waitFor((frames) => finishedCount(frames) === 3, "the operator's replay");
    expect(JSON.stringify(operatorReplay.frames)).toContain('beta-secret');
    for (const resume of [{ header: `${boot}-0` }, { query: `${boot}-0` }, { header: betaId }]) {
      const scoped = await openStream(t.gw.url, token, [A], resume);
      expect(scoped.status).toBe(200);
      await scoped.waitFor((frames) => frames.some((frame) => frame.event === 'run.finished'), "alpha's replay");
      // A live event after the replay proves the replay is complete before we look at it.
      t.gw.runtime.bus.publish({ type: 'system.event', sessionKey: A, text: 'marker' });
      await scoped.waitFor((frames) => frames.some((frame) => frame.data.text === 'marker'), 'the marker');
      expect(scoped.frames.every((frame) => frame.data.sessionKey === A)).toBe(true);
      expect(JSON.stringify(scoped.frames)).not.toContain('beta');
      scoped.close();
    }
    // Naming the other session with an old id answers exactly like a missing session.
    const missing = 'agent:main:zz-missing';
    const foreign = await fetch(`${t.gw.url}/v1/events?sessionKey=${encodeURIComponent(B)}&lastEventId=${boot}-0`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const absent = await fetch(`${t.gw.url}/v1/events?sessionKey=${encodeURIComponent(missing)}&lastEventId=${boot}-0`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(foreign.status).toBe(404);
    expect((await foreign.text()).replaceAll(B, 'X')).toBe((await absent.text()).replaceAll(missing, 'X'));
  });
});
