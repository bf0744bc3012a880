import { PROCESS_MARKER_ENV } from './kill-tree.js';
import { isDeadState, listLiveProcesses, readProcEnvVar, type ProcStat } from './proc.js';

/** The shell whose process tree {@link listProcessTree} reads: what a snapshot or journal record says. */
export interface ProcessTreeTarget {
  /** The shell's id: unique across the journal, and the marker (`PINCER_PROCESS_ID`) its processes carry — bwrap's launcher for a sandboxed shell. */
  readonly id: string;
  /** The leader's pid (the shell, or bwrap's launcher when sandboxed); undefined when it never started. */
  readonly pid: number | undefined;
}

/** Upper bound on the processes one read follows (the kill ceremony's own bound). */
const MAX_TREE_PROCESSES = 8_192;

/**
 * The live processes a kill of this shell would end, by one read of `/proc` (read-only: nothing is
 * signalled). The same membership the kill ceremony starts from: the leader — trusted only while
 * it still carries the shell's env marker, so a reused pid never counts — and the members of its
 * process group started after it, every process carrying the marker (escapees that called
 * `setsid`), and every descendant of those by parent pid. For a sandboxed shell the descendants of
 * bwrap's launcher are its pid namespace (its init, the shell and everything they started, orphans
 * included: they are re-parented to the namespace's init). Pids ascending; empty once it all ended.
 */
export function listProcessTree(target: ProcessTreeTarget): number[] {
  const processes = listLiveProcesses();
  const children = new Map<number, ProcStat[]>();
  for (const stat of processes) {
    const siblings = children.get(stat.ppid);
    if (siblings) siblings.push(stat);
    else children.set(stat.ppid, [stat]);
  }
  const hasMarker = (pid: number): boolean => readProcEnvVar(pid, PROCESS_MARKER_ENV) === target.id;
  const leader = target.pid === undefined ? undefined : processes.find((stat) => stat.pid === target.pid);
  const trustedLeader = leader !== undefined && hasMarker(leader.pid) ? leader : undefined;
  const queue: ProcStat[] = [];
  for (const stat of processes) {
    if (stat.pid === process.pid) continue;
    const inGroup = trustedLeader !== undefined && stat.pgid === trustedLeader.pid && stat.startTime >= trustedLeader.startTime;
    if (inGroup || stat === trustedLeader || hasMarker(stat.pid)) queue.push(stat);
  }
  const found = new Set<number>();
  for (let index = 0; index < queue.length && found.size < MAX_TREE_PROCESSES; index++) {
    const stat = queue[index]!;
    if (found.has(stat.pid) || isDeadState(stat.state)) continue;
    found.add(stat.pid);
    for (const child of children.get(stat.pid) ?? []) queue.push(child);
  }
  return [...found].sort((left, right) => left - right);
}
