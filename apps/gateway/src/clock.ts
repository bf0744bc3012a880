import { randomUUID } from 'node:crypto';

/** Opaque timer handle. */
export type TimerHandle = unknown;

/**
 * The gateway's one clock. Structurally the `Clock` of process-registry and heartbeat-router and
 * the `SpawnerClock` of subagent-spawn, so the same instance is handed to every package factory;
 * a test passes a fake one and advances time instead of sleeping.
 */
export interface GatewayClock {
  /** Epoch milliseconds. */
  now(): number;
  /** Unref'd timer (never keeps the process alive). */
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The gateway's one id source (run ids, session ids, event ids, job ids, sub-agent run ids). */
export type IdSource = () => string;

/** The real clock: `Date.now` and unref'd timers. */
export function createSystemClock(): GatewayClock {
  return {
    now: () => Date.now(),
    setTimeout(callback, delayMs) {
      const handle = globalThis.setTimeout(callback, Math.max(0, delayMs));
      handle.unref();
      return handle;
    },
    clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
  };
}

/** Random UUIDs. */
export const randomIdSource: IdSource = () => randomUUID();
