import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProcessRegistry } from '@pincer/process-registry';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createSystemClock } from '../clock.js';
import { createEventBus } from '../events/event-bus.js';
import { createMetrics } from '../metrics.js';
import type { GatewayStore } from '../store/gateway-store.js';
import { createSqliteGatewayStore } from '../store/sqlite/sqlite-store.js';
import { createProcessJournal } from './journal.js';
import { createGatewayProcessRegistry } from './process-registry.js';

const dirs: string[] = [];
const open: Array<{ registry: ProcessRegistry; store: GatewayStore }> = [];
afterEach(async () => {
  for (const { registry, store } of open.splice(0)) {
    await registry.dispose();
    store.close();
  }
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** The same id sequence in every registry: what a seeded generator gives after each restart. */
const seeded = () => {
  let next = 0;
  return () => `seeded-${next++}`;
};

/** A gateway's registry over a real SQLite journal file (a "gateway start"). */
function startGateway(file: string) {
  const store = createSqliteGatewayStore(file);
  const clock = createSystemClock();
  const registry = createGatewayProcessRegistry({
    config: {} as Parameters<typeof createGatewayProcessRegistry>[0]['config'],
    clock,
    journal: createProcessJournal({ store, clock, metrics: createMetrics(), bus: createEventBus() }),
    logger: pino({ level: 'silent' }),
    idGenerator: seeded(),
  });
  open.push({ registry, store });
  return { store, registry };
}

describe('process ids and the journal', () => {
  it('never reuses an id the journal holds (another session, an earlier gateway), and never replaces its row', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pincer-journal-ids-'));
    dirs.push(dir);
    const file = join(dir, 'pincer.db');
    const first = startGateway(file);
    // Another session's process already holds the id the generator proposes first.
    first.store.processes.start({
      id: 'seeded-0',
      pid: null,
      scopeKey: 'agent:main:victim',
      sessionKey: 'agent:main:victim',
      command: 'victim command',
      cwd: '/',
      startedAt: 1,
      status: 'completed',
      record: null,
      gatewayPid: null,
    });
    const run = await first.registry.exec({ command: 'echo mine', scopeKey: 'agent:main:other', sessionKey: 'agent:main:other' });
    expect(run).toMatchObject({ id: 'seeded-1', status: 'completed' });
    expect(first.store.processes.get('seeded-0')).toMatchObject({ scopeKey: 'agent:main:victim', command: 'victim command' });
    expect(first.store.processes.get('seeded-1')).toMatchObject({
      scopeKey: 'agent:main:other',
      status: 'completed',
      pid: expect.any(Number),
    });
    await first.registry.dispose();
    first.store.close();
    open.splice(0);

    // A restart on the same journal with the same id sequence: every id is new.
    const second = startGateway(file);
    const runs = await Promise.all([0, 1].map(() => second.registry.exec({ command: 'true', scopeKey: 'agent:main:other' })));
    expect(runs.map((result) => result.id)).toEqual(['seeded-2', 'seeded-3']);
    expect(second.store.processes.list().map((row) => row.id)).toEqual(['seeded-0', 'seeded-1', 'seeded-2', 'seeded-3']);
  });

  it('writes a starting row before the spawn and completes it with the pid', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pincer-journal-start-'));
    dirs.push(dir);
    const { store, registry } = startGateway(join(dir, 'pincer.db'));
    const seen: Array<{ status: string; pid: number | null } | undefined> = [];
    const original = store.processes.start.bind(store.processes);
    store.processes.start = (row) => {
      original(row);
      seen.push(store.processes.get(row.id));
    };
    const run = await registry.exec({ command: 'sleep 30', scopeKey: 's', background: true });
    expect(seen).toEqual([expect.objectContaining({ status: 'starting', pid: null })]);
    expect(store.processes.get(run.id)).toMatchObject({ status: 'running', pid: run.pid });
    const record = store.processes.get(run.id)?.record as { procStartTime?: number } | undefined;
    expect(record?.procStartTime).toEqual(expect.any(Number));
  });
});

describe('journaled output under a flood', () => {
  it('keeps the tail of a shell that outran the journal, marks it truncated, and writes its own output before its exit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pincer-journal-flood-'));
    dirs.push(dir);
    const { store, registry } = startGateway(join(dir, 'pincer.db'));
    // 1.2 MB of numbered lines at once from a real shell: far more than the 200 000 chars kept,
    // and more than one journal write takes, so the journal drops what it could never keep.
    const result = await registry.exec({
      command: "seq -f 'line-%06g' 1 100000",
      scopeKey: 'agent:main:flood',
      sessionKey: 'agent:main:flood',
      background: true,
    });
    const id = result.id;
    const deadline = Date.now() + 60_000;
    while (store.processes.get(id)?.status === 'running' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    const row = store.processes.get(id)!;
    expect(row.status).not.toBe('running');
    expect(row.truncated).toBe(true);
    expect(row.output.length).toBeLessThanOrEqual(200_000);
    // The tail is whole and in order: the last line is there, and the lines before it follow each other.
    const lines = row.output.trimEnd().split('\n').slice(1);
    expect(lines.at(-1)).toBe('line-100000');
    const numbers = lines.map((line) => Number(line.slice(5)));
    expect(numbers.every((value, index) => index === 0 || value === numbers[index - 1]! + 1)).toBe(true);
  });
});
