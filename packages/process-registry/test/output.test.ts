import { describe, expect, it } from 'vitest';
import { makeRegistry, nextExit } from './helpers.js';

describe('output caps', () => {
  it('keeps retained output at the cap with truncated, and the registry memory bounded, under a flood', async () => {
    const registry = makeRegistry();
    const heapBefore = process.memoryUsage().heapUsed;
    const exit = nextExit(registry);
    const run = await registry.exec({ command: 'yes | head -c 100000000', scopeKey: 's', background: true });
    let maxBuffered = 0;
    let done = false;
    void exit.then(() => {
      done = true;
    });
    for (let i = 0; i < 3_000 && !done; i++) {
      maxBuffered = Math.max(maxBuffered, registry.stats().bufferedChars);
      await new Promise((r) => setTimeout(r, 5));
    }
    const event = await exit;
    expect(event).toMatchObject({ status: 'exited', exitCode: 0 });
    // retained (200 000) + unread (30 000 per stream) is the most the registry ever holds.
    expect(maxBuffered).toBeLessThanOrEqual(200_000 + 2 * 30_000);
    const log = registry.log({ scopeKey: 's', id: run.id, limit: 1 });
    expect(log.totalChars).toBe(200_000);
    expect(log.truncated).toBe(true);
    const poll = await registry.poll({ scopeKey: 's', id: run.id });
    expect(poll.output.length).toBe(30_000);
    expect(poll.droppedChars).toBeGreaterThan(99_000_000);
    expect(registry.list({ scopeKey: 's' })[0]).toMatchObject({ truncated: true });
    expect(registry.snapshot().finished[0]!.tail.length).toBe(2_000);
    // 100 MB went through; far less than that stays on the heap.
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
    expect(heapGrowth).toBeLessThan(64 * 1024 * 1024);
  });

  it('honours a configured smaller cap and keeps the newest output', async () => {
    const registry = makeRegistry({ maxOutputChars: 1_000, maxPendingChars: 1_000 });
    const run = await registry.exec({ command: 'seq 1 2000', scopeKey: 's', background: true });
    await nextExit(registry, run.id);
    const log = registry.log({ scopeKey: 's', id: run.id, limit: 2 });
    expect(log.output).toBe('1999\n2000');
    expect(log.totalChars).toBe(1_000);
    expect(log.truncated).toBe(true);
  });

  it('interleaves stdout and stderr in poll and pages log by lines', async () => {
    const registry = makeRegistry();
    const run = await registry.exec({
      command: 'for i in $(seq 1 250); do echo "line $i"; done; echo oops >&2',
      scopeKey: 's',
      background: true,
    });
    await nextExit(registry, run.id);
    const all = registry.log({ scopeKey: 's', id: run.id });
    expect(all.lineCount).toBe(200);
    expect(all.totalLines).toBe(251);
    expect(all.offset).toBe(51);
    expect(all.hint).toBe('showing last 200 of 251 lines; pass offset/limit to page');
    expect(registry.log({ scopeKey: 's', id: run.id, offset: 1, limit: 2 }).output).toBe('line 2\nline 3');
    expect(registry.log({ scopeKey: 's', id: run.id, limit: 2 }).output).toBe('line 250\noops');
    const poll = await registry.poll({ scopeKey: 's', id: run.id });
    expect(poll.output.endsWith('line 250\noops\n')).toBe(true);
    expect((await registry.poll({ scopeKey: 's', id: run.id })).output).toBe('');
  });

  it('poll with waitMs returns as soon as output arrives', async () => {
    const registry = makeRegistry();
    const run = await registry.exec({ command: 'sleep 0.2; echo hello; sleep 30', scopeKey: 's', background: true });
    const first = await registry.poll({ scopeKey: 's', id: run.id, waitMs: 10_000 });
    expect(first).toMatchObject({ status: 'running', output: 'hello\n' });
  });
});

describe('exit drain under a blocked event loop', () => {
  it("keeps every shell's last line when the loop is too busy to read before the drain timer fires", async () => {
    const registry = makeRegistry({ exitDrainMs: 100, maxRetainedChars: 100_000_000 });
    // A check-phase callback blocks the loop 300 ms per turn: an exit seen in one poll phase has
    // its drain timer due before the next poll phase can read what the shell wrote last.
    let isBlocking = true;
    const spin = (): void => {
      if (!isBlocking) return;
      const until = Date.now() + 300;
      while (Date.now() < until) {
        // busy on purpose
      }
      setImmediate(spin);
    };
    setImmediate(spin);
    const ids: string[] = [];
    try {
      const exits: Promise<unknown>[] = [];
      for (let i = 0; i < 20; i++) {
        const run = await registry.exec({ command: `yes flood | head -c 999996; echo LAST-${i}`, scopeKey: 's', background: true });
        ids.push(run.id);
        exits.push(nextExit(registry, run.id));
      }
      await Promise.all(exits);
    } finally {
      isBlocking = false;
    }
    const lost = ids.filter((id, i) => registry.log({ scopeKey: 's', id, limit: 1 }).output !== `LAST-${i}`);
    expect(lost).toEqual([]);
  });
});
