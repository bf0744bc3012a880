import type { ProcessJournal, ProcessJournalRecord } from '@pincer/process-registry';
import type { GatewayClock } from '../clock.js';
import type { EventBus } from '../events/event-bus.js';
import type { GatewayMetrics } from '../metrics.js';
import {
  JOURNAL_MAX_FINISHED,
  JOURNAL_MAX_OUTPUT_CHARS,
  PROCESS_STARTING_STATUS,
  type GatewayStore,
  type ProcessStart,
} from '../store/gateway-store.js';

/** How often journaled output is written, ms (what a crash can lose of a shell's output). */
export const JOURNAL_FLUSH_INTERVAL_MS = 50;

/**
 * Chars of output one flush writes at most, over every shell (the shells that did not fit go
 * first next time). Bounds how long a flush holds the event loop when many shells flood output.
 */
export const JOURNAL_FLUSH_BUDGET_CHARS = 250_000;

/** A shell's output waiting to be journaled: chunks in order, and what was dropped before them. */
interface PendingOutput {
  chunks: string[];
  chars: number;
  droppedChars: number;
}

/** Drop whole chunks the journal could never read back (more than the cap after them), counted. */
function dropUnretainable(pending: PendingOutput): void {
  while (pending.chunks.length > 1 && pending.chars - pending.chunks[0]!.length >= JOURNAL_MAX_OUTPUT_CHARS) {
    const dropped = pending.chunks.shift()!;
    pending.chars -= dropped.length;
    pending.droppedChars += dropped.length;
  }
}

/** The pending text cut to the cap (at a code-point boundary), with every dropped char counted. */
function retainableText(pending: PendingOutput): { text: string; droppedChars: number } {
  const text = pending.chunks.join('');
  if (text.length <= JOURNAL_MAX_OUTPUT_CHARS) return { text, droppedChars: pending.droppedChars };
  let cut = text.length - JOURNAL_MAX_OUTPUT_CHARS;
  const code = text.charCodeAt(cut);
  // Never keep the second half of a surrogate pair.
  if (code >= 0xdc00 && code <= 0xdfff) cut += 1;
  return { text: text.slice(cut), droppedChars: pending.droppedChars + cut };
}

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
 * repeat), a `starting` row before the spawn, completed with pid and start time on start, output
 * (every {@link JOURNAL_FLUSH_INTERVAL_MS} in one transaction of at most
 * {@link JOURNAL_FLUSH_BUDGET_CHARS}, a shell's own output written before its exit), exit status, pruning,
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
  // Output waiting to be written, per shell: at most the retained cap (older chars can never be
  // read back, so they are dropped here and counted, and the row is marked truncated).
  const pendingOutput = new Map<string, PendingOutput>();
  let isFlushScheduled = false;
  const scheduleFlush = () => {
    if (isFlushScheduled) return;
    isFlushScheduled = true;
    setTimeout(() => {
      isFlushScheduled = false;
      flushOutput();
    }, JOURNAL_FLUSH_INTERVAL_MS);
  };
  const writeOne = (id: string) => {
    const pending = pendingOutput.get(id);
    if (!pending) return;
    pendingOutput.delete(id);
    const { text, droppedChars } = retainableText(pending);
    store.processes.appendOutput(id, text, { droppedChars });
  };
  const flushOutput = () => {
    if (pendingOutput.size === 0 || !store.isOpen) return;
    let budget = JOURNAL_FLUSH_BUDGET_CHARS;
    store.transaction(() => {
      // Map order: the shells written last time were re-inserted at the end, so every shell gets its turn.
      for (const [id, pending] of pendingOutput) {
        if (budget <= 0) break;
        budget -= Math.min(pending.chars, JOURNAL_MAX_OUTPUT_CHARS);
        writeOne(id);
      }
    });
    if (pendingOutput.size > 0) scheduleFlush();
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
      const pending = pendingOutput.get(id) ?? { chunks: [], chars: 0, droppedChars: 0 };
      for (const chunk of batch) {
        if (chunk.text === '') continue;
        pending.chunks.push(chunk.text);
        pending.chars += chunk.text.length;
      }
      if (pending.chars === 0) return;
      // No copy per batch: whole chunks beyond the cap go, the cut to the cap happens once, at the write.
      dropUnretainable(pending);
      pendingOutput.set(id, pending);
      scheduleFlush();
    },
    onExit(record) {
      if (store.isOpen) writeOne(record.id);
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
