// biome-ignore lint/style/noRestrictedImports: the kill ceremony and exit drain wait on real processes in wall-clock time (grace against /proc); a fake clock cannot make a real process exit.
import { setTimeout as sleep } from 'node:timers/promises';
import { ProcessRegistryError } from './errors.js';
import type { KillCeremonyOptions, KillCeremonyResult } from './kill-tree.js';
import {
  type ProcIdentity,
  type ProcStat,
  isDeadState,
  isIdentityAlive,
  listPids,
  readPidNamespace,
  readProcStat,
  sendSignal,
} from './proc.js';

/** One look at every process outside the host's pid namespace, grouped by namespace. */
interface NamespaceScan {
  /** `Date.now()` when the scan started. */
  readonly takenAt: number;
  /** Live (non-zombie) processes by the inode of the pid namespace they are in. */
  readonly byNamespace: ReadonlyMap<number, readonly ProcStat[]>;
  /** Live processes of any non-host namespace, by parent pid (for namespaces nested in a sandbox). */
  readonly byParent: ReadonlyMap<number, readonly ProcStat[]>;
}

/**
 * Scans `/proc` for processes in pid namespaces other than this process's own; concurrent kill
 * ceremonies share one scan when it is recent enough for each of them.
 */
export interface NamespaceScanner {
  /** A scan that started at or after `notBefore` (epoch ms): cached when one is, else a new one. */
  scan(notBefore: number): NamespaceScan;
  /** Live members of the namespace `pidNamespace`, and of namespaces nested in it, from a scan not older than `notBefore`. */
  members(pidNamespace: number, notBefore: number): ProcStat[];
  /**
   * The oldest start time a caller that tolerates staleness should accept now: `maxAgeMs` ago, or
   * twice the last scan's duration ago when scans are slow (so concurrent ceremonies share scans
   * instead of rescanning back to back). Never used where a fresh scan is the proof.
   */
  relaxed(maxAgeMs: number): number;
}

/** Creates a scanner; the registry owns one (no module state). */
export function createNamespaceScanner(): NamespaceScanner {
  const hostNamespace = readPidNamespace('self');
  let last: NamespaceScan | undefined;
  let lastDurationMs = 0;

  const scan = (notBefore: number): NamespaceScan => {
    if (last !== undefined && last.takenAt >= notBefore) return last;
    const takenAt = Date.now();
    const byNamespace = new Map<number, ProcStat[]>();
    const byParent = new Map<number, ProcStat[]>();
    for (const pid of listPids()) {
      const namespace = readPidNamespace(pid);
      if (namespace === undefined || namespace === hostNamespace) continue;
      const stat = readProcStat(pid);
      if (!stat || isDeadState(stat.state)) continue;
      const inNamespace = byNamespace.get(namespace);
      if (inNamespace) inNamespace.push(stat);
      else byNamespace.set(namespace, [stat]);
      const siblings = byParent.get(stat.ppid);
      if (siblings) siblings.push(stat);
      else byParent.set(stat.ppid, [stat]);
    }
    last = { takenAt, byNamespace, byParent };
    lastDurationMs = Date.now() - takenAt;
    return last;
  };

  const members = (pidNamespace: number, notBefore: number): ProcStat[] => {
    const current = scan(notBefore);
    const found = new Map<number, ProcStat>();
    const queue = [...(current.byNamespace.get(pidNamespace) ?? [])];
    // A process can only create a nested pid namespace as a descendant of a member: follow parents.
    for (let index = 0; index < queue.length && index < 65_536; index++) {
      const stat = queue[index]!;
      if (found.has(stat.pid)) continue;
      found.set(stat.pid, stat);
      for (const child of current.byParent.get(stat.pid) ?? []) queue.push(child);
    }
    return [...found.values()];
  };

  const relaxed = (maxAgeMs: number): number => Date.now() - Math.max(maxAgeMs, 2 * lastDurationMs);

  return { scan, members, relaxed };
}

/** What a sandboxed shell's kill targets: its pid namespace, whose init is bwrap's child. */
export interface NamespaceKillTarget {
  /** Inode of the sandbox's pid namespace (`/proc/<pid>/ns/pid`). */
  readonly pidNamespace: number;
  /** The namespace's pid 1 as seen from the host; when it dies the kernel kills every member. Undefined once it is gone. */
  readonly init: ProcIdentity | undefined;
  /**
   * Epoch ms when the namespace was known to exist. Members never appear in an emptied namespace,
   * so any scan started after this that finds it empty proves it empty.
   */
  readonly knownAt: number;
}

/**
 * The kill ceremony of a sandboxed shell, on kernel-owned membership: SIGTERM (and SIGCONT, so a
 * stopped process can act on it) to every member but the namespace's init → grace, TERMing newly
 * forked members too, ending early once no member but init is left → SIGKILL to init, which makes
 * the kernel kill every process in the namespace (and in namespaces nested in it) → wait until a
 * fresh `/proc` scan finds no live member. Rejects with `KILL_FAILED` after `confirmTimeoutMs`.
 */
