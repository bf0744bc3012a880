import {
  AUDIT_DEFAULT_PAGE,
  AUDIT_RETENTION_DEFAULTS,
  clipAuditField,
  type AuditEntry,
  type AuditQuery,
  type AuditRecord,
} from './audit-record.js';
import type { AuditStore } from './credential-store.js';

/** Options of {@link createAuditLog}. */
export interface AuditLogOptions {
  store: AuditStore;
  /** Rows kept (oldest deleted first). Default 100 000 (config `gateway.audit.maxRows`). */
  maxRows?: number | undefined;
  /** Rows older than this are deleted, ms. Default 30 days (config `gateway.audit.maxAgeDays`). */
  maxAgeMs?: number | undefined;
  /** Appends between pruning passes. Default 256. */
  pruneEveryAppends?: number | undefined;
  /** Clock, epoch ms. Default `Date.now`. */
  now?: (() => number) | undefined;
  /** Told when a row cannot be written (the action it describes has already happened). */
  onError?: ((error: unknown, entry: AuditEntry) => void) | undefined;
}

/** The audit log: append-only, bounded by rows and age, pruned as it grows and at start. */
export interface AuditLog {
  /** Append one row (`at` defaults to now); `undefined` when the write failed (see `onError`). */
  record(entry: Omit<AuditEntry, 'at'> & { at?: number }): AuditRecord | undefined;
  /** Rows in ascending order (see {@link AuditStore.list}); `limit` defaults to 100. */
  list(query?: AuditQuery): AuditRecord[];
  /** Apply retention now; returns how many rows were deleted. */
  prune(): number;
}

/** Create the audit log over a store; prunes once at creation. */
export function createAuditLog(options: AuditLogOptions): AuditLog {
  const clock = options.now ?? Date.now;
  const maxRows = options.maxRows ?? AUDIT_RETENTION_DEFAULTS.maxRows;
  const maxAgeMs = options.maxAgeMs ?? AUDIT_RETENTION_DEFAULTS.maxAgeMs;
  const pruneEvery = Math.max(1, options.pruneEveryAppends ?? AUDIT_RETENTION_DEFAULTS.pruneEveryAppends);
  let appendsSincePrune = 0;
  const prune = (): number => options.store.prune({ olderThan: clock() - maxAgeMs, maxRows });
  prune();
  return {
    record(input) {
      const entry: AuditEntry = {
        at: input.at ?? clock(),
        credentialId: clipAuditField(input.credentialId),
        sourceAddress: clipAuditField(input.sourceAddress),
        action: input.action,
        target: clipAuditField(input.target),
        result: input.result,
        detail: clipAuditField(input.detail),
      };
      try {
        const stored = options.store.append(entry);
        appendsSincePrune += 1;
        if (appendsSincePrune >= pruneEvery) {
          appendsSincePrune = 0;
          prune();
        }
        return stored;
      } catch (error) {
        options.onError?.(error, entry);
        return undefined;
      }
    },
    list(query = {}) {
      return options.store.list({ ...query, limit: query.limit ?? AUDIT_DEFAULT_PAGE });
    },
    prune,
  };
}
