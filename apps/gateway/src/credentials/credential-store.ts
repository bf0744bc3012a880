import type { AuditEntry, AuditQuery, AuditRecord } from './audit-record.js';
import type { Capability } from './capabilities.js';
import type { TokenScope } from './scope.js';

/** A stored scoped token. Tokens are immutable once minted: they can only be revoked. */
export interface CredentialRecord {
  /** Public id (`tk_…`). */
  id: string;
  name: string;
  /** Hex sha256 of the id and secret (see token-format.ts); the secret itself is never stored. */
  secretHash: string;
  scope: TokenScope;
  /** Canonical order (see `canonicalCapabilities`). */
  capabilities: Capability[];
  /** Credential id that minted it (always `operator` today). */
  createdBy: string;
  /** Epoch ms. */
  createdAt: number;
  /** Epoch ms; refused from this instant on. */
  expiresAt: number;
  /** Epoch ms of revocation, `null` while not revoked. */
  revokedAt: number | null;
  /** Epoch ms of the last successful use (updated at most once a minute), `null` if never used. */
  lastUsedAt: number | null;
}

/** Storage of scoped tokens (one table). Implementation: store/sqlite/credentials.ts. */
export interface CredentialStore {
  insert(record: CredentialRecord): void;
  get(id: string): CredentialRecord | undefined;
  /** Every stored token, newest first. */
  list(): CredentialRecord[];
  /** Mark revoked; `false` when there is no such token or it was already revoked. */
  revoke(id: string, at: number): boolean;
  /** Record a successful use. */
  touch(id: string, at: number): void;
  /** Tokens neither revoked nor expired at `now`. */
  countActive(now: number): number;
  /** Delete tokens revoked or expired before `before` (epoch ms); returns how many. */
  pruneInactive(before: number): number;
}

/** Storage of the audit log (one table). Implementation: store/sqlite/audit-log.ts. */
export interface AuditStore {
  append(entry: AuditEntry): AuditRecord;
  /**
   * Rows in ascending `seq`: from `since` (epoch ms) or after `afterSeq` when given, else the
   * newest `limit`; at most `limit` rows.
   */
  list(query: AuditQuery & { limit: number }): AuditRecord[];
  /** Delete rows older than `olderThan` (epoch ms) and all but the newest `maxRows`; returns how many. */
  prune(options: { olderThan: number; maxRows: number }): number;
  /** Rows stored. */
  count(): number;
}
