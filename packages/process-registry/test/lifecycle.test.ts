import { describe, expect, it } from 'vitest';
import { type ProcessJournalRecord, ProcessRegistryError, formatExitNotice } from '../src/index.js';
import { createFakeClock } from '../src/testing.js';
import { collectExits, errorOf, makeRegistry, nextExit, pollUntil, rejectionOf } from './helpers.js';

describe('finished-session TTL', () => {
  it('expires a finished session 30 minutes after its exit (fake clock)', async () => {
    const clock = createFakeClock();
    const registry = makeRegistry({ clock });
    const run = await registry.exec({ command: 'echo kept', scopeKey: 's', background: true });
    await nextExit(registry, run.id);
    clock.advance(30 * 60_000 - 1);
    expect(registry.list({ scopeKey: 's' }).map((s) => s.id)).toEqual([run.id]);
    clock.advance(1);
    expect(registry.list({ scopeKey: 's' })).toEqual([]);
    await expect(registry.poll({ scopeKey: 's', id: run.id })).rejects.toMatchObject({ code: 'PROCESS_NOT_FOUND' });
    expect(registry.snapshot().finished).toEqual([]);
  });

  it('uses a configured TTL and rejects one outside 1 min – 3 h', async () => {
    const clock = createFakeClock();
    const registry = makeRegistry({ clock, finishedTtlMs: 60_000 });
    const run = await registry.exec({ command: 'true', scopeKey: 's', background: true });
    await nextExit(registry, run.id);
    clock.advance(60_000);
    expect(registry.list({ scopeKey: 's' })).toEqual([]);
    expect(errorOf(() => makeRegistry({ finishedTtlMs: 59_999 }))).toMatchObject({ code: 'INVALID_INPUT', field: 'finishedTtlMs' });
    expect(errorOf(() => makeRegistry({ finishedTtlMs: 10_800_001 }))).toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('evicts the oldest finished sessions beyond maxFinished', async () => {
    const registry = makeRegistry({ maxFinished: 2 });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const run = await registry.exec({ command: `echo ${i}`, scopeKey: 's', background: true });
      await nextExit(registry, run.id);
      ids.push(run.id);
    }
    expect(registry.snapshot().finished.map((s) => s.id)).toEqual(ids.slice(1));
  });

  it('evicts the oldest finished sessions beyond maxRetainedChars, always keeping the newest', async () => {
    const registry = makeRegistry({ maxRetainedChars: 1_000, maxOutputChars: 1_000 });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const run = await registry.exec({ command: 'head -c 600 /dev/zero | tr "\\0" x', scopeKey: 's', background: true });
      await nextExit(registry, run.id);
      ids.push(run.id);
    }
    expect(registry.snapshot().finished.map((s) => s.id)).toEqual([ids[2]]);
    expect(registry.stats().finishedRetainedChars).toBe(600);
  });
});

