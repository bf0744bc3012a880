import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from './options.js';
import { type ProcIdentity, type ProcStat, isIdentityAlive, listLiveProcesses, readProcEnvVar, readProcStat } from './proc.js';

export { readProcStat, isIdentityAlive, type ProcIdentity, type ProcStat };

/** Live (non-zombie) pids whose process group is `pgid`. */
export function listProcessGroupPids(pgid: number): number[] {
  return listLiveProcesses()
    .filter((p) => p.pgid === pgid)
    .map((p) => p.pid);
}

/** Live pids whose environment carries `PINCER_PROCESS_ID=<id>` (group members and escapees alike). */
export function listMarkedPids(id: string): number[] {
  return listLiveProcesses()
    .filter((p) => readProcEnvVar(p.pid, 'PINCER_PROCESS_ID') === id)
    .map((p) => p.pid);
}

/** Identity (pid + /proc start time) of a live process, or undefined. */
export function identityOf(pid: number): ProcIdentity | undefined {
  const stat = readProcStat(pid);
  return stat ? { pid, startTime: stat.startTime } : undefined;
}

/** The identities among `identities` that are still alive (same pid and start time, not a zombie). */
export function survivors(identities: readonly ProcIdentity[]): ProcIdentity[] {
  return identities.filter(isIdentityAlive);
}

/** Polls `predicate` every `intervalMs` until it is true or `timeoutMs` passes; returns the last value. */
export async function waitFor(predicate: () => boolean, timeoutMs = 5_000, intervalMs = 10): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (predicate()) return true;
    if (Date.now() >= end) return false;
    await sleep(intervalMs);
  }
}

/** A manual clock for TTL/timeout tests: time moves only through `advance`. */
export interface FakeClock extends Clock {
  /** Moves time forward, firing due timers in order. */
  advance(ms: number): void;
  /** Timers not yet fired. */
  pendingTimers(): number;
}

/** Creates a `FakeClock` starting at `startMs` (epoch ms, default 1 700 000 000 000). */
export function createFakeClock(startMs = 1_700_000_000_000): FakeClock {
  let now = startMs;
  let nextId = 1;
  const timers = new Map<number, { at: number; callback: () => void }>();
  return {
    now: () => now,
    setTimeout: (callback, ms) => {
      const id = nextId++;
      timers.set(id, { at: now + Math.max(0, ms), callback });
      return id;
    },
    clearTimeout: (handle) => {
      timers.delete(handle as number);
    },
    advance: (ms) => {
      const target = now + ms;
      for (let guard = 0; guard < 100_000; guard++) {
        let dueId: number | undefined;
        let dueAt = Number.POSITIVE_INFINITY;
        for (const [id, t] of timers) if (t.at <= target && t.at < dueAt) [dueId, dueAt] = [id, t.at];
        if (dueId === undefined) break;
        const timer = timers.get(dueId)!;
        timers.delete(dueId);
        now = Math.max(now, timer.at);
        timer.callback();
      }
      now = target;
    },
    pendingTimers: () => timers.size,
  };
}
