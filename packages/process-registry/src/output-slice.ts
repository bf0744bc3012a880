/** The part of a readable stream {@link createOutputSlicer} needs. */
export interface PausableStream {
  pause(): unknown;
  resume(): unknown;
  readonly destroyed?: boolean;
}

/** Default time one event-loop turn may spend handling shell output before shells are paused, ms. */
export const DEFAULT_OUTPUT_SLICE_MS = 4;

/**
 * Bounds the time one event-loop turn spends on shell output. libuv reads up to 32 chunks of
 * 64 KiB per ready pipe per turn, so 100 shells flooding output keep one turn busy for hundreds of
 * milliseconds and every HTTP request waits behind them. The slicer starts a slice at the first
 * chunk of a turn; the first chunk after the slice ran out pauses every tracked stream (that chunk
 * is still handled: nothing is dropped), and they all resume in the turn's check phase
 * (`setImmediate`), after the sockets that were waiting had their turn. A paused pipe fills and
 * blocks its writer, so a flooding shell slows down instead of the gateway buffering for it.
 */
export interface OutputSlicer {
  /** Follow `stream` until it closes (it is paused with the others when a slice runs out). */
  track(stream: PausableStream & { once(event: 'close', listener: () => void): unknown }): void;
  /** Call at the start of handling a chunk of `stream`. */
  onChunk(stream: PausableStream): void;
  /** Streams paused now (for tests and stats). */
  pausedCount(): number;
}

/** A slicer for every stream of a process (`sliceMs` > 0). */
export function createOutputSlicer(options: { sliceMs?: number; now?: () => number } = {}): OutputSlicer {
  const sliceMs = options.sliceMs ?? DEFAULT_OUTPUT_SLICE_MS;
  const now = options.now ?? (() => performance.now());
  const tracked = new Set<PausableStream>();
  const paused = new Set<PausableStream>();
  let sliceStartedAt: number | undefined;

  const endSlice = () => {
    sliceStartedAt = undefined;
    for (const stream of paused) if (stream.destroyed !== true) stream.resume();
    paused.clear();
  };

  return {
    track(stream) {
      tracked.add(stream);
      stream.once('close', () => {
        tracked.delete(stream);
        paused.delete(stream);
      });
    },
    onChunk(stream) {
      const at = now();
      if (sliceStartedAt === undefined) {
        sliceStartedAt = at;
        setImmediate(endSlice);
        return;
      }
      if (paused.size > 0 || at - sliceStartedAt <= sliceMs) return;
      for (const each of tracked.size > 0 ? tracked : [stream]) {
        each.pause();
        paused.add(each);
      }
      if (!tracked.has(stream)) {
        stream.pause();
        paused.add(stream);
      }
    },
    pausedCount: () => paused.size,
  };
}

/** The one slicer of this process: the event loop is shared, so the budget is too. */
export const sharedOutputSlicer: OutputSlicer = createOutputSlicer();