describe('exec', () => {
  it('moves a command to the background when the yield window passes', async () => {
    const registry = makeRegistry();
    const result = await registry.exec({ command: 'sleep 0.4; echo late', scopeKey: 's', yieldMs: 50 });
    expect(result).toMatchObject({ status: 'running', pid: expect.any(Number) });
    expect(registry.list({ scopeKey: 's' }).map((p) => p.id)).toEqual([result.id]);
    const event = await nextExit(registry, result.id);
    expect(formatExitNotice(event)).toBe(`Exec completed (${result.id}, code 0) :: late`);
  });

  it('gives children a non-interactive environment with a marker the caller cannot override', async () => {
    const registry = makeRegistry({ env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', PAGER: 'less' } });
    const result = await registry.exec({
      command: 'echo "$PAGER $GIT_PAGER $NO_COLOR $TERM $PINCER_PROCESS_ID $EXTRA"; printenv PINCER_SCOPE || echo no-scope',
      scopeKey: 'agent:a:main',
      env: { EXTRA: 'yes', PINCER_PROCESS_ID: 'spoofed' },
    });
    expect(result).toMatchObject({ status: 'completed', output: `cat cat 1 dumb ${result.id} yes\nno-scope\n` });
  });

  it('reports shell failures (127) as failed', async () => {
    const registry = makeRegistry();
    expect(await registry.exec({ command: 'definitely-not-a-command-xyz', scopeKey: 's' })).toMatchObject({
      status: 'failed',
      exitCode: 127,
    });
  });
});

describe('exit events', () => {
  it('emits one event per background session with the notice text', async () => {
    const registry = makeRegistry();
    const run = await registry.exec({
      command: 'echo "hello   world"; exit 3',
      scopeKey: 's',
      sessionKey: 'agent:a:main',
      background: true,
    });
    const event = await nextExit(registry, run.id);
    expect(event).toMatchObject({
      id: run.id,
      scopeKey: 's',
      sessionKey: 'agent:a:main',
      status: 'exited',
      exitCode: 3,
      signal: null,
      shouldNotify: true,
    });
    expect(formatExitNotice(event)).toBe(`Exec completed (${run.id}, code 3) :: hello world`);
  });

  it('suppresses empty success unless notifyOnExitEmptySuccess, and honours notifyOnExit: false', async () => {
    const registry = makeRegistry();
    const events = collectExits(registry);
    const quiet = await registry.exec({ command: 'true', scopeKey: 's', background: true });
    const loud = await registry.exec({ command: 'true', scopeKey: 's', background: true, notifyOnExitEmptySuccess: true });
    const muted = await registry.exec({ command: 'echo x; exit 1', scopeKey: 's', background: true, notifyOnExit: false });
    await Promise.all([nextExit(registry, quiet.id), nextExit(registry, loud.id), nextExit(registry, muted.id)]);
    const byId = new Map(events.map((e) => [e.id, e]));
    expect(byId.get(quiet.id)!.shouldNotify).toBe(false);
    expect(byId.get(loud.id)!.shouldNotify).toBe(true);
    expect(formatExitNotice(byId.get(loud.id)!)).toBe(`Exec completed (${loud.id}, code 0)`);
    expect(byId.get(muted.id)!.shouldNotify).toBe(false);
    expect(events).toHaveLength(3);
  });

  it('does not notify after a requested kill, nor once a poll observed the exit', async () => {
    const registry = makeRegistry();
    const killed = await registry.exec({ command: 'echo x; sleep 30', scopeKey: 's', background: true });
    const killedEvent = nextExit(registry, killed.id);
    await registry.kill({ scopeKey: 's', id: killed.id });
    expect(await killedEvent).toMatchObject({ status: 'killed', signal: 'SIGTERM', shouldNotify: false });
    expect(formatExitNotice(await killedEvent)).toBe(`Exec failed (${killed.id}, signal SIGTERM) :: x`);

    const polled = await registry.exec({ command: 'sleep 0.3; exit 4', scopeKey: 's', background: true });
    const polledEvent = nextExit(registry, polled.id);
    const result = await registry.poll({ scopeKey: 's', id: polled.id, waitMs: 10_000 });
    expect(result).toMatchObject({ status: 'completed', exitCode: 4 });
    expect(await polledEvent).toMatchObject({ exitCode: 4, shouldNotify: false });
  });

  it('notifies a timeout with guidance; reports a spawn error as failed', async () => {
    const registry = makeRegistry();
    const run = await registry.exec({ command: 'echo slow; sleep 30', scopeKey: 's', background: true, timeoutMs: 200 });
    const event = await nextExit(registry, run.id);
    expect(event).toMatchObject({ status: 'timeout', shouldNotify: true });
    expect(formatExitNotice(event)).toMatch(new RegExp(`^Exec failed \\(${run.id}, signal SIGTERM\\) :: slow\\n\\nCommand timed out`));

    const badExit = nextExit(registry);
    const bad = await registry.exec({ command: 'true', scopeKey: 's', background: true, cwd: '/nonexistent/dir' });
    expect(bad).toMatchObject({ status: 'failed', exitCode: null, error: expect.stringContaining('/nonexistent/dir') });
    const badEvent = await badExit;
    // exec already returned the failure, so the event does not ask for a notice.
    expect(badEvent).toMatchObject({ id: bad.id, status: 'spawn-error', shouldNotify: false });
    expect(formatExitNotice(badEvent)).toBe(`Exec failed (${bad.id}, spawn error)`);
    const fg = await registry.exec({ command: 'true', scopeKey: 's', cwd: '/nonexistent/dir' });
    expect(fg).toMatchObject({ status: 'failed', error: expect.stringContaining('/nonexistent/dir') });
  });

  it('calls the journal on start, with batched output, and on exit', async () => {
    const starts: ProcessJournalRecord[] = [];
    const exits: ProcessJournalRecord[] = [];
    let output = '';
    const registry = makeRegistry({
      journal: {
        onStart: (r) => starts.push(r),
        onOutput: (_id, batch) => {
          output += batch.map((c) => c.text).join('');
        },
        onExit: (r) => exits.push(r),
      },
    });
    const run = await registry.exec({ command: 'echo one; echo two >&2', scopeKey: 's', background: true });
    await nextExit(registry, run.id);
    expect(starts[0]).toMatchObject({ id: run.id, status: 'running', procStartTime: expect.any(Number), scopeKey: 's' });
    expect(output).toBe('one\ntwo\n');
    expect(exits[0]).toMatchObject({ id: run.id, status: 'completed', exitCode: 0, reason: 'exit', isBackgrounded: true });
  });
});

describe('stdin', () => {
  it('writes to a piped stdin and closes it with eof', async () => {
    const registry = makeRegistry();
    const run = await registry.exec({ command: 'cat', scopeKey: 's', background: true, stdin: 'pipe' });
    expect(registry.write({ scopeKey: 's', id: run.id, data: 'héllo\n' })).toMatchObject({ bytes: 7, isStdinClosed: false });
    expect(await pollUntil(registry, 's', run.id, (o) => o.includes('héllo'))).toBe('héllo\n');
    const exit = nextExit(registry, run.id);
    registry.write({ scopeKey: 's', id: run.id, data: 'bye\n', eof: true });
    expect(await exit).toMatchObject({ status: 'exited', exitCode: 0 });
    expect(registry.log({ scopeKey: 's', id: run.id }).output).toBe('héllo\nbye');
    expect(errorOf(() => registry.write({ scopeKey: 's', id: run.id, data: 'x' }))).toMatchObject({ code: 'PROCESS_NOT_RUNNING' });
  });

  it('keeps stdin closed unless asked for', async () => {
    const registry = makeRegistry();
    const run = await registry.exec({ command: 'cat; echo "eof seen"', scopeKey: 's', background: true });
    expect(errorOf(() => registry.write({ scopeKey: 's', id: run.id, data: 'x' }))).toMatchObject({ code: 'STDIN_NOT_WRITABLE' });
    await nextExit(registry, run.id);
    expect(registry.log({ scopeKey: 's', id: run.id }).output).toBe('eof seen');
  });
});

describe('pty', () => {
  it('sends keys, pastes bracketed text and submits', async () => {
    const registry = makeRegistry();
    const run = await registry.exec({
      command: 'read -r a; echo "got:$a"; read -r b; printf "%s" "$b" | od -An -c',
      scopeKey: 's',
      background: true,
      stdin: 'pty',
    });
    const exit = nextExit(registry, run.id);
    expect(registry.sendKeys({ scopeKey: 's', id: run.id, literal: 'h', keys: ['i', 'Enter'] })).toMatchObject({ bytes: 3 });
    expect(await pollUntil(registry, 's', run.id, (o) => o.includes('got:hi'))).toContain('got:hi');
    expect(registry.paste({ scopeKey: 's', id: run.id, text: 'hello' })).toMatchObject({ bytes: 17 });
    registry.submit({ scopeKey: 's', id: run.id });
    expect(await exit).toMatchObject({ status: 'exited', exitCode: 0 });
    // od -c of the second line: the paste arrived wrapped in ESC[200~ … ESC[201~.
    expect(registry.log({ scopeKey: 's', id: run.id }).output).toMatch(
      /033\s+\[\s+2\s+0\s+0\s+~\s+h\s+e\s+l\s+l\s+o\s+033\s+\[\s+2\s+0\s+1\s+~/,
    );
  });

  it('interrupts with C-c', async () => {
    const registry = makeRegistry();
    const run = await registry.exec({ command: 'sleep 30', scopeKey: 's', background: true, stdin: 'pty' });
    const exit = nextExit(registry, run.id);
    await new Promise((r) => setTimeout(r, 100));
    registry.sendKeys({ scopeKey: 's', id: run.id, keys: ['C-c'] });
    expect(await exit).toMatchObject({ status: 'exited', signal: 'SIGINT' });
  });
});

describe('ids and limits', () => {
  it('allocates unique human slugs', async () => {
    const registry = makeRegistry();
    const runs = await Promise.all(Array.from({ length: 20 }, () => registry.exec({ command: 'true', scopeKey: 's', background: true })));
    const ids = runs.map((r) => r.id);
    expect(new Set(ids).size).toBe(20);
    for (const id of ids) expect(id).toMatch(/^[a-z]+-[a-z]+-[0-9a-z]{6}$/);

    const colliding = makeRegistry({ idGenerator: () => 'amber-atlas' });
    const a = await colliding.exec({ command: 'true', scopeKey: 's', background: true });
    const b = await colliding.exec({ command: 'true', scopeKey: 's', background: true });
    const c = await colliding.exec({ command: 'true', scopeKey: 't', background: true });
    expect(a.id).toBe('amber-atlas');
    expect(b.id).toMatch(/^amber-atlas-[0-9a-z]{8}$/);
    expect(c.id).toMatch(/^amber-atlas-[0-9a-z]{8}$/);
    expect(new Set([a.id, b.id, c.id]).size).toBe(3);
  });

  it('never reuses an id the journal already holds, across registries (a restart)', async () => {
    // A deterministic id source: the same sequence in every registry, as after a restart with a seeded generator.
    const sequence = () => {
      let next = 0;
      return () => `seeded-${next++}`;
    };
    const journaled = new Set<string>();
    const journal = {
      isIdTaken: (id: string) => journaled.has(id),
      onBeforeSpawn: (record: { id: string }) => {
        if (journaled.has(record.id)) throw new Error(`row ${record.id} exists`);
        journaled.add(record.id);
      },
    };
    const first = makeRegistry({ idGenerator: sequence(), journal });
    const before = await Promise.all([0, 1, 2].map(() => first.exec({ command: 'true', scopeKey: 's' })));
    expect(before.map((r) => r.id)).toEqual(['seeded-0', 'seeded-1', 'seeded-2']);
    await first.dispose();
    const second = makeRegistry({ idGenerator: sequence(), journal });
    const after = await Promise.all([0, 1].map(() => second.exec({ command: 'true', scopeKey: 't' })));
    expect(after.map((r) => r.id)).toEqual(['seeded-3', 'seeded-4']);
    expect(after.map((r) => r.status)).toEqual(['completed', 'completed']);
  });

  it('refuses the spawn when the journal cannot record the shell first, and nothing runs', async () => {
    const registry = makeRegistry({
      journal: {
        onBeforeSpawn: () => {
          throw new Error('disk full');
        },
      },
    });
    const result = await registry.exec({ command: 'echo ran', scopeKey: 's' });
    expect(result).toMatchObject({ status: 'failed', pid: undefined, output: '', error: expect.stringContaining('disk full') });
  });

  it('fails with LIMIT_EXCEEDED beyond maxRunning, never evicting a running process', async () => {
    const registry = makeRegistry({ maxRunning: 2 });
    const a = await registry.exec({ command: 'sleep 30', scopeKey: 's', background: true });
    await registry.exec({ command: 'sleep 30', scopeKey: 't', background: true });
    const error = await rejectionOf(registry.exec({ command: 'true', scopeKey: 'u' }));
    expect(ProcessRegistryError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'LIMIT_EXCEEDED' });
    expect(registry.snapshot().running).toHaveLength(2);
    await registry.kill({ scopeKey: 's', id: a.id });
    expect(await registry.exec({ command: 'true', scopeKey: 'u' })).toMatchObject({ status: 'completed' });
  });

  it('clear forgets a finished session; remove kills and forgets a running one without notifying', async () => {
    const registry = makeRegistry();
    const events = collectExits(registry);
    const done = await registry.exec({ command: 'echo x', scopeKey: 's', background: true });
    await nextExit(registry, done.id);
    const live = await registry.exec({ command: 'sleep 30', scopeKey: 's', background: true });
    expect(errorOf(() => registry.clear({ scopeKey: 's', id: live.id }))).toMatchObject({ code: 'PROCESS_RUNNING' });
    registry.clear({ scopeKey: 's', id: done.id });
    await registry.remove({ scopeKey: 's', id: live.id });
    expect(registry.list({ scopeKey: 's' })).toEqual([]);
    expect(registry.snapshot()).toEqual({ running: [], finished: [] });
    expect(events.filter((e) => e.shouldNotify).map((e) => e.id)).toEqual([done.id]);
  });

  it('returns deep-frozen snapshots', async () => {
    const registry = makeRegistry();
    await registry.exec({ command: 'sleep 30', scopeKey: 's', background: true });
    const snap = registry.snapshot();
    expect(Object.isFrozen(snap)).toBe(true);
    expect(Object.isFrozen(snap.running)).toBe(true);
    expect(Object.isFrozen(snap.running[0])).toBe(true);
    expect(Object.keys(snap.running[0]!).sort()).toEqual(
      [
        'command',
        'cwd',
        'endedAt',
        'exitCode',
        'id',
        'pid',
        'sandbox',
        'scopeKey',
        'sessionKey',
        'signal',
        'startedAt',
        'status',
        'tail',
        'truncated',
      ].sort(),
    );
  });
});
