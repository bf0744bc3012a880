/** Opaque handle returned by {@link Clock.setTimeout}. */
export type TimerHandle = unknown;

/**
 * Time source injected into every time-dependent instance, so tests can use fake timers.
 * `now()` is epoch milliseconds; `setTimeout` delays are milliseconds.
 */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/**
 * The real clock: `Date.now` and the global timers, looked up at call time so
 * `vi.useFakeTimers()` applies even to instances created before it was called.
 * Timers are `unref`'d so a pending heartbeat never keeps the process alive.
 */
export function createSystemClock(): Clock {
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
