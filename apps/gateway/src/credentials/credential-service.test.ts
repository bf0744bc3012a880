import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../errors.js';
import { createCredentialService, CREDENTIAL_LIMITS, type CredentialService } from './credential-service.js';
import { OPERATOR_IDENTITY } from './identity.js';
import type { SessionKeyCanonicalizer } from './scope.js';
import { createSqliteCredentialStore } from './sqlite-credential-store.js';

const OPERATOR_TOKEN = 'f'.repeat(8) + '0123456789abcdef0123456789abcdef0123456789abcdef01234567';

const canonicalize: SessionKeyCanonicalizer = (raw) => {
  const key = raw.trim().toLowerCase();
  const full = key.startsWith('agent:') ? key : `agent:main:${key}`;
  return { sessionKey: full, agentId: full.split(':')[1] ?? 'main' };
};

let dir: string;
let db: Database.Database;
let now: number;
let service: CredentialService;

const open = () =>
  createCredentialService({
    store: createSqliteCredentialStore(db),
    operatorToken: OPERATOR_TOKEN,
    canonicalize,
    knownAgentIds: ['main', 'ops'],
    now: () => now,
  });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pincer-credential-service-'));
  db = new Database(join(dir, 'pincer.db'));
  now = 1_000_000;
  service = open();
});

afterEach(() => {
  if (db.open) db.close();
  rmSync(dir, { recursive: true, force: true });
});

const bearer = (token: string) => `Bearer ${token}`;

describe('authenticate', () => {
  it('resolves the operator token and a minted token, and says why others fail', () => {
    expect(service.authenticate(bearer(OPERATOR_TOKEN))).toEqual({ ok: true, identity: OPERATOR_IDENTITY });
    const created = service.create({ name: 'dash', sessionKey: 'Agent:OPS:DM-1', capabilities: ['sessions:read'] }, OPERATOR_IDENTITY);
    const result = service.authenticate(bearer(created.token));
    expect(result.ok && result.identity).toMatchObject({
      kind: 'token',
      credentialId: created.credential.id,
      scope: { kind: 'session', sessionKey: 'agent:ops:dm-1' },
    });
    expect(service.authenticate(undefined)).toMatchObject({ ok: false, reason: 'missing' });
    expect(service.authenticate('Basic abc')).toMatchObject({ ok: false, reason: 'malformed' });
    expect(service.authenticate(bearer('nope'))).toMatchObject({ ok: false, reason: 'invalid' });
    const forged = `${created.token.slice(0, -1)}${created.token.endsWith('A') ? 'B' : 'A'}`;
    expect(service.authenticate(bearer(forged))).toMatchObject({ ok: false, reason: 'invalid' });
    expect(service.authenticate(bearer(forged))).not.toHaveProperty('credentialId');
  });

  it('refuses a revoked token at once and an expired one from its expiry instant', () => {
    const created = service.create({ name: 'short', agentId: 'ops', capabilities: ['events:read'], expiresInSeconds: 60 }, OPERATOR_IDENTITY);
    expect(service.authenticate(bearer(created.token)).ok).toBe(true);
    now += 59_999;
    expect(service.authenticate(bearer(created.token)).ok).toBe(true);
    now += 1;
    expect(service.authenticate(bearer(created.token))).toMatchObject({ ok: false, reason: 'expired', credentialId: created.credential.id });
    const other = service.create({ name: 'other', agentId: 'ops', capabilities: ['events:read'] }, OPERATOR_IDENTITY);
    expect(service.authenticate(bearer(other.token)).ok).toBe(true);
    const revoked: string[] = [];
    service.onRevoked((id) => revoked.push(id));
    expect(service.revoke(other.credential.id, OPERATOR_IDENTITY)?.status).toBe('revoked');
    expect(service.authenticate(bearer(other.token))).toMatchObject({ ok: false, reason: 'revoked' });
    expect(revoked).toEqual([other.credential.id]);
    expect(service.activeIdentity(other.credential.id)).toBeUndefined();
  });

  it('sees a revocation written by another service on the same file within the cache ttl', () => {
    const created = service.create({ name: 'dash', agentId: 'ops', capabilities: ['events:read'] }, OPERATOR_IDENTITY);
    expect(service.authenticate(bearer(created.token)).ok).toBe(true);
    open().revoke(created.credential.id, OPERATOR_IDENTITY);
    now += CREDENTIAL_LIMITS.cacheTtlMs;
    expect(service.authenticate(bearer(created.token))).toMatchObject({ ok: false, reason: 'revoked' });
  });
});

