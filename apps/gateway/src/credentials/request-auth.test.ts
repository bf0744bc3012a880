import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../errors.js';
import { createAuthLimiter } from './auth-limiter.js';
import { createCredentialService } from './credential-service.js';
import { OPERATOR_IDENTITY } from './identity.js';
import { AuthRateLimitedError, createRequestAuthenticator } from './request-auth.js';
import { createSqliteGatewayStore } from '../store/sqlite/sqlite-store.js';
import type { GatewayStore } from '../store/gateway-store.js';

const OPERATOR_TOKEN = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';
let dir: string;
let db: GatewayStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pincer-request-auth-'));
  db = createSqliteGatewayStore(join(dir, 'pincer.db'));
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const setup = () => {
  const credentials = createCredentialService({
    store: db.credentials,
    canonicalize: (raw) => ({ sessionKey: raw.toLowerCase(), agentId: 'ops' }),
    knownAgentIds: ['ops'],
  });
  const failures: string[] = [];
  const authenticate = createRequestAuthenticator({
    operatorToken: OPERATOR_TOKEN,
    credentials,
    limiter: createAuthLimiter({ maxFailuresPerCredential: 3, maxFailuresGlobal: 10 }),
    observer: { onFailure: (reason) => failures.push(reason) },
  });
  return { credentials, authenticate, failures };
};

const statusOf = (run: () => unknown): number | 'ok' => {
  try {
    run();
    return 'ok';
  } catch (error) {
    return GatewayError.isInstance(error) ? error.status : -1;
  }
};

describe('createRequestAuthenticator', () => {
  it('never locks out a valid credential, even with the whole gateway locked', () => {
    const { credentials, authenticate } = setup();
    const scoped = credentials.create({ name: 'dash', agentId: 'ops', capabilities: ['sessions:read'] }, OPERATOR_IDENTITY);
    for (let attempt = 0; attempt < 50; attempt += 1) statusOf(() => authenticate(`Bearer wrong-${attempt}`));
    expect(statusOf(() => authenticate('Bearer wrong-new'))).toBe(429);
    expect(authenticate(`Bearer ${OPERATOR_TOKEN}`)).toBe(OPERATOR_IDENTITY);
    expect(authenticate(`Bearer ${scoped.token}`).credentialId).toBe(scoped.credential.id);
  });

  it('answers unknown, revoked and expired tokens with the same 401, then 429 with retry-after', () => {
    const { credentials, authenticate, failures } = setup();
    const scoped = credentials.create({ name: 'dash', agentId: 'ops', capabilities: ['sessions:read'] }, OPERATOR_IDENTITY);
    credentials.revoke(scoped.credential.id, OPERATOR_IDENTITY);
    const bodies = [`Bearer ${scoped.token}`, 'Bearer pincer.tk_0000000000000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'].map(
      (header) => {
        try {
          authenticate(header);
          return 'accepted';
        } catch (error) {
          return JSON.stringify((error as GatewayError).toBody());
        }
      },
    );
    expect(bodies[0]).toBe(bodies[1]);
    expect(failures).toEqual(['revoked', 'invalid']);
    for (let attempt = 0; attempt < 2; attempt += 1) statusOf(() => authenticate(`Bearer ${scoped.token}`));
    try {
      authenticate(`Bearer ${scoped.token}`);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(AuthRateLimitedError);
      expect((error as AuthRateLimitedError).retryAfterSeconds).toBeGreaterThan(0);
    }
  });

  it('says missing when no header is sent, and refuses other schemes', () => {
    const { authenticate, failures } = setup();
    expect(() => authenticate(undefined)).toThrow('Missing bearer token');
    expect(() => authenticate(`Basic ${OPERATOR_TOKEN}`)).toThrow('Invalid bearer token.');
    expect(() => authenticate(`Bearer ${OPERATOR_TOKEN}x`)).toThrow('Invalid bearer token.');
    expect(failures).toEqual(['missing', 'malformed', 'invalid']);
  });
});
