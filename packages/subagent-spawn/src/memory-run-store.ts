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

  function mustGet(runId: string): SubagentRunRecord {
    const record = runs.get(runId);
    if (!record) throw new SubagentSpawnError('RUN_NOT_FOUND', `No sub-agent run with id "${runId}".`);
    return record;
  }

  function latestFor(childSessionKey: string): SubagentRunRecord | undefined {
    let latest: SubagentRunRecord | undefined;
    for (const record of runs.values()) {
      if (record.childSessionKey === childSessionKey) latest = record; // Map keeps insertion order
    }
    return latest;
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
        throw new SubagentSpawnError(
          'SESSION_BUSY',
          `Session "${record.childSessionKey}" already has a running sub-agent run.`,
        );
      }
      runs.set(record.runId, copy(parsed.data));
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
      let count = 0;
      for (const record of runs.values()) {
        if (record.status === 'running' && record.requesterSessionKey === requesterSessionKey) count += 1;
      }
      return count;
    },
    countActive() {
      let count = 0;
      for (const record of runs.values()) if (record.status === 'running') count += 1;
      return count;
    },
    markFinished(runId, finish: RunFinish) {
      const record = mustGet(runId);
      if (record.status !== 'running') return false;
      const announcement = AnnouncementRecordSchema.parse(finish.announcement);
      const next: SubagentRunRecord = { ...record, status: finish.status, endedAt: finish.endedAt, announcement };
      if (finish.result !== undefined) next.result = finish.result;
      if (finish.error !== undefined) next.error = finish.error;
      runs.set(runId, copy(next));
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
