import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GatewayError, notFound } from '../errors.js';
import { createAccessScope } from './access-scope.js';
import { createAuditLog, type AuditLog } from './audit-log.js';
import { OPERATOR_IDENTITY, type TokenIdentity } from './identity.js';
import { createRouteGuard } from './route-guard.js';
import { createSqliteGatewayStore } from '../store/sqlite/sqlite-store.js';
import type { GatewayStore } from '../store/gateway-store.js';

let dir: string;
let db: GatewayStore;
let audit: AuditLog;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pincer-route-guard-'));
  db = createSqliteGatewayStore(join(dir, 'pincer.db'));
  audit = createAuditLog({ store: db.audit });
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const dashboard: TokenIdentity = {
  kind: 'token',
  credentialId: 'tk_0123456789abcdef',
  name: 'dashboard',
  scope: { kind: 'session', sessionKey: 'agent:ops:dm-1' },
  capabilities: new Set(['processes:read']),
  expiresAt: Number.MAX_SAFE_INTEGER,
};

describe('createRouteGuard', () => {
  it('refuses a missing capability before the handler runs, and audits the refusal', async () => {
    const guard = createRouteGuard({ audit });
    let ran = false;
    await expect(
      guard.run(
        { identity: dashboard, sourceAddress: '127.0.0.1' },
        'processes:kill',
        { action: 'process.kill', target: 'process:p1' },
        () => {
          ran = true;
        },
      ),
    ).rejects.toThrow('This token lacks the "processes:kill" capability.');
    expect(ran).toBe(false);
    expect(audit.list()).toMatchObject([
      { credentialId: dashboard.credentialId, action: 'process.kill', target: 'process:p1', result: 'refused', sourceAddress: '127.0.0.1' },
    ]);
  });

  it('audits success, not-found and errors of the handler', async () => {
    const guard = createRouteGuard({ audit });
    const operator = { identity: OPERATOR_IDENTITY, sourceAddress: '::1' };
    expect(await guard.run(operator, 'processes:kill', { action: 'process.kill', target: 'process:a' }, () => 'killed')).toBe('killed');
    await expect(
      guard.run(operator, 'processes:kill', { action: 'process.kill', target: 'process:b' }, () => Promise.reject(notFound('Process b'))),
    ).rejects.toThrow();
    await expect(
      guard.run(operator, 'sessions:write', { action: 'session.delete', target: 'session:x' }, () => {
        throw new GatewayError('conflict', 'busy');
      }),
    ).rejects.toThrow('busy');
    expect(audit.list().map((row) => `${row.target} ${row.result}`)).toEqual(['process:a ok', 'process:b not_found', 'session:x error']);
  });

  it('does not audit reads', async () => {
    const guard = createRouteGuard({ audit });
    expect(await guard.run({ identity: dashboard, sourceAddress: '127.0.0.1' }, 'processes:read', undefined, () => 1)).toBe(1);
    expect(audit.list()).toEqual([]);
  });
});

describe('createAccessScope', () => {
  it('admits objects in scope, counts refusals of others, and keeps ?sessionKey= a filter', () => {
    let refusals = 0;
    const scope = createAccessScope(dashboard, undefined, () => {
      refusals += 1;
    });
    expect(scope.admits('agent:ops:dm-1')).toBe(true);
    expect(scope.admits('agent:ops:dm-2')).toBe(false);
    expect(scope.admits(null)).toBe(false);
    expect(scope.matches('agent:ops:dm-2')).toBe(false);
    expect(refusals).toBe(2);
    const operatorScope = createAccessScope(OPERATOR_IDENTITY, 'agent:main:x');
    expect(operatorScope.admits('agent:main:x')).toBe(true);
    expect(operatorScope.admits('agent:main:y')).toBe(false);
    expect(createAccessScope(OPERATOR_IDENTITY, undefined).matches('anything')).toBe(true);
  });
});
