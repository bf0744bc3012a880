import type { ProcessJournal, ProcessJournalRecord } from '@pincer/process-registry';
import type { GatewayClock } from '../clock.js';
import type { EventBus } from '../events/event-bus.js';
import type { GatewayMetrics } from '../metrics.js';
import { JOURNAL_MAX_FINISHED, type GatewayStore, type ProcessStart } from '../store/gateway-store.js';

/** The journal keeps the newest {@link JOURNAL_MAX_FINISHED} finished processes: pruned at start and every this many exits. */
export const JOURNAL_PRUNE_EVERY_EXITS = 50;

/** The journal row of a registry record (the reap identity goes into `record`). */
export function toJournalStart(record: ProcessJournalRecord, gatewayPid: number): ProcessStart {
  return {
    id: record.id,
    pid: record.pid ?? null,
    scopeKey: record.scopeKey,
    sessionKey: record.sessionKey ?? null,
    command: record.command,
    cwd: record.cwd,
    startedAt: record.startedAt,
    status: record.status,
    record: { procStartTime: record.procStartTime, bootId: record.bootId, isBackgrounded: record.isBackgrounded, sandbox: record.sandbox },
    gatewayPid,
  };
}

/**
 * process-registry's journal hooks over `store.processes`: rows on start, output batches
 * (one transaction per registry flush, however many shells wrote), exit status, pruning,
 * `process.*` events for SSE.
 */
export function createProcessJournal(options: {
  store: GatewayStore;
  clock: GatewayClock;
  metrics: GatewayMetrics;
  bus: EventBus;
}): ProcessJournal {
  const { store, clock, metrics, bus } = options;
  let exitsSincePrune = 0;
  // The registry flushes every shell's batch in one go: collect them and write once per tick.
  const pendingOutput = new Map<string, string>();
  let isFlushQueued = false;
  const flushOutput = () => {
    isFlushQueued = false;
    if (pendingOutput.size === 0 || !store.isOpen) return;
    const batches = [...pendingOutput];
    pendingOutput.clear();
    store.transaction(() => {
      for (const [id, text] of batches) store.processes.appendOutput(id, text);
    });
  };
  return {
    onStart(record) {
      store.processes.start(toJournalStart(record, process.pid));
      metrics.processesStarted.inc();
      if (record.sessionKey)
        bus.publish({ type: 'process.started', sessionKey: record.sessionKey, id: record.id, command: record.command });
    },
    onOutput(id, batch) {
      const text = batch.map((chunk) => chunk.text).join('');
      if (text === '') return;
      pendingOutput.set(id, (pendingOutput.get(id) ?? '') + text);
      if (!isFlushQueued) {
        isFlushQueued = true;
        setImmediate(flushOutput);
      }
    },
    onExit(record) {
      flushOutput();
      store.processes.exit(record.id, {
        status: record.status,
        exitCode: record.exitCode,
        signal: record.signal,
        endedAt: record.endedAt ?? clock.now(),
        tail: record.tail,
        truncated: record.truncated,
      });
      if (++exitsSincePrune >= JOURNAL_PRUNE_EVERY_EXITS) {
        exitsSincePrune = 0;
        store.processes.prune(JOURNAL_MAX_FINISHED);
      }
      if (record.sessionKey) {
        bus.publish({
          type: 'process.exited',
          sessionKey: record.sessionKey,
          id: record.id,
          status: record.status,
          exitCode: record.exitCode,
          signal: record.signal,
        });
      }
    },
  };
}
