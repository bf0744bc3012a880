import { SubagentSpawnError } from './errors.js';
import {
  AnnouncementRecordSchema,
  SubagentRunRecordSchema,
  type AnnouncementRecord,
  type RunFinish,
  type RunListFilter,
  type SubagentRunRecord,
  type SubagentRunStore,
} from './run-store.js';

/** The in-memory run store: a synchronous {@link SubagentRunStore} plus a `size`. */
export interface InMemoryRunStore extends SubagentRunStore {
  /** Number of runs held. */
  readonly size: number;
  create(record: SubagentRunRecord): void;
  get(runId: string): SubagentRunRecord | undefined;
  findLatestByChildSessionKey(childSessionKey: string): SubagentRunRecord | undefined;
  countActiveByRequester(requesterSessionKey: string): number;
  countActive(): number;
  markFinished(runId: string, finish: RunFinish): boolean;
  updateAnnouncement(runId: string, announcement: AnnouncementRecord): void;
  listPendingAnnouncements(): SubagentRunRecord[];
  listRunning(): SubagentRunRecord[];
  list(filter?: RunListFilter): SubagentRunRecord[];
}

function copy(record: SubagentRunRecord): SubagentRunRecord {
  return structuredClone(record);
}

/**
 * A {@link SubagentRunStore} kept in memory (lost when the process exits). Records are validated on
 * the way in and copied on the way out. Share one instance between two spawners to simulate a
 * gateway restart over a persistent store.
 */
export function createInMemoryRunStore(): InMemoryRunStore {
  const runs = new Map<string, SubagentRunRecord>();
  // Indexes so every spawn check is O(1) however many runs are kept.
  const latestByChild = new Map<string, string>();
  const activeByRequester = new Map<string, number>();
  let active = 0;

  function mustGet(runId: string): SubagentRunRecord {
    const record = runs.get(runId);
    if (!record) throw new SubagentSpawnError('RUN_NOT_FOUND', `No sub-agent run with id "${runId}".`);
    return record;
  }

  function latestFor(childSessionKey: string): SubagentRunRecord | undefined {
    const runId = latestByChild.get(childSessionKey);
    return runId === undefined ? undefined : runs.get(runId);
  }

  function adjustActive(requesterSessionKey: string, delta: number): void {
    active += delta;
    const next = (activeByRequester.get(requesterSessionKey) ?? 0) + delta;
    if (next <= 0) activeByRequester.delete(requesterSessionKey);
    else activeByRequester.set(requesterSessionKey, next);
  }

  return {
    get size() {
      return runs.size;
    },
    create(record) {
      const parsed = SubagentRunRecordSchema.safeParse(record);
      if (!parsed.success) {
        throw new SubagentSpawnError('INVALID_INPUT', `Invalid run record: ${parsed.error.message}`, {
          cause: parsed.error,
        });
      }
      if (runs.has(record.runId)) {
        throw new SubagentSpawnError('RUN_EXISTS', `A sub-agent run with id "${record.runId}" already exists.`);
      }
      if (latestFor(record.childSessionKey)?.status === 'running') {
        throw new SubagentSpawnError('SESSION_BUSY', `Session "${record.childSessionKey}" already has a running sub-agent run.`);
      }
      const stored = copy(parsed.data);
      runs.set(stored.runId, stored);
      latestByChild.set(stored.childSessionKey, stored.runId);
      if (stored.status === 'running') adjustActive(stored.requesterSessionKey, 1);
    },
    get(runId) {
      const record = runs.get(runId);
      return record ? copy(record) : undefined;
    },
    findLatestByChildSessionKey(childSessionKey) {
      const record = latestFor(childSessionKey);
      return record ? copy(record) : undefined;
    },
    countActiveByRequester(requesterSessionKey) {
      return activeByRequester.get(requesterSessionKey) ?? 0;
    },
    countActive() {
      return active;
    },
    markFinished(runId, finish: RunFinish) {
      const record = mustGet(runId);
      if (record.status !== 'running') return false;
      const announcement = AnnouncementRecordSchema.parse(finish.announcement);
      const next: SubagentRunRecord = { ...record, status: finish.status, endedAt: finish.endedAt, announcement };
      if (finish.result !== undefined) next.result = finish.result;
      if (finish.error !== undefined) next.error = finish.error;
      runs.set(runId, copy(next));
      adjustActive(record.requesterSessionKey, -1);
      return true;
    },
    updateAnnouncement(runId, announcement: AnnouncementRecord) {
      const record = mustGet(runId);
      runs.set(runId, { ...record, announcement: AnnouncementRecordSchema.parse(structuredClone(announcement)) });
    },
    listPendingAnnouncements() {
      return [...runs.values()].filter((r) => r.announcement.state === 'pending').map(copy);
    },
    listRunning() {
      return [...runs.values()].filter((r) => r.status === 'running').map(copy);
    },
    list(filter: RunListFilter = {}) {
      return [...runs.values()]
        .filter(
          (r) =>
            (filter.requesterSessionKey === undefined || r.requesterSessionKey === filter.requesterSessionKey) &&
            (filter.childSessionKey === undefined || r.childSessionKey === filter.childSessionKey),
        )
        .map(copy);
    },
  };
}
