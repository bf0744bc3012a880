/**
 * FIFO lanes: at most one task per lane key at a time (in submission order), and at most
 * `maxConcurrent` tasks across all lanes. Pure in-process promise queues; instance state only.
 */
export interface Lanes {
  /** Queue `fn` on `key`'s lane; resolves/rejects with its result. */
  run<T>(key: string, fn: () => Promise<T>): Promise<T>;
  /** True while `key` has a running or queued task. */
  isBusy(key: string): boolean;
  /** Tasks running now (all lanes). */
  active(): number;
  /** Tasks queued or running (all lanes). */
  pending(): number;
  /** Resolves when every lane is idle. */
  idle(): Promise<void>;
}

/** Create lanes with a global concurrency cap (default 4). */
export function createLanes(options: { maxConcurrent?: number } = {}): Lanes {
  const max = Math.max(1, options.maxConcurrent ?? 4);
  const tails = new Map<string, Promise<unknown>>();
  const counts = new Map<string, number>();
  let running = 0;
  let pendingTotal = 0;
  const waiters: Array<() => void> = [];
  const idleWaiters: Array<() => void> = [];

  const acquire = async (): Promise<void> => {
    if (running < max) {
      running++;
      return;
    }
    await new Promise<void>((resolve) => waiters.push(resolve));
    // the releaser transferred its slot to us (running unchanged)
  };
  const release = (): void => {
    const next = waiters.shift();
    if (next) next();
    else running--;
  };

  return {
    run<T>(key: string, fn: () => Promise<T>): Promise<T> {
      counts.set(key, (counts.get(key) ?? 0) + 1);
      pendingTotal++;
      const prev = tails.get(key) ?? Promise.resolve();
      const task = prev
        .catch(() => undefined)
        .then(async () => {
          await acquire();
          try {
            return await fn();
          } finally {
            release();
          }
        });
      const settled: Promise<unknown> = task
        .catch(() => undefined)
        .finally(() => {
          const n = (counts.get(key) ?? 1) - 1;
          if (n <= 0) {
            counts.delete(key);
            if (tails.get(key) === settled) tails.delete(key);
          } else counts.set(key, n);
          pendingTotal--;
          if (pendingTotal === 0) for (const w of idleWaiters.splice(0)) w();
        });
      tails.set(key, settled);
      return task;
    },
    isBusy: (key) => (counts.get(key) ?? 0) > 0,
    active: () => running,
    pending: () => pendingTotal,
    idle: () => (pendingTotal === 0 ? Promise.resolve() : new Promise<void>((r) => idleWaiters.push(r))),
  };
}
