import { type Capability, isCapability } from '../credentials/capabilities.js';
import type { CredentialRecord } from '../credentials/credential-store.js';
import { type TokenScope, TokenScopeSchema } from '../credentials/scope.js';

/** A `credentials` row as both stores return it (timestamps as numbers). */
export interface CredentialRow {
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

/**
 * A `credentials` row as a {@link CredentialRecord}. A row whose scope or capabilities do not
 * parse grants nothing (an impossible scope, no capabilities), in both stores.
 */
export function toCredentialRecord(row: CredentialRow): CredentialRecord {
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
