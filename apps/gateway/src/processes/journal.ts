import type { ProcessJournal, ProcessJournalRecord } from '@pincer/process-registry';
import type { GatewayClock } from '../clock.js';
import type { EventBus } from '../events/event-bus.js';
import type { GatewayMetrics } from '../metrics.js';
import { JOURNAL_MAX_FINISHED, PROCESS_STARTING_STATUS, type GatewayStore, type ProcessStart } from '../store/gateway-store.js';

/** The journal keeps the newest {@link JOURNAL_MAX_FINISHED} finished processes: pruned at start and every this many exits. */
export const JOURNAL_PRUNE_EVERY_EXITS = 50;

/**
 * Test-only: with this variable set to `1` the gateway SIGKILLs itself right after spawning a shell,
 * before its pid is journaled (the crash window of issue 14 item 22). Never set it in production.
 */
export const CRASH_AFTER_SPAWN_ENV = 'PINCER_TEST_CRASH_AFTER_SPAWN';

/** The journal row of a registry record (the reap identity goes into `record`). */
export function toJournalStart(record: ProcessJournalRecord, gatewayPid: number, status: string = record.status): ProcessStart {
  return {
    id: record.id,
    pid: record.pid ?? null,
    scopeKey: record.scopeKey,
    sessionKey: record.sessionKey ?? null,
    command: record.command,
    cwd: record.cwd,
    startedAt: record.startedAt,
    status,
    record: { procStartTime: record.procStartTime, bootId: record.bootId, isBackgrounded: record.isBackgrounded, sandbox: record.sandbox },
    gatewayPid,
  };
}

/**
 * process-registry's journal hooks over `store.processes`: ids checked against every row (ids never
 * repeat), a `starting` row before the spawn, completed with pid and start time on start, output batches
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
  const isCrashAfterSpawn = process.env[CRASH_AFTER_SPAWN_ENV] === '1';
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
    isIdTaken: (id) => store.processes.has(id),
    onBeforeSpawn(record) {
      // Throws when the id is taken or the disk is full: the registry then refuses the spawn.
      store.processes.start(toJournalStart(record, process.pid, PROCESS_STARTING_STATUS));
    },
    onStart(record) {
      if (isCrashAfterSpawn && record.pid !== undefined) process.kill(process.pid, 'SIGKILL');
      const start = toJournalStart(record, process.pid);
      if (!store.processes.started(record.id, start)) store.processes.start(start);
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
