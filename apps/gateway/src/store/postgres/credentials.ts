import type { CredentialStore } from '../../credentials/credential-store.js';
import { type CredentialRow, toCredentialRecord } from '../credential-rows.js';
import { UNIQUE_VIOLATION } from './rows.js';
import { PostgresQueryError, type SyncPostgresClient } from './sync-client.js';

/** The `credentials` table (scoped tokens, hashed; shared by every gateway on the database). */
export function createPostgresCredentialTable(client: SyncPostgresClient): CredentialStore {
  return {
    insert(record) {
      const inserted = client.query(
        `INSERT INTO credentials (id, name, secret_hash, scope, capabilities, created_by, created_at, expires_at, revoked_at, last_used_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING`,
        [
          record.id,
          record.name,
          record.secretHash,
          JSON.stringify(record.scope),
          JSON.stringify(record.capabilities),
          record.createdBy,
          record.createdAt,
          record.expiresAt,
          record.revokedAt,
          record.lastUsedAt,
        ],
      ).rowCount;
      if (inserted === 0) throw new PostgresQueryError(`credential ${record.id} is already stored`, UNIQUE_VIOLATION);
    },
    get(id) {
      const row = client.query<CredentialRow>('SELECT * FROM credentials WHERE id = $1', [id]).rows[0];
      return row ? toCredentialRecord(row) : undefined;
    },
    list: () => client.query<CredentialRow>('SELECT * FROM credentials ORDER BY created_at DESC, id').rows.map(toCredentialRecord),
    revoke: (id, at) => client.query('UPDATE credentials SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [at, id]).rowCount > 0,
    touch(id, at) {
      client.query('UPDATE credentials SET last_used_at = $1 WHERE id = $2', [at, id]);
    },
    countActive: (now) =>
      Number(
        client.query<{ total: number }>('SELECT COUNT(*) AS total FROM credentials WHERE revoked_at IS NULL AND expires_at > $1', [now])
          .rows[0]?.total ?? 0,
      ),
    pruneInactive: (before) =>
      client.query('DELETE FROM credentials WHERE (revoked_at IS NOT NULL AND revoked_at < $1) OR expires_at < $1', [before]).rowCount,
  };
}
