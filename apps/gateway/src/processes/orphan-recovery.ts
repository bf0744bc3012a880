import type { ProcessRegistry } from '@pincer/process-registry';
import type { Logger } from 'pino';
import type { GatewayClock } from '../clock.js';
import { JOURNAL_MAX_FINISHED, PROCESS_STARTING_STATUS, type GatewayStore } from '../store/gateway-store.js';

/** What happened to one process a previous gateway left running. */
export interface ReapedProcess {
  id: string;
  pid: number | null;
  outcome: string;
}

function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Restart recovery of shells: journal rows still `running` (or `starting`: written before the spawn,
 * the pid never journaled) from a dead gateway are reaped through the registry (identity-checked kill
 * of the tree; a pid-less row by its env marker, the shell's unique id, which an unsandboxed shell's
 * processes and a sandbox's launcher carry) and finalized, each with one notice to its session; then
 * the journal is pruned. A crash in the instant after the spawn can beat bwrap's --die-with-parent
 * (set up inside bwrap after the exec), so a pid-less sandboxed row is searched for as well.
 * Rows of another live gateway process (same state dir) are not ours to reap.
 */
export async function reapOrphanedProcesses(options: {
  store: GatewayStore;
  registry: ProcessRegistry;
  clock: GatewayClock;
  logger: Logger;
  /** Queues the one notice a shell's session gets about it (called after the row is finalized). */
  notify?: ((notice: { sessionKey: string; id: string; text: string }) => void) | undefined;
  /** Cluster mode: this node's id; only its own rows are reaped (another node's are its, or its survivor's). */
  ownerNode?: string | undefined;
}): Promise<ReapedProcess[]> {
  const { store, registry, clock, logger } = options;
  const isOrphan = (row: { gatewayPid: number | null; ownerNode?: string | null | undefined }) =>
    (row.ownerNode ?? undefined) === options.ownerNode &&
    (row.gatewayPid === null || row.gatewayPid === process.pid || !isPidAlive(row.gatewayPid));
  const leftovers = [
    ...store.processes.list({ status: 'running' }),
    ...store.processes.list({ status: 'finished' }).filter((row) => row.status === PROCESS_STARTING_STATUS),
  ].filter(isOrphan);
  const identities = leftovers.flatMap((row) => {
    const identity = (row.record ?? {}) as { procStartTime?: number; bootId?: string };
    const bootId = identity.bootId ? { bootId: identity.bootId } : {};
    if (row.pid && identity.procStartTime !== undefined) {
      return [{ id: row.id, pid: row.pid, procStartTime: identity.procStartTime, scopeKey: row.scopeKey, ...bootId }];
    }
    // Journaled before its spawn: found by its marker alone (an unsandboxed shell's processes, a sandbox's launcher).
    if (row.status === PROCESS_STARTING_STATUS) {
      return [{ id: row.id, scopeKey: row.scopeKey, ...bootId }];
    }
    return [];
  });
  const outcomes = identities.length > 0 ? await registry.reapOrphans(identities) : [];
  const outcomeById = new Map(outcomes.map((outcome) => [outcome.id, outcome]));
  const reaped: ReapedProcess[] = [];
  for (const row of leftovers) {
    const outcome = outcomeById.get(row.id);
    const wasSandboxed = (row.record as { sandbox?: { isSandboxed?: boolean } } | null)?.sandbox?.isSandboxed === true;
    // A sandboxed shell dies with the gateway (bwrap --die-with-parent): gone at restart means killed by it.
    const isKilled = outcome?.outcome === 'killed' || (wasSandboxed && outcome?.outcome === 'not-running');
    const signal = outcome?.signal ?? (isKilled ? 'SIGKILL' : null);
    store.processes.exit(row.id, { status: isKilled ? 'killed' : 'failed', exitCode: null, signal, endedAt: clock.now() });
    reaped.push({ id: row.id, pid: row.pid, outcome: outcome?.outcome ?? 'no-record' });
    // Exactly one notice per shell: the row is no longer `running`, so a later start never sees it again.
    if (row.sessionKey && options.notify) {
      const tail = row.output.replace(/\s+/g, ' ').trim().slice(-180);
      const how = isKilled ? 'killed' : 'lost';
      const text = `Exec ${how} by a gateway restart (${row.id}: ${row.command.slice(0, 120)})${tail ? ` :: ${tail}` : ''}`;
      try {
        options.notify({ sessionKey: row.sessionKey, id: row.id, text });
      } catch (error) {
        logger.error({ err: error, id: row.id }, 'could not queue the restart notice of a shell');
      }
    }
  }
  if (reaped.length > 0) logger.warn({ reaped }, 'reaped processes left by a previous gateway');
  store.processes.prune(JOURNAL_MAX_FINISHED);
  return reaped;
}
