import type { GatewayStore } from '../gateway-store.js';
import { createSqliteAnnouncementTable } from './announcements.js';
import { createSqliteAuditTable } from './audit-log.js';
import { createSqliteCronTable } from './cron.js';
import { createSqliteCredentialTable } from './credentials.js';
import { openDatabase } from './migrations.js';
import { createSqliteProcessJournalTable } from './process-journal.js';
import { createSqliteRunTable } from './runs.js';
import { createSqliteSessionTable } from './sessions.js';
import { createSqliteSubagentRunStore } from './subagent-runs.js';
import { createSqliteSystemEventTable } from './system-events.js';
import { createSqliteTranscriptTable } from './transcripts.js';

/**
 * Open the SQLite store at `file` (WAL, migrated to the latest schema). Statements are prepared
 * once here; each table module owns its SQL. better-sqlite3 is synchronous, so `transaction(fn)`
 * is a plain (nestable) SQLite transaction.
 */
export function createSqliteGatewayStore(file: string): GatewayStore {
  const db = openDatabase(file);
  return {
    sessions: createSqliteSessionTable(db),
    transcripts: createSqliteTranscriptTable(db),
    systemEvents: createSqliteSystemEventTable(db),
    runs: createSqliteRunTable(db),
    processes: createSqliteProcessJournalTable(db),
    subagentRuns: createSqliteSubagentRunStore(db),
    announcements: createSqliteAnnouncementTable(db),
    cron: createSqliteCronTable(db),
    credentials: createSqliteCredentialTable(db),
    audit: createSqliteAuditTable(db),
    transaction: (fn) => db.transaction(fn)(),
    get isOpen() {
      return db.open;
    },
    close() {
      if (!db.open) return;
      try {
        db.pragma('wal_checkpoint(TRUNCATE)');
      } catch {
        // best effort: the WAL is replayed on the next open
      }
      db.close();
    },
  };
}