export async function runNamespaceKillCeremony(
  target: NamespaceKillTarget,
  scanner: NamespaceScanner,
  options: KillCeremonyOptions,
): Promise<KillCeremonyResult> {
  const started = Date.now();
  const termed = new Set<string>();
  const identityKey = (stat: ProcStat): string => `${stat.pid}:${stat.startTime}`;
  const isInit = (stat: ProcStat): boolean =>
    target.init !== undefined && stat.pid === target.init.pid && stat.startTime === target.init.startTime;
  let tracked = 0;
  let members = scanner.members(target.pidNamespace, Math.max(target.knownAt, scanner.relaxed(options.pollIntervalMs)));
  if (members.length === 0) return { signal: null, trackedCount: 0 };

  // A scan is at most one poll interval old: re-check the start time so a reused pid is never signalled.
  const signalSame = (stat: ProcStat, signal: NodeJS.Signals): void => {
    if (readProcStat(stat.pid)?.startTime === stat.startTime) sendSignal(stat.pid, signal);
  };
  const termNew = (current: readonly ProcStat[]): void => {
    for (const stat of current) {
      const key = identityKey(stat);
      if (isInit(stat) || termed.has(key)) continue;
      termed.add(key);
      signalSame(stat, 'SIGTERM');
      signalSame(stat, 'SIGCONT');
    }
    tracked = Math.max(tracked, termed.size + 1);
  };
  const killInit = (): void => {
    if (target.init !== undefined && isIdentityAlive(target.init)) sendSignal(target.init.pid, 'SIGKILL');
  };

  termNew(members);
  let signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM';
  const graceEnd = started + options.graceMs;
  for (;;) {
    const others = members.filter((stat) => !isInit(stat));
    if (others.length === 0) break;
    if (Date.now() >= graceEnd) {
      signal = 'SIGKILL';
      break;
    }
    await sleep(Math.min(options.pollIntervalMs, Math.max(1, graceEnd - Date.now())));
    // During the grace a scan up to one interval old will do (shared with concurrent ceremonies):
    // a member it missed gets TERM next round, and "nobody left" only leads to killing init.
    members = scanner.members(target.pidNamespace, scanner.relaxed(options.pollIntervalMs));
    termNew(members);
  }

  // Only init is left (signal SIGTERM) or the grace ran out (SIGKILL): either way init goes now.
  killInit();
  // Init is a member, so a scan started after it was signalled that finds nobody saw it dead, and
  // nothing can join a namespace whose init is gone: that scan is the kernel's confirmation.
  const initKilledAt = Date.now();
  const confirmEnd = initKilledAt + options.confirmTimeoutMs;
  for (;;) {
    await sleep(options.pollIntervalMs);
    // Newer than the previous round's scan, and never from before init was signalled.
    members = scanner.members(target.pidNamespace, Math.max(initKilledAt, Date.now() - options.pollIntervalMs));
    if (members.length === 0) break;
    if (Date.now() >= confirmEnd) {
      throw new ProcessRegistryError(
        'KILL_FAILED',
        `Processes ${members.map((stat) => stat.pid).join(', ')} of a sandbox survived SIGKILL for ${options.confirmTimeoutMs} ms; check for uninterruptible (D-state) processes.`,
      );
    }
    // Init may be gone while members are still being torn down, or a nested init may linger.
    killInit();
    for (const stat of members) signalSame(stat, 'SIGKILL');
  }
  // Nothing but init was alive (the shell had already ended): nothing of the user's needed a signal.
  return { signal: termed.size === 0 ? null : signal, trackedCount: tracked };
}

/** Reads bwrap's `--info-fd` JSON (`{"child-pid": N, "pid-namespace": M, …}`) into a kill target. */
export function namespaceFromInfo(text: string | undefined): NamespaceKillTarget | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const knownAt = Date.now();
  let info: unknown;
  try {
    // bwrap writes one JSON object; anything after it is ignored.
    const end = text.indexOf('}');
    info = JSON.parse(end >= 0 ? text.slice(0, end + 1) : text);
  } catch {
    return undefined;
  }
  if (typeof info !== 'object' || info === null) return undefined;
  const childPid = (info as Record<string, unknown>)['child-pid'];
  const reported = (info as Record<string, unknown>)['pid-namespace'];
  if (typeof childPid !== 'number' || !Number.isInteger(childPid) || childPid <= 1) return undefined;
  const namespace = readPidNamespace(childPid);
  const stat = readProcStat(childPid);
  const pidNamespace = typeof reported === 'number' ? reported : namespace;
  if (pidNamespace === undefined) return undefined;
  // The init is only trusted while /proc shows it in the reported namespace (never a reused pid).
  const init =
    stat !== undefined && namespace === pidNamespace && !isDeadState(stat.state) ? { pid: childPid, startTime: stat.startTime } : undefined;
  return { pidNamespace, init, knownAt };
}

/**
 * Finds the namespace bwrap (`launcherPid`) created, by its child in another pid namespace (used
 * under a PTY, where no info fd can be passed). Polls until found, the launcher is gone, or `timeoutMs`.
 */
export async function discoverNamespace(launcher: ProcIdentity, timeoutMs: number): Promise<NamespaceKillTarget | undefined> {
  const hostNamespace = readPidNamespace('self');
  const end = Date.now() + timeoutMs;
  for (;;) {
    for (const pid of listPids()) {
      const stat = readProcStat(pid);
      if (stat?.ppid !== launcher.pid || isDeadState(stat.state)) continue;
      const pidNamespace = readPidNamespace(pid);
      if (pidNamespace !== undefined && pidNamespace !== hostNamespace)
        return { pidNamespace, init: { pid, startTime: stat.startTime }, knownAt: Date.now() };
    }
    if (!isIdentityAlive(launcher) || Date.now() >= end) return undefined;
    await sleep(2);
  }
}
