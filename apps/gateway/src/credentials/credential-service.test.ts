import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../errors.js';
import { createCredentialService, CREDENTIAL_LIMITS, type CredentialService } from './credential-service.js';
import { OPERATOR_IDENTITY } from './identity.js';
import type { SessionKeyCanonicalizer } from './scope.js';
import { createSqliteGatewayStore } from '../store/sqlite/sqlite-store.js';
import type { GatewayStore } from '../store/gateway-store.js';

const canonicalize: SessionKeyCanonicalizer = (raw) => {
  const key = raw.trim().toLowerCase();
  const full = key.startsWith('agent:') ? key : `agent:main:${key}`;
  return { sessionKey: full, agentId: full.split(':')[1] ?? 'main' };
};

let dir: string;
let db: GatewayStore;
let now: number;
let service: CredentialService;

const open = () =>
  createCredentialService({
    store: db.credentials,
    canonicalize,
    knownAgentIds: ['main', 'ops'],
    now: () => now,
  });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pincer-credential-service-'));
  db = createSqliteGatewayStore(join(dir, 'pincer.db'));
  now = 1_000_000;
  service = open();
});

afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('verify', () => {
  it('resolves a minted token, and says why others fail', () => {
    const created = service.create({ name: 'dash', sessionKey: 'Agent:OPS:DM-1', capabilities: ['sessions:read'] }, OPERATOR_IDENTITY);
    const result = service.verify(created.token);
    expect(result.ok && result.identity).toMatchObject({
      kind: 'token',
      credentialId: created.credential.id,
      scope: { kind: 'session', sessionKey: 'agent:ops:dm-1' },
    });
    expect(service.verify('nope')).toMatchObject({ ok: false, reason: 'invalid' });
    const forged = `${created.token.slice(0, -1)}${created.token.endsWith('A') ? 'B' : 'A'}`;
    expect(service.verify(forged)).toMatchObject({ ok: false, reason: 'invalid' });
    expect(service.verify(forged)).not.toHaveProperty('credentialId');
  });

  it('refuses a revoked token at once and an expired one from its expiry instant', () => {
    const created = service.create(
      { name: 'short', agentId: 'ops', capabilities: ['events:read'], expiresInSeconds: 60 },
      OPERATOR_IDENTITY,
    );
    expect(service.verify(created.token).ok).toBe(true);
    now += 59_999;
    expect(service.verify(created.token).ok).toBe(true);
    now += 1;
    expect(service.verify(created.token)).toMatchObject({ ok: false, reason: 'expired', credentialId: created.credential.id });
    const other = service.create({ name: 'other', agentId: 'ops', capabilities: ['events:read'] }, OPERATOR_IDENTITY);
    expect(service.verify(other.token).ok).toBe(true);
    const revoked: string[] = [];
    service.onRevoked((id) => revoked.push(id));
    expect(service.revoke(other.credential.id, OPERATOR_IDENTITY)?.status).toBe('revoked');
    expect(service.verify(other.token)).toMatchObject({ ok: false, reason: 'revoked' });
    expect(revoked).toEqual([other.credential.id]);
    expect(service.activeIdentity(other.credential.id)).toBeUndefined();
  });

  it('sees a revocation written by another service on the same file within the cache ttl', () => {
    const created = service.create({ name: 'dash', agentId: 'ops', capabilities: ['events:read'] }, OPERATOR_IDENTITY);
    expect(service.verify(created.token).ok).toBe(true);
    open().revoke(created.credential.id, OPERATOR_IDENTITY);
    now += CREDENTIAL_LIMITS.cacheTtlMs;
    expect(service.verify(created.token)).toMatchObject({ ok: false, reason: 'revoked' });
  });
});

describe('create', () => {
  it('returns the token once and stores only its hash', () => {
    const created = service.create(
      { name: 'dash', agentId: 'ops', capabilities: ['sessions:read', 'events:read', 'sessions:read'] },
      OPERATOR_IDENTITY,
    );
    expect(created.credential).toMatchObject({
      name: 'dash',
      status: 'active',
      capabilities: ['sessions:read', 'events:read'],
      createdBy: 'operator',
    });
    expect(created.credential.expiresAt - created.credential.createdAt).toBe(CREDENTIAL_LIMITS.defaultExpiresInSeconds * 1000);
    const secret = created.token.split('.')[2]!;
    const rows = JSON.stringify(db.credentials.list());
    expect(rows).toContain(created.credential.id);
    expect(rows).not.toContain(secret);
    expect(JSON.stringify(service.list())).not.toContain(secret);
  });

  it('is for the operator only', () => {
    const created = service.create({ name: 'dash', agentId: 'ops', capabilities: ['sessions:read'] }, OPERATOR_IDENTITY);
    const identity = service.verify(created.token);
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
    db.transaction(() => {
      for (let index = 0; index < CREDENTIAL_LIMITS.maxActiveTokens; index += 1) {
        db.credentials.insert({
          id: `tk_bulk${index}`,
          name: 'bulk',
          secretHash: '00',
          scope: { kind: 'agent', agentId: 'ops' },
          capabilities: [],
          createdBy: 'operator',
          createdAt: 0,
          expiresAt: now + 1_000_000,
          revokedAt: null,
          lastUsedAt: null,
        });
      }
    });
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