describe('create', () => {
  it('returns the token once and stores only its hash', () => {
    const created = service.create({ name: 'dash', agentId: 'ops', capabilities: ['sessions:read', 'events:read', 'sessions:read'] }, OPERATOR_IDENTITY);
    expect(created.credential).toMatchObject({ name: 'dash', status: 'active', capabilities: ['sessions:read', 'events:read'], createdBy: 'operator' });
    expect(created.credential.expiresAt - created.credential.createdAt).toBe(CREDENTIAL_LIMITS.defaultExpiresInSeconds * 1000);
    const secret = created.token.split('.')[2]!;
    const rows = JSON.stringify(db.prepare('SELECT * FROM credentials').all());
    expect(rows).not.toContain(secret);
    expect(JSON.stringify(service.list())).not.toContain(secret);
  });

  it('is for the operator only', () => {
    const created = service.create({ name: 'dash', agentId: 'ops', capabilities: ['sessions:read'] }, OPERATOR_IDENTITY);
    const identity = service.authenticate(bearer(created.token));
    if (!identity.ok) throw new Error('expected a valid token');
    expect(() => service.create({ name: 'escalate', agentId: 'ops', capabilities: ['sessions:read'] }, identity.identity)).toThrow(
      'Only the operator credential may do this.',
    );
    expect(() => service.revoke(created.credential.id, identity.identity)).toThrow('Only the operator credential may do this.');
  });

  it('refuses unknown capabilities, no capability, and lifetimes out of range', () => {
    const base = { name: 'x', agentId: 'ops' };
    expect(() => service.create({ ...base, capabilities: [] }, OPERATOR_IDENTITY)).toThrow();
    expect(() => service.create({ ...base, capabilities: ['tokens:admin' as 'sessions:read'] }, OPERATOR_IDENTITY)).toThrow();
    expect(() => service.create({ ...base, capabilities: ['sessions:read'], expiresInSeconds: 10 }, OPERATOR_IDENTITY)).toThrow();
    expect(() => service.create({ ...base, capabilities: ['sessions:read'], expiresInSeconds: 400 * 86_400 }, OPERATOR_IDENTITY)).toThrow();
  });

  it('caps the number of active tokens', () => {
    const insert = db.prepare(
      "INSERT INTO credentials (id, name, secret_hash, scope, capabilities, created_by, created_at, expires_at) VALUES (?, 'bulk', '00', '{\"kind\":\"agent\",\"agentId\":\"ops\"}', '[]', 'operator', 0, ?)",
    );
    db.transaction(() => {
      for (let index = 0; index < CREDENTIAL_LIMITS.maxActiveTokens; index += 1) insert.run(`tk_bulk${index}`, now + 1_000_000);
    })();
    try {
      service.create({ name: 'one-too-many', agentId: 'ops', capabilities: ['sessions:read'] }, OPERATOR_IDENTITY);
      expect.unreachable();
    } catch (error) {
      expect(GatewayError.isInstance(error) && error.code).toBe('conflict');
    }
  });
});

describe('list / get / revoke', () => {
  it('shows status and answers undefined for a missing id', () => {
    const created = service.create({ name: 'dash', prefix: 'agent:ops:tenant-a:', capabilities: ['sessions:read'] }, OPERATOR_IDENTITY);
    expect(service.get(created.credential.id)?.scope).toEqual({ kind: 'prefix', prefix: 'agent:ops:tenant-a' });
    expect(service.get('tk_ffffffffffffffff')).toBeUndefined();
    expect(service.revoke('tk_ffffffffffffffff', OPERATOR_IDENTITY)).toBeUndefined();
    expect(service.list().map((view) => view.status)).toEqual(['active']);
  });
});
