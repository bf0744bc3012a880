import { GatewayError } from '../../errors.js';
import type { GatewayStore } from '../gateway-store.js';
import { createPostgresAnnouncementTable } from './announcements.js';
import { createPostgresAuditTable } from './audit-log.js';
import { createPostgresClusterTable } from './cluster.js';
import { createPostgresCronTable } from './cron.js';
import { createPostgresCredentialTable } from './credentials.js';
import { migratePostgres, POSTGRES_MIGRATION_LOCK } from './migrations.js';
import { createPostgresProcessJournalTable } from './process-journal.js';
import { createPostgresRunTable } from './runs.js';
import { createPostgresSessionTable } from './sessions.js';
import { createPostgresSubagentRunStore } from './subagent-runs.js';
import { openSyncPostgresClient, type SyncPostgresClient } from './sync-client.js';
import { createPostgresSystemEventTable } from './system-events.js';
import { createPostgresTranscriptTable } from './transcripts.js';

/** Options of {@link createPostgresGatewayStore}. */
export interface PostgresGatewayStoreOptions {
  /**
   * The schema the store's tables live in (created when missing): an unquoted lower-case SQL
   * identifier, at most 63 chars. Default: the connection's `search_path` (normally `public`).
   */
  schema?: string | undefined;
  /** The longest one statement (or the connect) may take. Default 15 s (`POSTGRES_STATEMENT_TIMEOUT_MS`). */
  timeoutMs?: number | undefined;
  /**
   * Hold the schema for this store alone while it is open (a session advisory lock, released when
   * the connection ends, a crash included); another exclusive open of the schema is refused with
   * `unavailable`. The gateway server opens its store so: several gateways on one schema need the
   * node coordination of cluster mode (`nodeId`). Default false.
   */
  exclusive?: boolean | undefined;
  /**
   * Cluster mode: this gateway's node id (`[a-z0-9][a-z0-9_-]{0,62}`). The rows it writes carry it,
   * it reads back only its own queued events and runs to finalize, and `store.cluster` coordinates
   * it with the other nodes on the schema. Exclusive with `exclusive`. Default none (one gateway).
   */
  nodeId?: string | undefined;
}

