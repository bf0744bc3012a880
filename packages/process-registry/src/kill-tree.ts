// biome-ignore lint/style/noRestrictedImports: the kill ceremony and exit drain wait on real processes in wall-clock time (grace against /proc); a fake clock cannot make a real process exit.
import { setTimeout as sleep } from 'node:timers/promises';
import treeKill from 'tree-kill';
import { ProcessRegistryError } from './errors.js';
import { type ProcIdentity, isIdentityAlive, listLiveProcesses, readProcEnvVar, readProcStat, sendSignal } from './proc.js';

/**
 * The env variable an unsandboxed shell and everything it starts carry: `PINCER_PROCESS_ID=<id>`.
 * It is the only way to find a descendant that left the process group and lost its parent
 * (`setsid` + a parent that exited, a double fork); ids are unique, so the id alone names the tree.
 * Sandboxed shells carry no marker: their PID namespace holds every process they start.
 */
export const PROCESS_MARKER_ENV = 'PINCER_PROCESS_ID';

/** What the kill ceremony targets. */
export interface KillTarget {
  /**
   * Process group to signal (a session's leader pid: sessions are spawned as group leaders).
   * Undefined when no pid was ever recorded (a shell journaled just before its spawn): then only
   * processes carrying the marker are tracked, and they get SIGKILL at once.
   */
  readonly pgid: number | undefined;
  /** Processes started before this start time (clock ticks since boot) are never touched. */
  readonly minStartTime: number;
  /** Also catch processes that escaped the group and the parent chain by their env marker. */
  readonly marker?: { readonly id: string } | undefined;
  /**
   * The group leader's identity. While it is alive the group id cannot have been reused; once it
   * is gone, group members must also carry the marker (a reused pid never gets signalled).
   */
  readonly leader?: ProcIdentity | undefined;
}

/** Timing knobs of the ceremony (real time: the OS is the source of truth). */
export interface KillCeremonyOptions {
  /** Wait after SIGTERM before SIGKILL, ms. */
  readonly graceMs: number;
  /** Upper bound on waiting for the OS to confirm every process is gone after SIGKILL, ms. */
  readonly confirmTimeoutMs: number;
  /** /proc polling interval while waiting, ms. */
  readonly pollIntervalMs: number;
}

/** Outcome of one ceremony. */
export interface KillCeremonyResult {
  /** The strongest signal the group needed: `SIGTERM`, `SIGKILL`, or `null` when nothing was alive. */
  readonly signal: 'SIGTERM' | 'SIGKILL' | null;
  /** Number of distinct processes the ceremony tracked (group members, descendants, marked escapees). */
  readonly trackedCount: number;
}

interface Tracked extends ProcIdentity {
  pgid: number;
}

/** Pids the ceremony must never signal: this process and its ancestors. */
function protectedPids(): Set<number> {
  const out = new Set<number>([0, 1]);
  let pid: number | undefined = process.pid;
  for (let i = 0; i < 64 && pid !== undefined && pid > 1; i++) {
    out.add(pid);
    pid = readProcStat(pid)?.ppid;
  }
  return out;
}

/**
 * Adds what belongs to the target to `tracked`: group members, marked processes and every
 * descendant of those (wherever their group). Returns how many processes it added.
 */
function collect(target: KillTarget, tracked: Map<number, Tracked>, guard: Set<number>): number {
  const procs = listLiveProcesses();
  const children = new Map<number, number[]>();
  for (const p of procs) {
    const list = children.get(p.ppid);
    if (list) list.push(p.pid);
    else children.set(p.ppid, [p.pid]);
  }
  const byPid = new Map(procs.map((p) => [p.pid, p]));
  const queue: number[] = [];
  const leaderAlive = target.leader !== undefined && isIdentityAlive(target.leader);
  const hasMarker = (pid: number): boolean => target.marker !== undefined && readProcEnvVar(pid, PROCESS_MARKER_ENV) === target.marker.id;
  for (const p of procs) {
    if (guard.has(p.pid) || p.startTime < target.minStartTime) continue;
    let hit = tracked.has(p.pid);
    if (!hit && target.pgid !== undefined && p.pgid === target.pgid) hit = leaderAlive || hasMarker(p.pid);
    if (!hit) hit = hasMarker(p.pid);
    if (hit) queue.push(p.pid);
  }
  let added = 0;
  // Descendants, wherever their group: a child that called setsid still has its parent's pid.
  const seen = new Set<number>();
  for (let i = 0; i < queue.length && i < 8192; i++) {
    const pid = queue[i]!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    const stat = byPid.get(pid);
    if (!stat || guard.has(pid)) continue;
    const known = tracked.get(pid);
    if (!known || known.startTime !== stat.startTime) {
      tracked.set(pid, { pid, startTime: stat.startTime, pgid: stat.pgid });
      added++;
    } else {
      known.pgid = stat.pgid;
    }
    for (const child of children.get(pid) ?? []) queue.push(child);
  }
  return added;
}

