import type { Database } from 'better-sqlite3';
import type { CredentialStore } from '../../credentials/credential-store.js';
import { type CredentialRow, toCredentialRecord } from '../credential-rows.js';

/** The `credentials` table (scoped tokens; migration 3). Statements are prepared once. */
export function createSqliteCredentialTable(db: Database): CredentialStore {
  const insert = db.prepare(
    `INSERT INTO credentials (id, name, secret_hash, scope, capabilities, created_by, created_at, expires_at, revoked_at, last_used_at)
     VALUES (@id, @name, @secret_hash, @scope, @capabilities, @created_by, @created_at, @expires_at, @revoked_at, @last_used_at)`,
  );
  const getOne = db.prepare<[string], CredentialRow>('SELECT * FROM credentials WHERE id = ?');
  const listAll = db.prepare<[], CredentialRow>('SELECT * FROM credentials ORDER BY created_at DESC, id');
  const revoke = db.prepare<[number, string]>('UPDATE credentials SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL');
  const touch = db.prepare<[number, string]>('UPDATE credentials SET last_used_at = ? WHERE id = ?');
  const countActive = db.prepare<[number], { total: number }>(
    'SELECT COUNT(*) AS total FROM credentials WHERE revoked_at IS NULL AND expires_at > ?',
  );
  const prune = db.prepare<[number, number]>('DELETE FROM credentials WHERE (revoked_at IS NOT NULL AND revoked_at < ?) OR expires_at < ?');
  return {
    insert(record) {
      insert.run({
        id: record.id,
        name: record.name,
        secret_hash: record.secretHash,
        scope: JSON.stringify(record.scope),
        capabilities: JSON.stringify(record.capabilities),
        created_by: record.createdBy,
        created_at: record.createdAt,
        expires_at: record.expiresAt,
        revoked_at: record.revokedAt,
        last_used_at: record.lastUsedAt,
      });
    },
    get(id) {
      const row = getOne.get(id);
      return row ? toCredentialRecord(row) : undefined;
    },
    list: () => listAll.all().map(toCredentialRecord),
    revoke: (id, at) => revoke.run(at, id).changes > 0,
    touch(id, at) {
      touch.run(at, id);
    },
    countActive: (now) => countActive.get(now)?.total ?? 0,
    pruneInactive: (before) => prune.run(before, before).changes,
  };
}