/** Node ids the store accepts. */
export const NODE_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** The advisory-lock class of an exclusive store (with the schema's hash as the second key): "PIND". */
export const POSTGRES_EXCLUSIVE_LOCK = 0x50494e44;

/**
 * Take the schema's lock, or refuse: a single gateway (`exclusive`) holds it alone; cluster nodes
 * hold it shared, so a single gateway and a cluster never run on one schema at once.
 */
function holdSchema(client: SyncPostgresClient, schema: string | undefined, mode: 'exclusive' | 'shared'): void {
  const fn = mode === 'exclusive' ? 'pg_try_advisory_lock' : 'pg_try_advisory_lock_shared';
  const held = client.query<{ held: boolean }>(`SELECT ${fn}($1, hashtext(COALESCE(current_schema(), ''))) AS held`, [
    POSTGRES_EXCLUSIVE_LOCK,
  ]).rows[0]?.held;
  if (held === true) return;
  const name = schema ?? 'public';
  throw new GatewayError(
    'unavailable',
    mode === 'exclusive'
      ? `another gateway holds PostgreSQL schema "${name}": one gateway per database schema, unless every gateway on it runs in cluster mode (config \`cluster\`); or give each its own store.schema`
      : `a single gateway (not in cluster mode) holds PostgreSQL schema "${name}": stop it, or run every gateway on the schema in cluster mode`,
    { field: 'store.schema' },
  );
}

/** Schema names the store accepts (they go into `search_path` unquoted). */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Open the PostgreSQL store at `url` (a `postgres://` connection string), migrated to the latest
 * schema (gateways opening the same schema at once take turns on an advisory lock). One
 * connection, answered synchronously (see `sync-client.ts`); each table method is one statement
 * where it can be (a process-output append over the cap and a sub-agent finish are a read and a
 * compare-and-swap write). `transaction(fn)` is BEGIN/COMMIT, ROLLBACK when `fn` throws; a nested
 * call joins the outer transaction as a savepoint (a nested throw undoes only its own writes, as
 * in SQLite). A statement that fails inside a transaction aborts it in PostgreSQL: the commit then
 * throws a `conflict` error instead of committing part of `fn`.
 */
export function createPostgresGatewayStore(url: string, options: PostgresGatewayStoreOptions = {}): GatewayStore {
  if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) {
    throw new GatewayError('invalid_config', `PostgreSQL schema ${JSON.stringify(options.schema)} must match ${SCHEMA_NAME.source}`, {
      field: 'schema',
    });
  }
  const nodeId = options.nodeId;
  if (nodeId !== undefined && !NODE_ID_PATTERN.test(nodeId)) {
    throw new GatewayError('invalid_config', `node id ${JSON.stringify(nodeId)} must match ${NODE_ID_PATTERN.source}`, { field: 'nodeId' });
  }
  if (nodeId !== undefined && options.exclusive === true) {
    throw new GatewayError('invalid_config', 'a cluster node shares its schema: nodeId and exclusive exclude each other', {
      field: 'nodeId',
    });
  }
  const raw = openSyncPostgresClient(url, { schema: options.schema, timeoutMs: options.timeoutMs });
  let depth = 0;
  let aborted = false;
  // Every statement of the tables goes through here: a failure inside a transaction is remembered.
  const client: SyncPostgresClient = {
    query(sql, params) {
      try {
        return raw.query(sql, params);
      } catch (error) {
        if (depth > 0) aborted = true;
        throw error;
      }
    },
    exec(sql) {
      try {
        raw.exec(sql);
      } catch (error) {
        if (depth > 0) aborted = true;
        throw error;
      }
    },
    get isOpen() {
      return raw.isOpen;
    },
    close: () => raw.close(),
  };
  try {
    if (options.schema !== undefined) createSchema(raw, options.schema);
    if (options.exclusive === true) holdSchema(raw, options.schema, 'exclusive');
    if (nodeId !== undefined) holdSchema(raw, options.schema, 'shared');
    if (nodeId !== undefined) raw.query("SELECT set_config('pincer.node_id', $1, false)", [nodeId]);
    migratePostgres(raw);
  } catch (error) {
    raw.close();
    throw error;
  }

  const quietly = (sql: string) => {
    try {
      raw.query(sql);
    } catch {
      // the connection is gone, or there is nothing to undo; the server rolls back either way
    }
  };
  const outermost = <T>(fn: () => T): T => {
    raw.query('BEGIN');
    depth = 1;
    aborted = false;
    try {
      const value = fn();
      if (aborted) {
        throw new GatewayError('conflict', 'a statement of this transaction failed, so PostgreSQL aborted it; nothing was committed');
      }
      raw.query('COMMIT');
      return value;
    } catch (error) {
      quietly('ROLLBACK');
      throw error;
    } finally {
      depth = 0;
      aborted = false;
    }
  };
  const nested = <T>(fn: () => T): T => {
    const savepoint = `pincer_nested_${depth}`;
    client.query(`SAVEPOINT ${savepoint}`);
    depth += 1;
    try {
      const value = fn();
      client.query(`RELEASE SAVEPOINT ${savepoint}`);
      return value;
    } catch (error) {
      if (raw.isOpen) {
        try {
          raw.query(`ROLLBACK TO SAVEPOINT ${savepoint}`);
          raw.query(`RELEASE SAVEPOINT ${savepoint}`);
          aborted = false; // the savepoint's rollback undoes the failure
        } catch {
          aborted = true;
        }
      }
      throw error;
    } finally {
      depth -= 1;
    }
  };

  return {
    sessions: createPostgresSessionTable(client),
    transcripts: createPostgresTranscriptTable(client),
    systemEvents: createPostgresSystemEventTable(client),
    runs: createPostgresRunTable(client),
    processes: createPostgresProcessJournalTable(client),
    subagentRuns: createPostgresSubagentRunStore(client),
    announcements: createPostgresAnnouncementTable(client),
    cron: createPostgresCronTable(client),
    credentials: createPostgresCredentialTable(client),
    audit: createPostgresAuditTable(client),
    ...(nodeId !== undefined ? { cluster: createPostgresClusterTable(client, nodeId) } : {}),
    transaction: (fn) => (depth === 0 ? outermost(fn) : nested(fn)),
    get isOpen() {
      return raw.isOpen;
    },
    close() {
      if (raw.isOpen) raw.close();
    },
  };
}

/** Create the schema unless it exists (under the migration lock: concurrent creates would collide). */
function createSchema(client: SyncPostgresClient, schema: string): void {
  client.query('BEGIN');
  try {
    client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [POSTGRES_MIGRATION_LOCK, schema]);
    client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    client.query('COMMIT');
  } catch (error) {
    try {
      client.query('ROLLBACK');
    } catch {
      // the connection is gone
    }
    throw error;
  }
}
