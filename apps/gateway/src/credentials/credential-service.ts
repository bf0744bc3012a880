import { z } from 'zod';
import { GatewayError } from '../errors.js';
import { CapabilitySchema, canonicalCapabilities, MAX_CAPABILITIES, type Capability } from './capabilities.js';
import type { CredentialRecord, CredentialStore } from './credential-store.js';
import type { Identity, TokenIdentity } from './identity.js';
import { canonicalizeScope, TokenScopeSchema, type SessionKeyCanonicalizer } from './scope.js';
import { mintToken, parseToken, verifyTokenSecret, type RandomSource } from './token-format.js';

const DAY_SECONDS = 86_400;

/** Limits and defaults of scoped tokens. */
export const CREDENTIAL_LIMITS = {
  /** Tokens neither revoked nor expired at once; minting more answers 409. */
  maxActiveTokens: 1_000,
  /** Lifetime when `expiresInSeconds` is not given: 30 days. */
  defaultExpiresInSeconds: 30 * DAY_SECONDS,
  /** Shortest lifetime: 60 s. */
  minExpiresInSeconds: 60,
  /** Longest lifetime: 365 days (there are no tokens that never expire). */
  maxExpiresInSeconds: 365 * DAY_SECONDS,
  /** Longest name, characters. */
  maxNameChars: 64,
  /** Revoked and expired tokens stay listed this long, then are deleted: 30 days. */
  keepInactiveMs: 30 * DAY_SECONDS * 1000,
  /** A token's `lastUsedAt` is written at most this often, ms. */
  touchIntervalMs: 60_000,
  /** A looked-up token is re-read from the store after this long, ms (revocation through this service is immediate). */
  cacheTtlMs: 1_000,
  /** Looked-up tokens cached at once. */
  maxCachedTokens: 1_024,
} as const;

/** Body of `POST /v1/tokens`: a name, exactly one scope, capabilities, an optional lifetime. */
export const TokenCreateSchema = z
  .object({
    name: z.string().trim().min(1).max(CREDENTIAL_LIMITS.maxNameChars),
    agentId: z.string().min(1).max(64).optional(),
    sessionKey: z.string().min(1).max(4096).optional(),
    prefix: z.string().min(1).max(4096).optional(),
    capabilities: z
      .array(CapabilitySchema)
      .min(1)
      .max(MAX_CAPABILITIES * 4),
    expiresInSeconds: z.number().int().min(CREDENTIAL_LIMITS.minExpiresInSeconds).max(CREDENTIAL_LIMITS.maxExpiresInSeconds).optional(),
  })
  .strict();
/** @see TokenCreateSchema */
export type TokenCreateInput = z.infer<typeof TokenCreateSchema>;

/** Status of a token at the time it is shown. */
export const CREDENTIAL_STATUSES = ['active', 'expired', 'revoked'] as const;

/** A token as the API shows it (never the secret or its hash). */
export const CredentialViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  scope: TokenScopeSchema,
  capabilities: z.array(CapabilitySchema),
  status: z.enum(CREDENTIAL_STATUSES),
  createdBy: z.string(),
  createdAt: z.number().int(),
  expiresAt: z.number().int(),
  revokedAt: z.number().int().nullable(),
  lastUsedAt: z.number().int().nullable(),
});
/** @see CredentialViewSchema */
export type CredentialView = z.infer<typeof CredentialViewSchema>;

/** Answer of `POST /v1/tokens`: the token (shown this once) and its view. */
export const TokenCreatedSchema = z.object({ token: z.string(), credential: CredentialViewSchema });
/** @see TokenCreatedSchema */
export type TokenCreated = z.infer<typeof TokenCreatedSchema>;

/** Why a presented scoped token was not accepted. */
export type TokenRefusal = 'invalid' | 'expired' | 'revoked';

/** Result of {@link CredentialService.verify}. */
export type TokenVerification =
  | { ok: true; identity: TokenIdentity }
  | {
      ok: false;
      reason: TokenRefusal;
      /** The token id, when the presented value named a stored token with the right secret. */
      credentialId?: string | undefined;
    };

/** Options of {@link createCredentialService}. */
export interface CredentialServiceOptions {
  store: CredentialStore;
  /** Canonicalizes session keys of scopes (the gateway's `resolveTurnTarget`). */
  canonicalize: SessionKeyCanonicalizer;
  /** Configured agent ids (normalized). */
  knownAgentIds: ReadonlyArray<string>;
  /** Clock, epoch ms. Default `Date.now`. */
  now?: (() => number) | undefined;
  /** Randomness for new tokens. Default `crypto.randomBytes`. */
  random?: RandomSource | undefined;
}

/** Minting, listing, revoking and checking credentials. */
export interface CredentialService {
  /** Check a presented bearer value as a scoped token (the operator token is checked by the auth plugin). */
  verify(presented: string): TokenVerification;
  /** Mint a scoped token (operator only). The token string is returned this once. */
  create(input: TokenCreateInput, by: Identity): TokenCreated;
  /** Every stored token, newest first (operator only at the route). */
  list(): CredentialView[];
  /** One token's view, or `undefined`. */
  get(id: string): CredentialView | undefined;
  /** Revoke at once; `undefined` when there is no such token. Open streams are told via `onRevoked`. */
  revoke(id: string, by: Identity): CredentialView | undefined;
  /** The identity of an id while it is active (cron jobs check their creator when they fire). */
  activeIdentity(id: string): TokenIdentity | undefined;
  /** Subscribe to revocations; returns the unsubscribe function. */
  onRevoked(listener: (credentialId: string) => void): () => void;
}

