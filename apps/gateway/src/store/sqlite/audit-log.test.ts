import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../credentials/audit-record.js';
import { createAuditLog } from '../../credentials/audit-log.js';
import { createSqliteAuditTable as createSqliteAuditStore } from './audit-log.js';
import { openDatabase } from './migrations.js';

let dir: string;
let db: Database;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pincer-audit-'));
  db = openDatabase(join(dir, 'pincer.db'));
});

afterEach(() => {
  if (db.open) db.close();
  rmSync(dir, { recursive: true, force: true });
});

const entry = (at: number, overrides: Partial<AuditEntry> = {}): AuditEntry => ({
  at,
  credentialId: 'operator',
  sourceAddress: '127.0.0.1',
  action: 'process.kill',
  target: `process:p${at}`,
  result: 'ok',
  detail: null,
  ...overrides,
});

describe('createSqliteAuditStore', () => {
  it('appends with increasing seq and lists since a time, after a seq, or the newest rows', () => {
    const store = createSqliteAuditStore(db);
    for (let at = 1; at <= 10; at += 1) store.append(entry(at * 100));
    expect(store.count()).toBe(10);
    expect(store.list({ since: 800, limit: 100 }).map((row) => row.at)).toEqual([800, 900, 1000]);
    expect(store.list({ afterSeq: 8, limit: 100 }).map((row) => row.seq)).toEqual([9, 10]);
    expect(store.list({ limit: 3 }).map((row) => row.seq)).toEqual([8, 9, 10]);
    expect(store.list({ since: 100, afterSeq: 2, limit: 2 }).map((row) => row.seq)).toEqual([3, 4]);
    expect(store.list({ limit: 1 })[0]).toEqual({ ...entry(1000), seq: 10 });
  });

  it('prunes by age and by row count', () => {
    const store = createSqliteAuditStore(db);
    for (let at = 1; at <= 10; at += 1) store.append(entry(at));
    expect(store.prune({ olderThan: 3, maxRows: 1_000 })).toBe(2);
    expect(store.prune({ olderThan: 0, maxRows: 5 })).toBe(3);
    expect(store.list({ limit: 100 }).map((row) => row.at)).toEqual([6, 7, 8, 9, 10]);
  });
});

describe('createAuditLog', () => {
  it('stays within maxRows as it grows, and drops rows older than maxAgeMs', () => {
    let now = 0;
    const log = createAuditLog({ store: createSqliteAuditStore(db), maxRows: 20, maxAgeMs: 1_000, pruneEveryAppends: 5, now: () => now });
    for (let index = 0; index < 100; index += 1) {
      now += 1;
      log.record({
        credentialId: 'operator',
        sourceAddress: '127.0.0.1',
        action: 'cron.run',
        target: `cron:${index}`,
        result: 'ok',
        detail: null,
      });
    }
    expect(createSqliteAuditStore(db).count()).toBeLessThanOrEqual(25);
    now += 5_000;
    expect(log.prune()).toBeGreaterThan(0);
    expect(log.list()).toEqual([]);
  });

  it('clips long fields and reports a failed write instead of throwing', () => {
    const errors: unknown[] = [];
    const log = createAuditLog({ store: createSqliteAuditStore(db), onError: (error) => errors.push(error) });
    const stored = log.record({
      credentialId: 'tk_x',
      sourceAddress: '::1',
      action: 'session.delete',
      target: 'x'.repeat(5_000),
      result: 'not_found',
      detail: null,
    });
    expect(stored?.target).toHaveLength(512);
    db.close();
    expect(
      log.record({ credentialId: 'tk_x', sourceAddress: '::1', action: 'session.delete', target: null, result: 'ok', detail: null }),
    ).toBeUndefined();
    expect(errors).toHaveLength(1);
  });
});
