import type { Database } from 'better-sqlite3';
import { isCapability, type Capability } from '../../credentials/capabilities.js';
import type { CredentialRecord, CredentialStore } from '../../credentials/credential-store.js';
import { TokenScopeSchema, type TokenScope } from '../../credentials/scope.js';

interface CredentialRow {
  id: string;
  name: string;
  secret_hash: string;
  scope: string;
  capabilities: string;
  created_by: string;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
  last_used_at: number | null;
}

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
      return row ? toRecord(row) : undefined;
    },
    list: () => listAll.all().map(toRecord),
    revoke: (id, at) => revoke.run(at, id).changes > 0,
    touch(id, at) {
      touch.run(at, id);
    },
    countActive: (now) => countActive.get(now)?.total ?? 0,
    pruneInactive: (before) => prune.run(before, before).changes,
  };
}

function toRecord(row: CredentialRow): CredentialRecord {
  return {
    id: row.id,
    name: row.name,
    secretHash: row.secret_hash,
    scope: parseScope(row.scope),
    capabilities: parseCapabilities(row.capabilities),
    createdBy: row.created_by,
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
    lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at),
  };
}

// A row that does not parse grants nothing: an impossible scope and no capabilities.
const NOTHING: TokenScope = { kind: 'session', sessionKey: '\u0000unreadable' };

function parseScope(text: string): TokenScope {
  try {
    const parsed = TokenScopeSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : NOTHING;
  } catch {
    return NOTHING;
  }
}

function parseCapabilities(text: string): Capability[] {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.filter(isCapability) : [];
  } catch {
    return [];
  }
}