/** Create the credential service; prunes long-inactive tokens once at creation. */
export function createCredentialService(options: CredentialServiceOptions): CredentialService {
  const clock = options.now ?? Date.now;
  const cache = new Map<string, { record: CredentialRecord; identity: TokenIdentity; readAt: number }>();
  const lastTouched = new Map<string, number>();
  const revokedListeners = new Set<(credentialId: string) => void>();
  options.store.pruneInactive(clock() - CREDENTIAL_LIMITS.keepInactiveMs);

  const lookup = (id: string, now: number) => {
    const cached = cache.get(id);
    if (cached && now - cached.readAt < CREDENTIAL_LIMITS.cacheTtlMs) return cached;
    const record = options.store.get(id);
    if (!record) {
      cache.delete(id);
      return undefined;
    }
    const entry = { record, identity: toIdentity(record), readAt: now };
    cache.delete(id);
    cache.set(id, entry);
    if (cache.size > CREDENTIAL_LIMITS.maxCachedTokens) {
      const oldest = cache.keys().next().value;
      if (oldest !== undefined) cache.delete(oldest);
    }
    return entry;
  };

  const view = (record: CredentialRecord, now: number): CredentialView => ({
    id: record.id,
    name: record.name,
    scope: record.scope,
    capabilities: record.capabilities,
    status: record.revokedAt !== null ? 'revoked' : record.expiresAt <= now ? 'expired' : 'active',
    createdBy: record.createdBy,
    createdAt: record.createdAt,
    expiresAt: record.expiresAt,
    revokedAt: record.revokedAt,
    lastUsedAt: record.lastUsedAt,
  });

  const requireOperator = (by: Identity): void => {
    if (by.kind !== 'operator') throw new GatewayError('forbidden', 'Only the operator credential may do this.');
  };

  return {
    verify(presented) {
      const parsed = parseToken(presented);
      if (!parsed) return { ok: false, reason: 'invalid' };
      const now = clock();
      const entry = lookup(parsed.id, now);
      if (!entry || !verifyTokenSecret(parsed, entry.record.secretHash)) return { ok: false, reason: 'invalid' };
      if (entry.record.revokedAt !== null) return { ok: false, reason: 'revoked', credentialId: parsed.id };
      if (entry.record.expiresAt <= now) return { ok: false, reason: 'expired', credentialId: parsed.id };
      if (now - (lastTouched.get(parsed.id) ?? 0) >= CREDENTIAL_LIMITS.touchIntervalMs) {
        lastTouched.set(parsed.id, now);
        if (lastTouched.size > CREDENTIAL_LIMITS.maxCachedTokens) lastTouched.clear();
        options.store.touch(parsed.id, now);
      }
      return { ok: true, identity: entry.identity };
    },

    create(input, by) {
      requireOperator(by);
      const parsedInput = TokenCreateSchema.parse(input);
      const scope = canonicalizeScope(
        {
          ...(parsedInput.agentId !== undefined ? { agentId: parsedInput.agentId } : {}),
          ...(parsedInput.sessionKey !== undefined ? { sessionKey: parsedInput.sessionKey } : {}),
          ...(parsedInput.prefix !== undefined ? { prefix: parsedInput.prefix } : {}),
        },
        { canonicalize: options.canonicalize, knownAgentIds: options.knownAgentIds },
      );
      const now = clock();
      options.store.pruneInactive(now - CREDENTIAL_LIMITS.keepInactiveMs);
      if (options.store.countActive(now) >= CREDENTIAL_LIMITS.maxActiveTokens) {
        throw new GatewayError(
          'conflict',
          `Too many active tokens (${CREDENTIAL_LIMITS.maxActiveTokens}); revoke some first (pincer token revoke <id>).`,
        );
      }
      const minted = mintToken(options.random);
      const record: CredentialRecord = {
        id: minted.id,
        name: parsedInput.name,
        secretHash: minted.secretHash,
        scope,
        capabilities: canonicalCapabilities(parsedInput.capabilities),
        createdBy: by.credentialId,
        createdAt: now,
        expiresAt: now + (parsedInput.expiresInSeconds ?? CREDENTIAL_LIMITS.defaultExpiresInSeconds) * 1000,
        revokedAt: null,
        lastUsedAt: null,
      };
      options.store.insert(record);
      return { token: minted.token, credential: view(record, now) };
    },

    list() {
      const now = clock();
      return options.store.list().map((record) => view(record, now));
    },

    get(id) {
      const record = options.store.get(id);
      return record ? view(record, clock()) : undefined;
    },

    revoke(id, by) {
      requireOperator(by);
      const now = clock();
      const existing = options.store.get(id);
      if (!existing) return undefined;
      const changed = options.store.revoke(id, now);
      cache.delete(id);
      const record = options.store.get(id) ?? existing;
      if (changed) for (const listener of revokedListeners) listener(id);
      return view(record, now);
    },

    activeIdentity(id) {
      const now = clock();
      const entry = lookup(id, now);
      if (!entry || entry.record.revokedAt !== null || entry.record.expiresAt <= now) return undefined;
      return entry.identity;
    },

    onRevoked(listener) {
      revokedListeners.add(listener);
      return () => revokedListeners.delete(listener);
    },
  };
}

function toIdentity(record: CredentialRecord): TokenIdentity {
  return Object.freeze({
    kind: 'token',
    credentialId: record.id,
    name: record.name,
    scope: Object.freeze({ ...record.scope }),
    capabilities: new Set<Capability>(record.capabilities),
    expiresAt: record.expiresAt,
  });
}
