/** Opaque handle returned by {@link SpawnerClock.setTimeout}. */
export type TimerHandle = unknown;

/**
 * Time source injected into the spawner so run timeouts and announcement retries are testable with
 * fake timers. `now()` is epoch milliseconds; `setTimeout` delays are milliseconds.
 */
export interface SpawnerClock {
  now(): number;
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/**
 * The real clock: `Date.now` and the global timers, looked up at call time so `vi.useFakeTimers()`
 * applies even to spawners created before it was called. Timers are `unref`'d so a pending retry
 * never keeps the process alive on its own.
 */
export function createSystemClock(): SpawnerClock {
  return {
    now: () => Date.now(),
    setTimeout: (callback, delayMs) => {
      const handle = globalThis.setTimeout(callback, Math.max(0, delayMs));
      if (typeof handle === 'object' && handle !== null && 'unref' in handle) {
        (handle as { unref(): void }).unref();
      }
      return handle;
    },
    clearTimeout: (handle) => {
      globalThis.clearTimeout(handle as Parameters<typeof globalThis.clearTimeout>[0]);
    },
  };
}
