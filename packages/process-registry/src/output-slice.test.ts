import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createOutputSlicer } from './output-slice.js';

const nextCheckPhase = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('createOutputSlicer', () => {
  it('pauses every tracked stream once a turn spent its slice, and resumes them in the check phase', async () => {
    let clock = 0;
    const slicer = createOutputSlicer({ sliceMs: 4, now: () => clock });
    const streams = [new PassThrough(), new PassThrough(), new PassThrough()];
    for (const stream of streams) {
      slicer.track(stream);
      stream.resume();
    }
    slicer.onChunk(streams[0]!);
    clock = 3;
    slicer.onChunk(streams[1]!);
    expect(streams.map((stream) => stream.isPaused())).toEqual([false, false, false]);
    clock = 5;
    slicer.onChunk(streams[2]!);
    expect(streams.map((stream) => stream.isPaused())).toEqual([true, true, true]);
    expect(slicer.pausedCount()).toBe(3);
    await nextCheckPhase();
    expect(streams.map((stream) => stream.isPaused())).toEqual([false, false, false]);
    expect(slicer.pausedCount()).toBe(0);
    // A new turn starts a new slice.
    clock = 100;
    slicer.onChunk(streams[0]!);
    expect(streams[0]!.isPaused()).toBe(false);
    for (const stream of streams) stream.destroy();
  });

  it('forgets a stream once it closed', async () => {
    let clock = 0;
    const slicer = createOutputSlicer({ sliceMs: 1, now: () => clock });
    const stream = new PassThrough();
    slicer.track(stream);
    stream.destroy();
    await nextCheckPhase();
    const other = new PassThrough();
    slicer.onChunk(other);
    clock = 5;
    slicer.onChunk(other);
    expect(slicer.pausedCount()).toBe(1);
    other.destroy();
  });

  it('loses nothing of flooding shells while it pauses them', async () => {
    const slicer = createOutputSlicer({ sliceMs: 1 });
    const expectedBytes = 4 * 1024 * 1024;
    const totals = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const child = spawn('sh', ['-c', `head -c ${expectedBytes} /dev/zero | tr '\\0' 'y'`], { stdio: ['ignore', 'pipe', 'ignore'] });
        const stdout = child.stdout!;
        slicer.track(stdout);
        let received = 0;
        let pausedSeen = 0;
        stdout.on('data', (chunk: Buffer) => {
          slicer.onChunk(stdout);
          received += chunk.length;
          // Handling a chunk takes time, as the registry's does: slices run out.
          const until = performance.now() + 0.5;
          while (performance.now() < until);
          if (stdout.isPaused()) pausedSeen += 1;
        });
        await new Promise((resolve) => child.once('close', resolve));
        return { received, pausedSeen };
      }),
    );
    for (const total of totals) expect(total.received).toBe(expectedBytes);
    expect(totals.some((total) => total.pausedSeen > 0)).toBe(true);
  });
});
