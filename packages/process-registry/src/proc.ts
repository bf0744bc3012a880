import { closeSync, existsSync, openSync, readSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

/** One line of `/proc/<pid>/stat`, the fields the registry needs. */
export interface ProcStat {
  readonly pid: number;
  readonly ppid: number;
  readonly pgid: number;
  readonly sid: number;
  /** Single-letter state (`R`, `S`, `D`, `Z`, `X`, …). */
  readonly state: string;
  /** Field 22: start time in clock ticks since boot; with the pid it identifies a process. */
  readonly startTime: number;
}

/** A process identity that survives pid reuse: pid + start time. */
export interface ProcIdentity {
  readonly pid: number;
  readonly startTime: number;
}

/**
 * One read of a small procfs file (stat lines are < 1 KiB): open/read/close without readFileSync's
 * fstat and buffer growth, several times faster when a kill ceremony scans every process.
 */
function readSmallProcFile(path: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const buffer = Buffer.allocUnsafe(2048);
    const length = readSync(fd, buffer, 0, buffer.length, 0);
    return buffer.toString('latin1', 0, length);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Reads and parses `/proc/<pid>/stat`; `undefined` when the process does not exist. */
export function readProcStat(pid: number): ProcStat | undefined {
  const text = readSmallProcFile(`/proc/${pid}/stat`);
  if (text === undefined) return undefined;
  // comm (field 2) may contain spaces and parentheses: fields restart after the last ')'.
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const rest = text.slice(close + 2).split(' ');
  const state = rest[0] ?? '';
  const ppid = Number(rest[1]);
  const pgid = Number(rest[2]);
  const sid = Number(rest[3]);
  const startTime = Number(rest[19]);
  if (!Number.isFinite(ppid) || !Number.isFinite(startTime)) return undefined;
  return { pid, ppid, pgid, sid, state, startTime };
}

/** True when the state means "no longer running" (zombie or dead). */
export function isDeadState(state: string): boolean {
  return state === 'Z' || state === 'X' || state === 'x';
}

/** True while `identity` still names a live (non-zombie) process: same pid **and** start time. */
export function isIdentityAlive(identity: ProcIdentity): boolean {
  const stat = readProcStat(identity.pid);
  return stat !== undefined && stat.startTime === identity.startTime && !isDeadState(stat.state);
}

/** Every pid currently listed in `/proc`. */
export function listPids(): number[] {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const name of names) {
    const c = name.charCodeAt(0);
    if (c >= 48 && c <= 57) {
      const pid = Number(name);
      if (Number.isInteger(pid)) pids.push(pid);
    }
  }
  return pids;
}

/** Stats of every live process (zombies excluded). */
export function listLiveProcesses(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const pid of listPids()) {
    const stat = readProcStat(pid);
    if (stat && !isDeadState(stat.state)) out.push(stat);
  }
  return out;
}

/** Reads one variable from `/proc/<pid>/environ` (the environment the process was exec'd with). */
export function readProcEnvVar(pid: number, name: string): string | undefined {
  let raw: string;
  try {
    raw = readFileSync(`/proc/${pid}/environ`, 'utf8');
  } catch {
    return undefined;
  }
  const prefix = `${name}=`;
  for (const entry of raw.split('\0')) {
    if (entry.startsWith(prefix)) return entry.slice(prefix.length);
  }
  return undefined;
}

/** The kernel boot id, so identities from a previous boot are never trusted. */
export function readBootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** True when some process (zombies included) still has process group `pgid`. */
export function processGroupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Sends `signal` to a pid or (negative) group; ignores ESRCH. Returns whether it was delivered. */
export function sendSignal(target: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(target, signal);
    return true;
  } catch {
    return false;
  }
}

/** The pid namespace inode of `pid` (`/proc/<pid>/ns/pid` → `pid:[N]`), or undefined when unreadable. */
export function readPidNamespace(pid: number | 'self'): number | undefined {
  let link: string;
  try {
    link = readlinkSync(`/proc/${pid}/ns/pid`);
  } catch {
    return undefined;
  }
  const match = /^pid:\[(\d+)\]$/.exec(link);
  return match ? Number(match[1]) : undefined;
}

/** True when procfs is mounted at `procRoot` (`<procRoot>/self/stat` exists). */
export function hasProcfs(procRoot: string): boolean {
  return existsSync(join(procRoot, 'self', 'stat'));
}
