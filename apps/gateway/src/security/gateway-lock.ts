import { linkSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GatewayError } from '../errors.js';

/**
 * Item 14 (issue 14): one gateway per state dir, without flock (not in Node's standard library).
 * The lock is `<stateDir>/gateway.lock`, created exclusively (`link(2)` of a fully written temp
 * file, so nobody ever reads a half-written lock). It records the holder's pid and its kernel
 * start time (`/proc/<pid>/stat` field 22), so a lock left by a SIGKILLed gateway is recognised
 * as stale even when its pid was reused by another process.
 */

/** File name of the lock inside the state dir. */
export const GATEWAY_LOCK_FILE = 'gateway.lock';
const MAX_ACQUIRE_ATTEMPTS = 5;

/** What the lock file holds. */
export interface GatewayLockInfo {
  pid: number;
  /** Kernel start time of `pid` (clock ticks since boot), `null` where `/proc` is unavailable. */
  startTime: number | null;
  /** Wall-clock ms when the lock was taken. */
  acquiredAt: number;
  /** URL once the gateway listens. */
  url?: string;
}

/** A held lock. */
export interface GatewayLock {
  readonly file: string;
  /** Record the URL the gateway listens on (shown to a refused second gateway). */
  setUrl(url: string): void;
  /** Remove the lock if it is still ours. Idempotent. */
  release(): void;
}

/** Kernel start time of a process from `/proc/<pid>/stat`, or null (no /proc, or no such process). */
export function readProcessStartTime(pid: number): number | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // comm (field 2) may hold spaces and parentheses: fields after the last ')' are fixed.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const value = Number(fields[19]); // field 22 overall = index 19 after "state" (field 3)
  return Number.isFinite(value) ? value : null;
}

function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when the process the lock names is still the one that took it. */
export function isLockHolderAlive(info: GatewayLockInfo): boolean {
  if (!Number.isInteger(info.pid) || info.pid <= 0 || !isPidAlive(info.pid)) return false;
  if (info.startTime === null) return true;
  const current = readProcessStartTime(info.pid);
  // No /proc now but a start time recorded: fall back to the pid check alone.
  return current === null ? true : current === info.startTime;
}

function parseLock(text: string): GatewayLockInfo | undefined {
  try {
    const value = JSON.parse(text) as Partial<GatewayLockInfo>;
    if (typeof value.pid !== 'number') return undefined;
    return {
      pid: value.pid,
      startTime: typeof value.startTime === 'number' ? value.startTime : null,
      acquiredAt: typeof value.acquiredAt === 'number' ? value.acquiredAt : 0,
      ...(typeof value.url === 'string' ? { url: value.url } : {}),
    };
  } catch {
    return undefined;
  }
}

/** Read the lock of a state dir: the live holder, or undefined (no lock, stale or unreadable lock). */
export function readGatewayLock(stateDir: string): GatewayLockInfo | undefined {
  let text: string;
  try {
    text = readFileSync(join(stateDir, GATEWAY_LOCK_FILE), 'utf8');
  } catch {
    return undefined;
  }
  const info = parseLock(text);
  return info && isLockHolderAlive(info) ? info : undefined;
}

function describeHolder(info: GatewayLockInfo): string {
  return `pid ${info.pid}${info.url ? `, ${info.url}` : ''}`;
}

function writeAtomically(file: string, info: GatewayLockInfo): void {
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(info)}\n`, { mode: 0o600 });
  renameSync(temp, file);
}

/**
 * Take the state dir's gateway lock, or throw `GatewayError('conflict')` naming the running
 * gateway (pid and URL) and what to do. A stale lock (dead holder, or its pid reused) is
 * replaced: it is first renamed aside and re-read, so two starters never both win.
 */
export function acquireGatewayLock(stateDir: string): GatewayLock {
  const file = join(stateDir, GATEWAY_LOCK_FILE);
  const mine: GatewayLockInfo = { pid: process.pid, startTime: readProcessStartTime(process.pid), acquiredAt: Date.now() };
  const temp = `${file}.${process.pid}.${mine.acquiredAt}.new`;
  writeFileSync(temp, `${JSON.stringify(mine)}\n`, { mode: 0o600 });
  try {
    for (let attempt = 0; attempt < MAX_ACQUIRE_ATTEMPTS; attempt++) {
      try {
        linkSync(temp, file);
        return createHeldLock(file, mine);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        continue; // removed in between: try again
      }
      const holder = parseLock(text);
      if (holder && isLockHolderAlive(holder)) {
        throw new GatewayError(
          'conflict',
          `another gateway is running on state dir ${stateDir} (${describeHolder(holder)}); stop it first (kill ${holder.pid}) or pass another --state-dir`,
        );
      }
      // Stale: move it aside under a name only we use, then check we moved the stale one.
      const aside = `${file}.${process.pid}.stale`;
      try {
        renameSync(file, aside);
      } catch {
        continue;
      }
      const moved = readFileSync(aside, 'utf8');
      if (moved !== text) {
        // A live starter replaced the stale lock between our read and rename: put it back.
        try {
          linkSync(aside, file);
        } catch {
          // someone else holds it now; the next attempt reads it
        }
      }
      rmSync(aside, { force: true });
    }
    throw new GatewayError(
      'conflict',
      `could not take the gateway lock ${file} after ${MAX_ACQUIRE_ATTEMPTS} attempts; another gateway is starting`,
    );
  } finally {
    rmSync(temp, { force: true });
  }
}

function createHeldLock(file: string, mine: GatewayLockInfo): GatewayLock {
  let isReleased = false;
  const isStillMine = (): boolean => {
    try {
      const info = parseLock(readFileSync(file, 'utf8'));
      return info?.pid === mine.pid && info.acquiredAt === mine.acquiredAt;
    } catch {
      return false;
    }
  };
  return {
    file,
    setUrl(url) {
      if (isReleased || !isStillMine()) return;
      mine.url = url;
      writeAtomically(file, mine);
    },
    release() {
      if (isReleased) return;
      isReleased = true;
      if (isStillMine()) rmSync(file, { force: true });
    },
  };
}
