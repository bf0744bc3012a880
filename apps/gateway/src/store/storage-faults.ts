import { closeSync, openSync, readSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { GatewayError } from '../errors.js';

/**
 * Item 15 (issue 14): storage faults get typed answers and lose nothing.
 *
 * - {@link classifyStorageError} maps SQLite's `SQLITE_FULL` / `SQLITE_IOERR*` / corruption codes
 *   to `storage_full` (HTTP 507), `storage_io` (503) or `storage_corrupt` (503).
 * - {@link createStorageRetryQueue} keeps writes that failed with a full disk (queued events,
 *   exit notices) in memory, bounded, and retries them until space returns.
 * - {@link checkDatabaseFile} runs before the database is opened: a zero-byte file or a file that
 *   is not SQLite, or one whose `PRAGMA quick_check` fails, is refused — never started empty.
 */

/** A storage fault kind. */
export type StorageFaultKind = 'storage_full' | 'storage_io' | 'storage_corrupt';

/** HTTP status per fault kind. */
export const STORAGE_FAULT_STATUS: Record<StorageFaultKind, number> = {
  storage_full: 507,
  storage_io: 503,
  storage_corrupt: 503,
};

/** Operator-facing message per fault kind. */
export const STORAGE_FAULT_MESSAGE: Record<StorageFaultKind, string> = {
  storage_full: 'the state dir’s disk is full; free space — queued events and exit notices are kept and retried',
  storage_io: 'the database could not be read or written (I/O error); check the state dir’s disk',
  storage_corrupt: 'the database is damaged; stop the gateway and restore pincer.db from a backup',
};

/** The fault kind of an error thrown by better-sqlite3, the PostgreSQL store (its SQLSTATE) or a Node fs ENOSPC, else undefined. */
export function classifyStorageError(error: unknown): StorageFaultKind | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string') return undefined;
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT') return 'storage_full';
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT_')) return 'storage_corrupt';
  // A database (or its -wal/-shm) that became read-only or unopenable while running.
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN')) return 'storage_io';
  // PostgreSQL SQLSTATEs (the PostgreSQL store): 53100 disk full, other class 53 out of
  // resources, XX001/XX002 data or index corrupted.
  if (code === '53100') return 'storage_full';
  if (/^53[0-9A-Z]{3}$/.test(code)) return 'storage_io';
  if (code === 'XX001' || code === 'XX002') return 'storage_corrupt';
  if (code === 'SQLITE_IOERR' || code.startsWith('SQLITE_IOERR_') || code === 'EIO') {
    // SQLite reports a full disk during some writes as an I/O error with ENOSPC underneath.
    return /disk is full|no space/i.test(String((error as { message?: unknown }).message)) ? 'storage_full' : 'storage_io';
  }
  return undefined;
}

/** Options of {@link createStorageRetryQueue}. */
export interface StorageRetryQueueOptions {
  /** Retry interval (ms). Default 5 000. */
  retryMs?: number;
  /** Writes kept at most; beyond it the oldest is dropped and counted. Default 10 000. */
  maxPending?: number;
  /** Called when a retry fails with something other than a full disk (the write is dropped). */
  onError?: (error: unknown) => void;
  /** Timer functions (tests). */
  setInterval?: (callback: () => void, ms: number) => { unref?: () => void };
  clearInterval?: (handle: unknown) => void;
}

/** A queue of writes waiting for disk space. */
export interface StorageRetryQueue {
  /** Run `write` now; if the disk is full, keep it for a retry and return false. Other errors throw. */
  run(write: () => void): boolean;
  /** Retry the kept writes in order, stopping at the first that still finds the disk full. Returns how many landed. */
  flush(): number;
  /** Writes waiting. */
  pending(): number;
  /** Writes dropped because the queue was full. */
  dropped(): number;
  close(): void;
}