function aliveTracked(tracked: Map<number, Tracked>): Tracked[] {
  const alive: Tracked[] = [];
  for (const t of tracked.values()) {
    const stat = readProcStat(t.pid);
    if (stat && stat.startTime === t.startTime && stat.state !== 'Z' && stat.state !== 'X') {
      t.pgid = stat.pgid;
      alive.push(t);
    }
  }
  return alive;
}

function treeKillAsync(pid: number): Promise<void> {
  return new Promise((resolve) => {
    treeKill(pid, 'SIGKILL', () => resolve());
  });
}

/**
 * The kill ceremony, the only way the registry stops processes:
 * SIGTERM to the group → grace → SIGKILL to the group → tree-kill for descendants that left the
 * group → wait (bounded) until /proc confirms every tracked process is gone.
 * Resolves only when nothing of the tree is alive; otherwise rejects with `KILL_FAILED`.
 */
export async function runKillCeremony(target: KillTarget, options: KillCeremonyOptions): Promise<KillCeremonyResult> {
  const guard = protectedPids();
  const ownGroup = readProcStat(process.pid)?.pgid;
  const { pgid } = target;
  if (pgid !== undefined && (pgid <= 1 || guard.has(pgid) || pgid === ownGroup)) {
    throw new ProcessRegistryError('KILL_FAILED', `Refusing to signal protected process group ${pgid}.`);
  }
  if (pgid === undefined && target.marker === undefined) {
    throw new ProcessRegistryError('KILL_FAILED', 'A kill without a process group needs a marker.');
  }
  const tracked = new Map<number, Tracked>();
  collect(target, tracked, guard);
  if (aliveTracked(tracked).length === 0) return { signal: null, trackedCount: 0 };

  const isInGroup = (entry: Tracked): boolean => pgid !== undefined && entry.pgid === pgid;
  // Marker-only targets (no group, no leader) go straight to SIGKILL: there is no group to warn.
  let signal: 'SIGTERM' | 'SIGKILL' = pgid === undefined ? 'SIGKILL' : 'SIGTERM';
  // Group signals only when a verified member exists (the group id cannot be reused meanwhile).
  const inGroupAlive = (): boolean => aliveTracked(tracked).some(isInGroup);
  const signalGroup = (sig: NodeJS.Signals): void => {
    if (pgid !== undefined && inGroupAlive()) sendSignal(-pgid, sig);
  };
  signalGroup('SIGTERM');

  const graceEnd = Date.now() + options.graceMs;
  while (inGroupAlive() && Date.now() < graceEnd) {
    await sleep(Math.min(options.pollIntervalMs, Math.max(1, graceEnd - Date.now())));
  }
  if (inGroupAlive()) {
    collect(target, tracked, guard); // anything forked during the grace period
    signal = 'SIGKILL';
    signalGroup('SIGKILL');
  }

  const confirmEnd = Date.now() + options.confirmTimeoutMs;
  for (let round = 0; ; round++) {
    // Every tenth round rescans /proc, the marker included: a tree that keeps forking makes children
    // after any scan, and one whose parent died before the next scan is found by its marker only.
    if (round % 10 === 0) collect(target, tracked, guard);
    let alive = aliveTracked(tracked);
    // Everything tracked is gone: one closing scan must find nothing new (a child forked after the
    // last scan, a marker that could not be read while its process was exec'ing), else go on.
    if (alive.length === 0 && collect(target, tracked, guard) > 0) alive = aliveTracked(tracked);
    if (alive.length === 0) break;
    if (Date.now() >= confirmEnd) {
      throw new ProcessRegistryError(
        'KILL_FAILED',
        `Processes ${alive.map((t) => t.pid).join(', ')} survived SIGKILL for ${options.confirmTimeoutMs} ms; check for uninterruptible (D-state) processes.`,
      );
    }
    const leftGroup = alive.filter((entry) => !isInGroup(entry));
    if (pgid !== undefined && alive.some(isInGroup)) sendSignal(-pgid, 'SIGKILL');
    // Descendants that left the group: tree-kill them (and whatever they started), identity checked first.
    await Promise.all(leftGroup.filter(isIdentityAlive).map((t) => treeKillAsync(t.pid)));
    for (const t of leftGroup) if (isIdentityAlive(t)) sendSignal(t.pid, 'SIGKILL');
    // Gone already: the closing scan now rather than after another poll interval.
    if (aliveTracked(tracked).length === 0 && collect(target, tracked, guard) === 0) break;
    await sleep(options.pollIntervalMs);
  }
  return { signal, trackedCount: tracked.size };
}
