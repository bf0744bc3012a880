import { describe, expect, it } from 'vitest';
import {
  JOURNAL_MAX_OUTPUT_CHARS,
  PROCESS_LIST_TAIL_CHARS,
  type GatewayStore,
  type RunRecord,
  type SessionUpsert,
} from './gateway-store.js';

/** What a store implementation hands the behaviour suite: a fresh store, and a way to reopen the same data. */
export interface StoreUnderTest {
  store: GatewayStore;
  /** Close and reopen the same database (durability). */
  reopen(): GatewayStore;
}

const session = (key: string, overrides: Partial<SessionUpsert> = {}): SessionUpsert => ({
  key,
  agentId: key.split(':')[1] ?? 'main',
  sessionId: `sid-${key}`,
  kind: 'direct',
  label: null,
  spawnedBy: null,
  spawnDepth: 0,
  channel: null,
  peerKind: null,
  peerId: null,
  now: 1,
  ...overrides,
});

const run = (id: string, overrides: Partial<RunRecord> = {}): RunRecord => ({
  id,
  sessionKey: 'agent:main:main',
  agentId: 'main',
  kind: 'user',
  status: 'queued',
  message: 'hi',
  reply: null,
  error: null,
  idempotencyKey: null,
  createdAt: 1,
  startedAt: null,
  endedAt: null,
  ...overrides,
});

/**
 * The behaviour every {@link GatewayStore} implementation must show. Call it from the
 * implementation's test file with a factory that opens a fresh, empty store (the suite closes it).
 */
/** An announcement waiting for delivery (add its `runId`). */
const PENDING_ANNOUNCEMENT = {
  requesterSessionKey: 'agent:main:main',
  payload: {},
  state: 'pending' as const,
  attempts: 0,
  createdAt: 1,
  deliveredAt: null,
};