/** Create a {@link StorageRetryQueue}. */
export function createStorageRetryQueue(options: StorageRetryQueueOptions = {}): StorageRetryQueue {
  const retryMs = options.retryMs ?? 5_000;
  const maxPending = options.maxPending ?? 10_000;
  const schedule = options.setInterval ?? ((callback: () => void, ms: number) => setInterval(callback, ms));
  const cancel = options.clearInterval ?? ((handle: unknown) => clearInterval(handle as NodeJS.Timeout));
  const waiting: Array<() => void> = [];
  let droppedCount = 0;
  let timer: { unref?: () => void } | undefined;

  const flush = (): number => {
    let landed = 0;
    while (waiting.length > 0) {
      const write = waiting[0]!;
      try {
        write();
      } catch (error) {
        if (classifyStorageError(error) === 'storage_full') break;
        options.onError?.(error);
      }
      waiting.shift();
      landed += 1;
    }
    if (waiting.length === 0 && timer) {
      cancel(timer);
      timer = undefined;
    }
    return landed;
  };

  return {
    run(write) {
      if (waiting.length === 0) {
        try {
          write();
          return true;
        } catch (error) {
          if (classifyStorageError(error) !== 'storage_full') throw error;
        }
      }
      // Keep order: while earlier writes wait, later ones queue behind them.
      waiting.push(write);
      if (waiting.length > maxPending) {
        waiting.shift();
        droppedCount += 1;
      }
      if (!timer) {
        timer = schedule(flush, retryMs);
        timer.unref?.();
      }
      return false;
    },
    flush,
    pending: () => waiting.length,
    dropped: () => droppedCount,
    close() {
      if (timer) cancel(timer);
      timer = undefined;
    },
  };
}

/** Why {@link checkDatabaseFile} refused a file. */
export type DatabaseFileProblem = 'empty' | 'not_sqlite' | 'damaged';

/** Result of {@link checkDatabaseFile}. */
export type DatabaseFileCheck = { isUsable: true; isNew: boolean } | { isUsable: false; problem: DatabaseFileProblem; message: string };

const SQLITE_HEADER = 'SQLite format 3\u0000';

/**
 * Check a database file before opening it: absent → usable (a new one is created); zero bytes,
 * a foreign header or a failing `PRAGMA quick_check` → refused with a message naming the file.
 */
export function checkDatabaseFile(file: string): DatabaseFileCheck {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { isUsable: true, isNew: true };
    throw error;
  }
  const restore = `stop the gateway, move ${file} (and its -wal/-shm) aside and restore it from a backup, or remove it to start empty`;
  if (size === 0)
    return { isUsable: false, problem: 'empty', message: `database ${file} is empty (0 bytes), not started empty silently; ${restore}` };
  const header = Buffer.alloc(16);
  const descriptor = openSync(file, 'r');
  try {
    readSync(descriptor, header, 0, 16, 0);
  } finally {
    closeSync(descriptor);
  }
  if (header.toString('latin1') !== SQLITE_HEADER) {
    return { isUsable: false, problem: 'not_sqlite', message: `database ${file} is not an SQLite database; ${restore}` };
  }
  let verdict: string;
  try {
    const database = new Database(file, { readonly: true, fileMustExist: true });
    try {
      const rows = database.pragma('quick_check(5)') as Array<{ quick_check: string }>;
      verdict = rows.map((row) => row.quick_check).join('; ');
    } finally {
      database.close();
    }
  } catch (error) {
    const bindingProblem = describeSqliteBindingError(error);
    if (bindingProblem !== undefined) throw new GatewayError('unavailable', bindingProblem, { cause: error });
    verdict = (error as Error).message;
  }
  if (verdict !== 'ok') return { isUsable: false, problem: 'damaged', message: `database ${file} is damaged (${verdict}); ${restore}` };
  return { isUsable: true, isNew: false };
}

/**
 * better-sqlite3's native addon could not be loaded: never built (pnpm 10 skips dependency build
 * scripts until they are allowed), or built for another Node.js ABI. Returns the message an
 * operator can act on, or undefined for any other error.
 */
export function describeSqliteBindingError(error: unknown): string | undefined {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null | undefined)?.code;
  const isBinding =
    code === 'ERR_DLOPEN_FAILED' ||
    /Could not locate the bindings file|better_sqlite3\.node|NODE_MODULE_VERSION|compiled against a different Node\.js version/.test(
      message,
    );
  if (!isBinding) return undefined;
  const detail = message.split('\n', 1)[0]?.slice(0, 300) ?? '';
  return (
    `better-sqlite3's native addon could not be loaded on Node.js ${process.version} (${detail}). ` +
    'It is compiled when it is installed: under pnpm 10 allow its build (`pnpm approve-builds`, or ' +
    '"pnpm": { "onlyBuiltDependencies": ["better-sqlite3"] } in package.json) and reinstall; after a Node.js upgrade run ' +
    '`npm rebuild better-sqlite3` (or `pnpm rebuild better-sqlite3`).'
  );
}
