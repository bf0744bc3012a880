import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CredentialRecord } from '../../credentials/credential-store.js';
import { createSqliteCredentialTable as createSqliteCredentialStore } from './credentials.js';
import { openDatabase } from './migrations.js';

let dir: string;
let file: string;
let db: Database;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pincer-credentials-'));
  file = join(dir, 'pincer.db');
  db = openDatabase(file);
});

afterEach(() => {
  if (db.open) db.close();
  rmSync(dir, { recursive: true, force: true });
});

const record = (overrides: Partial<CredentialRecord> = {}): CredentialRecord => ({
  id: 'tk_0000000000000001',
  name: 'dashboard',
  secretHash: 'ab'.repeat(32),
  scope: { kind: 'session', sessionKey: 'agent:ops:dm-1' },
  capabilities: ['sessions:read', 'processes:read'],
  createdBy: 'operator',
  createdAt: 1_000,
  expiresAt: 10_000,
  revokedAt: null,
  lastUsedAt: null,
  ...overrides,
});

describe('createSqliteCredentialStore', () => {
  it('round-trips a record through a real SQLite file, across a reopen', () => {
    createSqliteCredentialStore(db).insert(record());
    db.close();
    db = openDatabase(file);
    expect(createSqliteCredentialStore(db).get('tk_0000000000000001')).toEqual(record());
  });

  it('revokes once, and reports a missing or already revoked token', () => {
    const store = createSqliteCredentialStore(db);
    store.insert(record());
    expect(store.revoke('tk_0000000000000001', 5_000)).toBe(true);
    expect(store.revoke('tk_0000000000000001', 6_000)).toBe(false);
    expect(store.revoke('tk_ffffffffffffffff', 6_000)).toBe(false);
    expect(store.get('tk_0000000000000001')?.revokedAt).toBe(5_000);
  });

  it('counts active tokens and prunes only long-inactive ones', () => {
    const store = createSqliteCredentialStore(db);
    store.insert(record({ id: 'tk_a', createdAt: 1, expiresAt: 100 }));
    store.insert(record({ id: 'tk_b', createdAt: 2, expiresAt: 10_000 }));
    store.insert(record({ id: 'tk_c', createdAt: 3, expiresAt: 10_000, revokedAt: 50 }));
    expect(store.countActive(200)).toBe(1);
    expect(store.list().map((row) => row.id)).toEqual(['tk_c', 'tk_b', 'tk_a']);
    expect(store.pruneInactive(60)).toBe(1); // tk_c, revoked at 50
    expect(store.pruneInactive(150)).toBe(1); // tk_a, expired at 100
    expect(store.list().map((row) => row.id)).toEqual(['tk_b']);
  });

  it('records use', () => {
    const store = createSqliteCredentialStore(db);
    store.insert(record());
    store.touch('tk_0000000000000001', 4_242);
    expect(store.get('tk_0000000000000001')?.lastUsedAt).toBe(4_242);
  });

  it('grants nothing for a row whose scope or capabilities do not parse', () => {
    const store = createSqliteCredentialStore(db);
    store.insert(record());
    db.prepare('UPDATE credentials SET scope = \'not json\', capabilities = \'["sessions:read","root"]\'').run();
    const stored = store.get('tk_0000000000000001')!;
    expect(stored.capabilities).toEqual(['sessions:read']);
    expect(stored.scope).toEqual({ kind: 'session', sessionKey: '\u0000unreadable' });
  });
});
