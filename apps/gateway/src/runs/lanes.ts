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

/** Options of {@link createLanes}. */
export interface LanesOptions {
  /** Tasks running at once across all lanes. Default 4. */
  maxConcurrent?: number | undefined;
  /**
   * Awaited before a lane's task takes a concurrency slot, released when it ends (cluster mode:
   * the session's run lock across nodes). A rejection fails that task only.
   */
  guard?: ((key: string) => Promise<() => void>) | undefined;
}

/** Create lanes with a global concurrency cap (default 4). */
export function createLanes(options: LanesOptions = {}): Lanes {
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
          const releaseGuard = options.guard ? await options.guard(key) : undefined;
          try {
            await acquire();
            try {
              return await fn();
            } finally {
              release();
            }
          } finally {
            releaseGuard?.();
          }
        });
      const settled: Promise<unknown> = task
        .catch(() => undefined)
        .finally(() => {
          const remaining = (counts.get(key) ?? 1) - 1;
          if (remaining <= 0) {
            counts.delete(key);
            if (tails.get(key) === settled) tails.delete(key);
          } else counts.set(key, remaining);
          pendingTotal--;
          if (pendingTotal === 0) for (const wakeIdle of idleWaiters.splice(0)) wakeIdle();
        });
      tails.set(key, settled);
      return task;
    },
    isBusy: (key) => (counts.get(key) ?? 0) > 0,
    active: () => running,
    pending: () => pendingTotal,
    idle: () => (pendingTotal === 0 ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve))),
  };
}
