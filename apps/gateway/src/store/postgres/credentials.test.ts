import { afterAll, afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import type { CredentialRecord } from '../../credentials/credential-store.js';
import type { GatewayStore } from '../gateway-store.js';
import { createPostgresGatewayStore } from './postgres-store.js';
import { createTestSchemas } from './test-schemas.js';

// The SQLite credential-store tests (../sqlite/credentials.test.ts), against the PostgreSQL store.
const url = inject('postgresUrl');
const schemas = createTestSchemas(url);
afterAll(() => schemas.dropAll());

let schema: string;
let store: GatewayStore;
beforeEach(() => {
  schema = schemas.fresh();
  store = createPostgresGatewayStore(url, { schema });
});
afterEach(() => store.close());

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

describe('the PostgreSQL credential store', () => {
  it('round-trips a record through the database, across a reopen', () => {
    store.credentials.insert(record());
    store.close();
    store = createPostgresGatewayStore(url, { schema });
    expect(store.credentials.get('tk_0000000000000001')).toEqual(record());
  });

  it('revokes once, and reports a missing or already revoked token', () => {
    store.credentials.insert(record());
    expect(store.credentials.revoke('tk_0000000000000001', 5_000)).toBe(true);
    expect(store.credentials.revoke('tk_0000000000000001', 6_000)).toBe(false);
    expect(store.credentials.revoke('tk_ffffffffffffffff', 6_000)).toBe(false);
    expect(store.credentials.get('tk_0000000000000001')?.revokedAt).toBe(5_000);
  });

  it('counts active tokens and prunes only long-inactive ones', () => {
    store.credentials.insert(record({ id: 'tk_a', createdAt: 1, expiresAt: 100 }));
    store.credentials.insert(record({ id: 'tk_b', createdAt: 2, expiresAt: 10_000 }));
    store.credentials.insert(record({ id: 'tk_c', createdAt: 3, expiresAt: 10_000, revokedAt: 50 }));
    expect(store.credentials.countActive(200)).toBe(1);
    expect(store.credentials.list().map((row) => row.id)).toEqual(['tk_c', 'tk_b', 'tk_a']);
    expect(store.credentials.pruneInactive(60)).toBe(1); // tk_c, revoked at 50
    expect(store.credentials.pruneInactive(150)).toBe(1); // tk_a, expired at 100
    expect(store.credentials.list().map((row) => row.id)).toEqual(['tk_b']);
  });

  it('records use', () => {
    store.credentials.insert(record());
    store.credentials.touch('tk_0000000000000001', 4_242);
    expect(store.credentials.get('tk_0000000000000001')?.lastUsedAt).toBe(4_242);
  });

  it('refuses a second token with a taken id, keeping the first', () => {
    store.credentials.insert(record());
    expect(() => store.credentials.insert(record({ name: 'impostor', secretHash: 'cd'.repeat(32) }))).toThrow(/already stored/);
    expect(store.credentials.get('tk_0000000000000001')).toEqual(record());
  });

  it('grants nothing for a row whose scope or capabilities do not parse', () => {
    store.credentials.insert(record());
    schemas.connect(schema).query('UPDATE credentials SET scope = \'not json\', capabilities = \'["sessions:read","root"]\'');
    const stored = store.credentials.get('tk_0000000000000001')!;
    expect(stored.capabilities).toEqual(['sessions:read']);
    expect(stored.scope).toEqual({ kind: 'session', sessionKey: '\u0000unreadable' });
  });
});
