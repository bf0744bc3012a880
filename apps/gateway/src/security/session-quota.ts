/**
 * Item 12 (issue 14): fairness. A per-session counter with a cap, used beside each global cap
 * (running shells, queued runs, SSE streams), so one session cannot take every slot.
 */

/** Per-session defaults (documented in the gateway README, beside the global caps). */
export const DEFAULT_SESSION_CAPS = {
  /** Running shells per session (global `exec.maxRunning` 64). */
  maxRunningShellsPerSession: 16,
  /** Turns queued or running per session (global `gateway.maxQueuedRuns` 1 000). */
  maxQueuedRunsPerSession: 100,
  /** Open SSE streams naming a session (global `gateway.maxEventStreams` 64). */
  maxStreamsPerSession: 8,
} as const;

/** A per-session counter. */
export interface SessionQuota {
  readonly limit: number;
  /** Take one slot for `sessionKey`; returns its release function, or undefined at the cap. */
  tryAcquire(sessionKey: string): (() => void) | undefined;
  /** Slots in use by `sessionKey`. */
  count(sessionKey: string): number;
  /** Sessions holding at least one slot. */
  size(): number;
}

/** Create a {@link SessionQuota} with `limit` slots per session (≥ 1). */
export function createSessionQuota(limit: number): SessionQuota {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`per-session limit must be an integer ≥ 1, got ${limit}`);
  const used = new Map<string, number>();
  return {
    limit,
    tryAcquire(sessionKey) {
      const current = used.get(sessionKey) ?? 0;
      if (current >= limit) return undefined;
      used.set(sessionKey, current + 1);
      let isReleased = false;
      return () => {
        if (isReleased) return;
        isReleased = true;
        const left = (used.get(sessionKey) ?? 1) - 1;
        if (left <= 0) used.delete(sessionKey);
        else used.set(sessionKey, left);
      };
    },
    count: (sessionKey) => used.get(sessionKey) ?? 0,
    size: () => used.size,
  };
}
