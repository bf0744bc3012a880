import { afterAll, afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { createAuditLog } from '../../credentials/audit-log.js';
import type { AuditEntry } from '../../credentials/audit-record.js';
import type { GatewayStore } from '../gateway-store.js';
import { createPostgresGatewayStore } from './postgres-store.js';
import { createTestSchemas } from './test-schemas.js';

// The SQLite audit-log tests (../sqlite/audit-log.test.ts), against the PostgreSQL store.
const schemas = createTestSchemas(inject('postgresUrl'));
afterAll(() => schemas.dropAll());

let store: GatewayStore;
beforeEach(() => {
  store = createPostgresGatewayStore(inject('postgresUrl'), { schema: schemas.fresh() });
});
afterEach(() => store.close());

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

describe('the PostgreSQL audit store', () => {
  it('appends with increasing seq and lists since a time, after a seq, or the newest rows', () => {
    for (let at = 1; at <= 10; at += 1) store.audit.append(entry(at * 100));
    expect(store.audit.count()).toBe(10);
    expect(store.audit.list({ since: 800, limit: 100 }).map((row) => row.at)).toEqual([800, 900, 1000]);
    expect(store.audit.list({ afterSeq: 8, limit: 100 }).map((row) => row.seq)).toEqual([9, 10]);
    expect(store.audit.list({ limit: 3 }).map((row) => row.seq)).toEqual([8, 9, 10]);
    expect(store.audit.list({ since: 100, afterSeq: 2, limit: 2 }).map((row) => row.seq)).toEqual([3, 4]);
    expect(store.audit.list({ limit: 1 })[0]).toEqual({ ...entry(1000), seq: 10 });
  });

  it('prunes by age and by row count', () => {
    for (let at = 1; at <= 10; at += 1) store.audit.append(entry(at));
    expect(store.audit.prune({ olderThan: 3, maxRows: 1_000 })).toBe(2);
    expect(store.audit.prune({ olderThan: 0, maxRows: 5 })).toBe(3);
    expect(store.audit.list({ limit: 100 }).map((row) => row.at)).toEqual([6, 7, 8, 9, 10]);
  });

  it('prunes by age and by row count in one call, counting each row once (the rows left after the age cut are capped)', () => {
    for (let at = 1; at <= 10; at += 1) store.audit.append(entry(at));
    expect(store.audit.prune({ olderThan: 3, maxRows: 5 })).toBe(5);
    expect(store.audit.list({ limit: 100 }).map((row) => row.at)).toEqual([6, 7, 8, 9, 10]);
    expect(store.audit.prune({ olderThan: 100, maxRows: 0 })).toBe(5);
    expect(store.audit.count()).toBe(0);
  });
});

describe('createAuditLog over the PostgreSQL store', () => {
  it('stays within maxRows as it grows, and drops rows older than maxAgeMs', () => {
    let now = 0;
    const log = createAuditLog({ store: store.audit, maxRows: 20, maxAgeMs: 1_000, pruneEveryAppends: 5, now: () => now });
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
    expect(store.audit.count()).toBeLessThanOrEqual(25);
    now += 5_000;
    expect(log.prune()).toBeGreaterThan(0);
    expect(log.list()).toEqual([]);
  });

  it('clips long fields and reports a failed write instead of throwing', () => {
    const errors: unknown[] = [];
    const log = createAuditLog({ store: store.audit, onError: (error) => errors.push(error) });
    const stored = log.record({
      credentialId: 'tk_x',
      sourceAddress: '::1',
      action: 'session.delete',
      target: 'x'.repeat(5_000),
      result: 'not_found',
      detail: null,
    });
    expect(stored?.target).toHaveLength(512);
    store.close();
    expect(
      log.record({ credentialId: 'tk_x', sourceAddress: '::1', action: 'session.delete', target: null, result: 'ok', detail: null }),
    ).toBeUndefined();
    expect(errors).toHaveLength(1);
  });
});
