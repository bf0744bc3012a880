import { mkdtempSync, openSync, rmSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkDatabaseFile, classifyStorageError, createStorageRetryQueue, describeSqliteBindingError } from './storage-faults.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pincer-storage-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A real SQLite database that runs out of pages: SQLite itself answers SQLITE_FULL. */
function fullDatabase(): Database.Database {
  const database = new Database(join(dir, 'full.db'));
  database.exec('CREATE TABLE events (body TEXT NOT NULL)');
  const pages = database.pragma('page_count', { simple: true }) as number;
  database.pragma(`max_page_count = ${pages + 2}`);
  return database;
}

describe('classifyStorageError', () => {
  it('classifies a real SQLITE_FULL from SQLite as storage_full', () => {
    const database = fullDatabase();
    let caught: unknown;
    try {
      for (let index = 0; index < 100; index++) database.prepare('INSERT INTO events VALUES (?)').run('x'.repeat(4096));
    } catch (error) {
      caught = error;
    }
    expect((caught as { code?: string }).code).toBe('SQLITE_FULL');
    expect(classifyStorageError(caught)).toBe('storage_full');
    database.close();
  });

  it('classifies I/O and corruption codes, and nothing else', () => {
    expect(classifyStorageError({ code: 'SQLITE_IOERR_WRITE', message: 'disk I/O error' })).toBe('storage_io');
    expect(classifyStorageError({ code: 'SQLITE_IOERR_WRITE', message: 'database or disk is full' })).toBe('storage_full');
    expect(classifyStorageError({ code: 'ENOSPC' })).toBe('storage_full');
    expect(classifyStorageError({ code: 'SQLITE_CORRUPT' })).toBe('storage_corrupt');
    expect(classifyStorageError({ code: 'SQLITE_READONLY_DBMOVED' })).toBe('storage_io');
    expect(classifyStorageError({ code: 'SQLITE_READONLY' })).toBe('storage_io');
    expect(classifyStorageError({ code: 'SQLITE_CANTOPEN' })).toBe('storage_io');
    expect(classifyStorageError({ code: '53100' })).toBe('storage_full');
    expect(classifyStorageError({ code: '53200' })).toBe('storage_io');
    expect(classifyStorageError({ code: 'XX001' })).toBe('storage_corrupt');
    expect(classifyStorageError({ code: '23505' })).toBeUndefined();
    expect(classifyStorageError({ code: 'SQLITE_CONSTRAINT_UNIQUE' })).toBeUndefined();
    expect(classifyStorageError(new Error('boom'))).toBeUndefined();
  });
});

describe('createStorageRetryQueue', () => {
  it('keeps writes that found the disk full, in order, and lands them when space returns', () => {
    const database = fullDatabase();
    const insert = database.prepare('INSERT INTO events VALUES (?)');
    const queue = createStorageRetryQueue({ setInterval: () => ({}), clearInterval: () => undefined });
    const results: boolean[] = [];
    database.pragma('synchronous = OFF');
    for (let index = 0; index < 20; index++) results.push(queue.run(() => insert.run(`${index}:${'x'.repeat(2000)}`)));
    expect(results.includes(false)).toBe(true);
    const pending = queue.pending();
    expect(pending).toBeGreaterThan(0);
    expect(queue.flush()).toBe(0); // still full
    database.pragma('max_page_count = 100000'); // space returns
    expect(queue.flush()).toBe(pending);
    const rows = database.prepare('SELECT body FROM events').all() as Array<{ body: string }>;
    expect(rows.map((row) => Number(row.body.split(':')[0]))).toEqual(Array.from({ length: 20 }, (_, index) => index));
    queue.close();
    database.close();
  });

  it('rethrows errors that are not a full disk', () => {
    const queue = createStorageRetryQueue();
    expect(() =>
      queue.run(() => {
        throw Object.assign(new Error('x'), { code: 'SQLITE_CONSTRAINT' });
      }),
    ).toThrow('x');
    expect(queue.pending()).toBe(0);
  });

  it('bounds what it keeps and counts what it dropped', () => {
    const queue = createStorageRetryQueue({ maxPending: 2, setInterval: () => ({}), clearInterval: () => undefined });
    const full = () => {
      throw Object.assign(new Error('full'), { code: 'SQLITE_FULL' });
    };
    for (let index = 0; index < 5; index++) queue.run(full);
    expect(queue.pending()).toBe(2);
    expect(queue.dropped()).toBe(3);
  });
});

describe('checkDatabaseFile', () => {
  it('accepts a missing file (new database) and a healthy one', () => {
    const file = join(dir, 'pincer.db');
    expect(checkDatabaseFile(file)).toEqual({ isUsable: true, isNew: true });
    const database = new Database(file);
    database.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
    database.close();
    expect(checkDatabaseFile(file)).toEqual({ isUsable: true, isNew: false });
  });

  it('refuses a real zero-byte database file', () => {
    const file = join(dir, 'pincer.db');
    writeFileSync(file, '');
    const verdict = checkDatabaseFile(file);
    expect(verdict).toMatchObject({ isUsable: false, problem: 'empty' });
    expect(verdict.isUsable === false && verdict.message).toContain(file);
  });

  it('refuses a file that is not SQLite', () => {
    const file = join(dir, 'pincer.db');
    writeFileSync(file, 'this is not a database, just text that is long enough');
    expect(checkDatabaseFile(file)).toMatchObject({ isUsable: false, problem: 'not_sqlite' });
  });

  it('refuses a database whose pages were overwritten', () => {
    const file = join(dir, 'pincer.db');
    const database = new Database(file);
    database.exec('CREATE TABLE t (x TEXT); CREATE INDEX t_x ON t(x)');
    const insert = database.prepare('INSERT INTO t VALUES (?)');
    database.transaction(() => {
      for (let index = 0; index < 2000; index++) insert.run(`row-${index}-${'y'.repeat(50)}`);
    })();
    database.close();
    const descriptor = openSync(file, 'r+');
    writeSync(descriptor, Buffer.alloc(4096 * 4, 0xab), 0, 4096 * 4, 4096 * 3);
    closeSync(descriptor);
    expect(checkDatabaseFile(file)).toMatchObject({ isUsable: false, problem: 'damaged' });
  });
});

describe('describeSqliteBindingError', () => {
  it('turns a native addon that cannot be loaded into an actionable message', () => {
    // A real load failure: an addon file that is not a shared object (as a half-built or
    // foreign-ABI binding fails in dlopen).
    const addon = join(dir, 'better_sqlite3.node');
    writeFileSync(addon, 'not an ELF file');
    let loadError: unknown;
    try {
      new Database(':memory:', { nativeBinding: addon });
    } catch (error) {
      loadError = error;
    }
    expect(loadError).toBeDefined();
    const message = describeSqliteBindingError(loadError);
    expect(message).toContain(`Node.js ${process.version}`);
    expect(message).toContain('pnpm approve-builds');
    expect(message).toContain('npm rebuild better-sqlite3');
  });

  it('leaves every other error alone', () => {
    expect(describeSqliteBindingError(new Error('SQLITE_BUSY: database is locked'))).toBeUndefined();
    expect(describeSqliteBindingError(Object.assign(new Error('disk full'), { code: 'SQLITE_FULL' }))).toBeUndefined();
  });
});