export function describeGatewayStore(name: string, open: () => StoreUnderTest): void {
  const withStore = (body: (subject: StoreUnderTest) => void | Promise<void>) => async () => {
    const subject = open();
    try {
      await body(subject);
    } finally {
      subject.store.close();
    }
  };

  describe(`GatewayStore behaviour: ${name}`, () => {
    it(
      'keeps sessions and queued events across a reopen',
      withStore((subject) => {
        subject.store.sessions.upsert(session('agent:main:main'));
        subject.store.systemEvents.append('agent:main:main', 'e1', { id: 'e1', text: 'x' }, 1);
        const reopened = subject.reopen();
        subject.store = reopened;
        expect(reopened.sessions.get('agent:main:main')?.sessionId).toBe('sid-agent:main:main');
        expect(reopened.systemEvents.all()).toEqual([{ sessionKey: 'agent:main:main', body: { id: 'e1', text: 'x' } }]);
      }),
    );

    it(
      'lists sessions newest first, filtered by agent and clamped by limit',
      withStore(({ store }) => {
        store.sessions.upsert(session('agent:main:a', { now: 1 }));
        store.sessions.upsert(session('agent:ops:b', { now: 2 }));
        store.sessions.upsert(session('agent:main:c', { now: 3 }));
        expect(store.sessions.list().map((row) => row.key)).toEqual(['agent:main:c', 'agent:ops:b', 'agent:main:a']);
        expect(store.sessions.list({ agentId: 'main' }).map((row) => row.key)).toEqual(['agent:main:c', 'agent:main:a']);
        expect(store.sessions.list({ limit: 1 }).map((row) => row.key)).toEqual(['agent:main:c']);
        store.sessions.touch('agent:main:a', 10, 'run-1');
        expect(store.sessions.list()[0]).toMatchObject({ key: 'agent:main:a', lastRunId: 'run-1', updatedAt: 10 });
        expect(store.sessions.findBySessionId('main', 'sid-agent:main:c')?.key).toBe('agent:main:c');
        expect(store.sessions.findBySessionId('ops', 'sid-agent:main:c')).toBeUndefined();
      }),
    );

    it(
      'lists and counts the sessions at or under a key prefix, in pages, never a sibling whose key only starts alike',
      withStore(({ store }) => {
        const keys = [
          'agent:ops:tenant-a',
          'agent:ops:tenant-a:x',
          'agent:ops:tenant-a:y:z',
          'agent:ops:tenant-ab', // starts like the prefix, is not under it
          'agent:ops:tenant-a;', // sorts right after the range
          'agent:ops:tenant-b:x',
          'agent:main:tenant-a:x', // another agent
        ];
        for (const [index, key] of keys.entries()) store.sessions.upsert(session(key, { now: index + 1 }));
        const under = ['agent:ops:tenant-a:y:z', 'agent:ops:tenant-a:x', 'agent:ops:tenant-a'];
        expect(store.sessions.list({ keyPrefix: 'agent:ops:tenant-a' }).map((row) => row.key)).toEqual(under);
        expect(store.sessions.count({ keyPrefix: 'agent:ops:tenant-a' })).toBe(3);
        expect(store.sessions.count({ agentId: 'ops', keyPrefix: 'agent:ops:tenant-a' })).toBe(3);
        expect(store.sessions.count({ agentId: 'main', keyPrefix: 'agent:ops:tenant-a' })).toBe(0);
        const first = store.sessions.list({ keyPrefix: 'agent:ops:tenant-a', limit: 2 });
        const last = first[first.length - 1]!;
        const second = store.sessions.list({
          keyPrefix: 'agent:ops:tenant-a',
          limit: 2,
          after: { updatedAt: last.updatedAt, key: last.key },
        });
        expect([...first, ...second].map((row) => row.key)).toEqual(under);
        // Written after a read: the next read sees it (the SQLite store caches pages between writes).
        store.sessions.upsert(session('agent:ops:tenant-a:new', { now: 50 }));
        expect(store.sessions.list({ keyPrefix: 'agent:ops:tenant-a', limit: 1 })[0]?.key).toBe('agent:ops:tenant-a:new');
        expect(store.sessions.count({ keyPrefix: 'agent:ops:tenant-a' })).toBe(4);
      }),
    );

    it(
      "pages of the API's largest size (1 000) can see the row after them, so a next page is known",
      withStore(({ store }) => {
        store.transaction(() => {
          for (let index = 0; index < 1_005; index += 1) store.sessions.upsert(session(`agent:main:s${index}`, { now: index }));
        });
        expect(store.sessions.list({ limit: 1_001 })).toHaveLength(1_001);
        expect(store.sessions.count({})).toBe(1_005);
      }),
    );

    it(
      'answers every list and count with what was written last: after each write, after a commit, never a rolled-back write',
      withStore(({ store }) => {
        const keys = () => store.sessions.list().map((row) => row.key);
        const page = () => store.sessions.list({ agentId: 'main', limit: 2 });
        store.sessions.upsert(session('agent:main:a', { now: 1 }));
        expect([keys(), store.sessions.count(), store.sessions.count({ agentId: 'main' })]).toEqual([['agent:main:a'], 1, 1]);
        store.sessions.upsert(session('agent:main:b', { now: 2 }));
        expect([keys(), store.sessions.count()]).toEqual([['agent:main:b', 'agent:main:a'], 2]);
        store.sessions.touch('agent:main:a', 3, 'run-1');
        expect(page().map((row) => [row.key, row.lastRunId])).toEqual([
          ['agent:main:a', 'run-1'],
          ['agent:main:b', null],
        ]);
        store.sessions.reset('agent:main:b', 'sid-new', 4);
        expect(page()[0]).toMatchObject({ key: 'agent:main:b', sessionId: 'sid-new' });
        // A caller changing what it got does not change what the next caller gets.
        page()[0]!.key = 'changed by a caller';
        expect(page()[0]!.key).toBe('agent:main:b');
        expect(() =>
          store.transaction(() => {
            store.sessions.upsert(session('agent:main:doomed', { now: 9 }));
            expect(keys()[0]).toBe('agent:main:doomed');
            expect(store.sessions.count()).toBe(3);
            throw new Error('roll back');
          }),
        ).toThrow('roll back');
        expect([keys(), store.sessions.count()]).toEqual([['agent:main:b', 'agent:main:a'], 2]);
        store.transaction(() => {
          store.sessions.delete('agent:main:a');
          expect(keys()).toEqual(['agent:main:b']);
        });
        expect([keys(), store.sessions.count({ agentId: 'main' }), store.sessions.count({ agentId: 'ops' })]).toEqual([
          ['agent:main:b'],
          1,
          0,
        ]);
      }),
    );

    it(
      'upserts keep the first values and fill blanks; reset drops queued events; delete removes transcript and events',
      withStore(({ store }) => {
        store.sessions.upsert(session('agent:main:main', { label: 'first' }));
        store.sessions.upsert(session('agent:main:main', { label: null, channel: 'telegram', now: 5 }));
        expect(store.sessions.get('agent:main:main')).toMatchObject({ label: 'first', channel: 'telegram', createdAt: 1, updatedAt: 5 });
        store.systemEvents.append('agent:main:main', 'e1', { id: 'e1' }, 1);
        store.systemEvents.append('agent:main:other', 'e2', { id: 'e2' }, 1);
        store.sessions.reset('agent:main:main', 'sid-2', 6);
        expect(store.sessions.get('agent:main:main')?.sessionId).toBe('sid-2');
        expect(store.systemEvents.all().map((event) => event.sessionKey)).toEqual(['agent:main:other']);
        store.transcripts.append({
          sessionKey: 'agent:main:main',
          sessionId: 'sid-2',
          runId: null,
          role: 'user',
          text: 'hi',
          message: null,
          createdAt: 7,
        });
        store.sessions.delete('agent:main:main');
        expect(store.sessions.get('agent:main:main')).toBeUndefined();
        expect(store.transcripts.list('agent:main:main')).toEqual([]);
        expect(store.systemEvents.all().map((event) => event.sessionKey)).toEqual(['agent:main:other']);
      }),
    );

    it(
      'pages a transcript by session id, cursor and limit (newest page, oldest first)',
      withStore(({ store }) => {
        for (let index = 0; index < 5; index++) {
          store.transcripts.append({
            sessionKey: 'agent:main:main',
            sessionId: index < 3 ? 'a' : 'b',
            runId: null,
            role: 'user',
            text: `m${index}`,
            message: { index },
            createdAt: index,
          });
        }
        expect(store.transcripts.list('agent:main:main', { sessionId: 'a' }).map((entry) => entry.text)).toEqual(['m0', 'm1', 'm2']);
        expect(store.transcripts.list('agent:main:main', { limit: 2 }).map((entry) => entry.text)).toEqual(['m3', 'm4']);
        const [first] = store.transcripts.list('agent:main:main');
        expect(first?.message).toEqual({ index: 0 });
        expect(store.transcripts.list('agent:main:main', { afterSeq: first!.seq }).length).toBe(4);
        expect(store.transcripts.list('agent:main:other')).toEqual([]);
      }),
    );

    it(
      'removes system events by id, only in the named session',
      withStore(({ store }) => {
        store.systemEvents.append('agent:main:a', 'e1', { id: 'e1' }, 1);
        store.systemEvents.append('agent:main:b', 'e2', { id: 'e2' }, 1);
        store.systemEvents.remove('agent:main:a', ['e1', 'e2']);
        expect(store.systemEvents.all()).toEqual([{ sessionKey: 'agent:main:b', body: { id: 'e2' } }]);
      }),
    );

    it(
      'stores runs, patches them, finds them by status and by a per-session idempotency key',
      withStore(({ store }) => {
        store.runs.insert(run('r1', { idempotencyKey: 'k' }));
        store.runs.insert(run('r2', { sessionKey: 'agent:main:other', idempotencyKey: 'k', createdAt: 2 }));
        store.runs.update('r1', { status: 'ok', reply: 'done', endedAt: 3 });
        expect(store.runs.get('r1')).toMatchObject({ status: 'ok', reply: 'done', endedAt: 3, startedAt: null });
        expect(store.runs.getByIdempotencyKey('k', 'agent:main:other')?.id).toBe('r2');
        expect(store.runs.getByIdempotencyKey('k', 'agent:main:nobody')).toBeUndefined();
        expect(store.runs.listByStatus(['queued', 'running']).map((row) => row.id)).toEqual(['r2']);
        expect(store.runs.listByStatus([])).toEqual([]);
      }),
    );

    it(
      'keeps at most the retained-output cap per journaled process, marking truncation',
      withStore(({ store }) => {
        store.processes.start({
          id: 'p1',
          pid: 1,
          scopeKey: 'agent:main:main',
          sessionKey: 'agent:main:main',
          command: 'yes',
          cwd: '/',
          startedAt: 1,
          status: 'running',
          record: {},
          gatewayPid: 1,
        });
        // Output the caller dropped (a journal that fell behind a flood) marks the row truncated.
        store.processes.start({
          id: 'p2',
          pid: 2,
          scopeKey: 'agent:main:main',
          sessionKey: 'agent:main:main',
          command: 'yes',
          cwd: '/',
          startedAt: 2,
          status: 'running',
          record: {},
          gatewayPid: 1,
        });
        store.processes.appendOutput('p2', 'the tail', { droppedChars: 10 });
        expect(store.processes.get('p2')).toMatchObject({ output: 'the tail', truncated: true });
        store.processes.appendOutput('p2', ' and more');
        expect(store.processes.get('p2')).toMatchObject({ output: 'the tail and more', truncated: true });
        // So does a first chunk over the cap (nothing was retained before it).
        store.processes.start({ ...store.processes.get('p2')!, id: 'p3', startedAt: 3 });
        store.processes.appendOutput('p3', `${'x'.repeat(JOURNAL_MAX_OUTPUT_CHARS)}!`);
        expect(store.processes.get('p3')).toMatchObject({ truncated: true });
        expect(store.processes.get('p3')!.output.length).toBe(JOURNAL_MAX_OUTPUT_CHARS);
        store.processes.exit('p2', { status: 'completed', exitCode: 0, signal: null, endedAt: 1 });
        store.processes.exit('p3', { status: 'completed', exitCode: 0, signal: null, endedAt: 1 });
        const chunk = 'y\n'.repeat(50_000);
        for (let index = 0; index < 5; index++) store.processes.appendOutput('p1', chunk);
        const journaled = store.processes.get('p1')!;
        expect(journaled.output.length).toBe(JOURNAL_MAX_OUTPUT_CHARS);
        expect(journaled.truncated).toBe(true);
        store.processes.exit('p1', { status: 'completed', exitCode: 0, signal: null, endedAt: 2 });
        expect(store.processes.list({ status: 'finished' }).map((row) => row.id)).toEqual(['p1', 'p2', 'p3']);
        expect(store.processes.list({ status: 'running' })).toEqual([]);
      }),
    );

    it(
      'lists journaled processes with only the tail of their output, and reads one in full',
      withStore(({ store }) => {
        store.processes.start({
          id: 'p1',
          pid: 1,
          scopeKey: 'agent:main:main',
          sessionKey: 'agent:main:main',
          command: 'seq',
          cwd: '/',
          startedAt: 1,
          status: 'running',
          record: {},
          gatewayPid: 1,
        });
        const full = Array.from({ length: 20_000 }, (_, index) => `line ${index}`).join('\n');
        store.processes.appendOutput('p1', full);
        const [listed] = store.processes.list();
        expect(listed!.output.length).toBe(PROCESS_LIST_TAIL_CHARS);
        expect(listed!.output.endsWith('line 19999')).toBe(true);
        expect(store.processes.get('p1')!.output).toBe(full.slice(-JOURNAL_MAX_OUTPUT_CHARS));
      }),
    );

    it(
      'filters processes by session or scope key in the store, and keeps the exit tail when no output was journaled',
      withStore(({ store }) => {
        const base = { pid: null, command: 'true', cwd: '/', status: 'running', record: null, gatewayPid: null };
        store.processes.start({ ...base, id: 'a', scopeKey: 'agent:main:a', sessionKey: 'agent:main:a', startedAt: 1 });
        store.processes.start({ ...base, id: 'b', scopeKey: 'agent:main:b', sessionKey: 'agent:main:b', startedAt: 2 });
        store.processes.start({ ...base, id: 'c', scopeKey: 'agent:main:a', sessionKey: null, startedAt: 3 });
        expect(store.processes.list({ scopeOrSessionKey: 'agent:main:a' }).map((row) => row.id)).toEqual(['a', 'c']);
        store.processes.exit('c', { status: 'failed', exitCode: 1, signal: null, endedAt: 4, tail: 'last words' });
        expect(store.processes.list({ scopeOrSessionKey: 'agent:main:a', status: 'running' }).map((row) => row.id)).toEqual(['a']);
        expect(store.processes.get('c')).toMatchObject({ status: 'failed', exitCode: 1, endedAt: 4, output: 'last words' });
      }),
    );

    it(
      'prunes all but the newest finished processes and never a running one',
      withStore(({ store }) => {
        const base = {
          pid: null,
          scopeKey: 'agent:main:x',
          sessionKey: null,
          command: 'true',
          cwd: '/',
          status: 'running',
          record: null,
          gatewayPid: null,
        };
        store.transaction(() => {
          for (let index = 0; index < 5; index++) {
            store.processes.start({ ...base, id: `old-${index}`, startedAt: index });
            store.processes.exit(`old-${index}`, { status: 'completed', exitCode: 0, signal: null, endedAt: index });
          }
          store.processes.start({ ...base, id: 'live', startedAt: 9 });
        });
        expect(store.processes.prune(2)).toBe(3);
        expect(store.processes.list().map((row) => row.id)).toEqual(['old-3', 'old-4', 'live']);
      }),
    );

    it(
      'appends output batch by batch: in order, the oldest dropped to the cap exactly, a batch over the cap keeps its end',
      withStore((subject) => {
        const base = { pid: null, command: 'yes', cwd: '/', status: 'running', record: null, gatewayPid: null, startedAt: 1 };
        subject.store.processes.start({ ...base, id: 'many', scopeKey: 'agent:main:a', sessionKey: 'agent:main:a' });
        subject.store.processes.start({ ...base, id: 'other', scopeKey: 'agent:main:b', sessionKey: 'agent:main:b' });
        let written = '';
        // Batches of uneven sizes (1 to 3 000 chars), 300 kB in all: well past the cap.
        for (let index = 0; written.length < 300_000; index++) {
          const batch = `${index}:${'x'.repeat((index * 7919) % 3_000)}\n`;
          subject.store.processes.appendOutput('many', batch);
          written += batch;
          if (index === 10) expect(subject.store.processes.get('many')).toMatchObject({ output: written, truncated: false });
        }
        subject.store.processes.appendOutput('many', '');
        subject.store.processes.appendOutput('other', 'other output');
        const expected = written.slice(-JOURNAL_MAX_OUTPUT_CHARS);
        expect(subject.store.processes.get('many')).toMatchObject({ output: expected, truncated: true });
        expect(subject.store.processes.get('other')).toMatchObject({ output: 'other output', truncated: false });
        const listed = subject.store.processes.list({ scopeOrSessionKey: 'agent:main:a' });
        expect(listed.map((row) => [row.id, row.output])).toEqual([['many', expected.slice(-PROCESS_LIST_TAIL_CHARS)]]);

        // Durable, and appending after a reopen continues the same output.
        const reopened = subject.reopen();
        reopened.processes.appendOutput('many', 'after reopen');
        expect(reopened.processes.get('many')!.output).toBe(`${expected}after reopen`.slice(-JOURNAL_MAX_OUTPUT_CHARS));

        const huge = `${'h'.repeat(JOURNAL_MAX_OUTPUT_CHARS)}the end`;
        reopened.processes.appendOutput('other', huge);
        expect(reopened.processes.get('other')).toMatchObject({ output: huge.slice(-JOURNAL_MAX_OUTPUT_CHARS), truncated: true });
        expect(reopened.processes.list({ scopeOrSessionKey: 'agent:main:b' })[0]!.output).toBe(huge.slice(-PROCESS_LIST_TAIL_CHARS));

        // Trimming never leaves half of a surrogate pair at the start: neither of an old chunk, nor of a batch over the cap.
        reopened.processes.start({ ...base, id: 'emoji', scopeKey: 'agent:main:c', sessionKey: 'agent:main:c' });
        const smiles = '😀'.repeat(500);
        const filler = 'z'.repeat(JOURNAL_MAX_OUTPUT_CHARS - smiles.length + 1);
        reopened.processes.appendOutput('emoji', smiles);
        reopened.processes.appendOutput('emoji', filler);
        expect(reopened.processes.get('emoji')!.output).toBe(`${smiles.slice(2)}${filler}`);
        const oddBatch = `b${'😀'.repeat(JOURNAL_MAX_OUTPUT_CHARS / 2)}c`;
        reopened.processes.appendOutput('emoji', oddBatch);
        const kept = reopened.processes.get('emoji')!.output;
        expect(kept).toBe(oddBatch.slice(-(JOURNAL_MAX_OUTPUT_CHARS - 1)));
        expect(kept).not.toMatch(/^[\uDC00-\uDFFF]/);
      }),
    );

    it(
      'forgets a pruned process with its output, and appends nothing to a process it does not hold',
      withStore(({ store }) => {
        const base = { pid: null, scopeKey: 'agent:main:x', sessionKey: null, command: 'true', cwd: '/', record: null, gatewayPid: null };
        store.processes.start({ ...base, id: 'gone', status: 'running', startedAt: 1 });
        store.processes.appendOutput('gone', 'secret output');
        store.processes.exit('gone', { status: 'completed', exitCode: 0, signal: null, endedAt: 2 });
        store.processes.start({ ...base, id: 'kept', status: 'running', startedAt: 3 });
        store.processes.exit('kept', { status: 'completed', exitCode: 0, signal: null, endedAt: 4, tail: 'kept tail' });
        expect(store.processes.prune(1)).toBe(1);
        expect(store.processes.get('gone')).toBeUndefined();
        expect(store.processes.has('gone')).toBe(false);
        store.processes.appendOutput('gone', 'late batch');
        store.processes.appendOutput('never', 'stray batch');
        expect(store.processes.get('never')).toBeUndefined();
        expect(store.processes.list().map((row) => [row.id, row.output])).toEqual([['kept', 'kept tail']]);
        // An exit tail never replaces journaled output.
        store.processes.start({ ...base, id: 'talked', status: 'running', startedAt: 5 });
        store.processes.appendOutput('talked', 'journaled');
        store.processes.exit('talked', { status: 'failed', exitCode: 1, signal: null, endedAt: 6, tail: 'registry tail' });
        expect(store.processes.get('talked')!.output).toBe('journaled');
      }),
    );

    it(
      'records announcements once per run id',
      withStore(({ store }) => {
        const announcement = { runId: 'r1', ...PENDING_ANNOUNCEMENT };
        expect(store.announcements.put(announcement)).toBe(true);
        expect(store.announcements.put(announcement)).toBe(false);
        store.announcements.mark('r1', 'delivered', 5);
        expect(store.announcements.get('r1')).toMatchObject({ state: 'delivered', deliveredAt: 5, attempts: 1 });
      }),
    );

    it(
      'claims an announcement’s delivery once: the first claim wins, later ones (and unknown runs) lose',
      withStore(({ store }) => {
        const pending = PENDING_ANNOUNCEMENT;
        store.announcements.put({ runId: 'r2', ...pending });
        expect(store.announcements.claimDelivery('r2', 7)).toBe(true);
        expect(store.announcements.claimDelivery('r2', 8)).toBe(false);
        expect(store.announcements.get('r2')).toMatchObject({ state: 'delivered', deliveredAt: 7, attempts: 1 });
        expect(store.announcements.claimDelivery('missing', 9)).toBe(false);
        // A claim rolled back with its transaction is no claim: the next one wins.
        store.announcements.put({ runId: 'r3', ...pending });
        expect(() =>
          store.transaction(() => {
            store.announcements.claimDelivery('r3', 10);
            throw new Error('notice failed');
          }),
        ).toThrow('notice failed');
        expect(store.announcements.claimDelivery('r3', 11)).toBe(true);
      }),
    );

    it(
      'stores cron jobs with their owner, their creating credential and a newest-first run history',
      withStore(({ store }) => {
        store.cron.put('j1', 'agent:main:main', { id: 'j1', v: 1 }, 1, 'tk_0123456789abcdef');
        store.cron.put('j1', null, { id: 'j1', v: 2 }, 2);
        // A null owner or creator keeps the stored one (the scheduler's own saves do not know them).
        expect(store.cron.get('j1')).toEqual({
          id: 'j1',
          ownerSessionKey: 'agent:main:main',
          createdBy: 'tk_0123456789abcdef',
          record: { id: 'j1', v: 2 },
        });
        store.cron.put('j2', 'agent:main:main', { id: 'j2' }, 1);
        expect(store.cron.get('j2')?.createdBy).toBeNull();
        store.cron.delete('j2');
        store.cron.appendRun('j1', { n: 1 }, 1);
        store.cron.appendRun('j1', { n: 2 }, 2);
        expect(store.cron.runs('j1', 10)).toEqual([{ n: 2 }, { n: 1 }]);
        expect(store.cron.runs('j1', 1)).toEqual([{ n: 2 }]);
        store.cron.delete('j1');
        expect(store.cron.all()).toEqual([]);
      }),
    );

    it(
      'rolls a transaction back when its function throws, and returns its value otherwise',
      withStore(({ store }) => {
        expect(() =>
          store.transaction(() => {
            store.sessions.upsert(session('agent:main:main'));
            throw new Error('boom');
          }),
        ).toThrow('boom');
        expect(store.sessions.get('agent:main:main')).toBeUndefined();
        expect(store.transaction(() => store.sessions.upsert(session('agent:main:main')).key)).toBe('agent:main:main');
      }),
    );

    it(
      'keeps sub-agent runs for the spawner: one running run per child session',
      withStore(async ({ store }) => {
        const record = {
          runId: 'r1',
          childSessionKey: 'agent:main:subagent:x',
          requesterSessionKey: 'agent:main:main',
          status: 'running',
          createdAt: 1,
          announcement: { state: 'pending' },
        } as unknown as Parameters<GatewayStore['subagentRuns']['create']>[0];
        await store.subagentRuns.create(record);
        await expect(async () => store.subagentRuns.create({ ...record, runId: 'r2' })).rejects.toThrow(/already has a running run/);
        expect(await store.subagentRuns.countActiveByRequester('agent:main:main')).toBe(1);
        expect(await store.subagentRuns.markFinished('r1', { status: 'ok', endedAt: 2, announcement: { state: 'pending' } } as never)).toBe(
          true,
        );
        expect(await store.subagentRuns.markFinished('r1', { status: 'ok', endedAt: 2, announcement: { state: 'pending' } } as never)).toBe(
          false,
        );
        expect(await store.subagentRuns.countActive()).toBe(0);
        expect((await store.subagentRuns.findLatestByChildSessionKey('agent:main:subagent:x'))?.status).toBe('ok');
        expect((await store.subagentRuns.listPendingAnnouncements()).map((row) => row.runId)).toEqual(['r1']);
      }),
    );
  });
}
