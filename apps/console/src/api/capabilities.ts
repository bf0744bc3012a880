import type { ApiClient } from './api-client.js';
import { ConsoleError } from './console-error.js';

/** What a credential may do: the gateway's grantable capabilities and its operator-only powers. */
export type Capability =
  | 'sessions:read'
  | 'sessions:write'
  | 'transcripts:read'
  | 'agent:run'
  | 'agent:spawn'
  | 'processes:read'
  | 'processes:exec'
  | 'processes:kill'
  | 'events:read'
  | 'cron:read'
  | 'cron:write'
  | 'tools:invoke'
  | 'plugins:call'
  | 'tokens:admin'
  | 'audit:read'
  | 'metrics:read';

/** Who the token is, as far as the console knows. */
export interface Identity {
  /** `operator` (the state dir's token), `scoped` (whoami's `token`), or `unknown` when the gateway has no whoami route. */
  kind: 'operator' | 'scoped' | 'unknown';
  id?: string;
  name?: string;
  /** Human description of the scope (`session agent:main:x`, `agent ops`, `prefix agent:main:tenant-`). */
  scope?: string;
  /** Granted capabilities; undefined = not reported (everything is offered until the API refuses). */
  capabilities?: ReadonlyArray<string>;
}

/** Tracks what the console may offer: the whoami answer, then every 403 the API gives. */
export interface CapabilityStore {
  identity(): Identity;
  /** True when the console should offer `capability`. */
  may(capability: Capability): boolean;
  /** Record a refusal (a 403 answer) so the console stops offering it. */
  deny(capability: Capability): void;
  /** Run `action`; a 403 denies `capability` and is rethrown. */
  guard<T>(capability: Capability, action: () => Promise<T>): Promise<T>;
  subscribe(listener: () => void): () => void;
}

const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/**
 * Reads a `GET /v1/whoami` answer (`{ kind: 'operator' | 'token', credentialId, name, scope?: { kind,
 * agentId | sessionKey | prefix }, capabilities }`) defensively: a missing field is just not shown.
 */
export function parseIdentity(body: unknown): Identity {
  const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const kindText = str(record.kind) ?? str(record.type) ?? str(record.role);
  const kind: Identity['kind'] = kindText === 'operator' ? 'operator' : kindText === undefined ? 'unknown' : 'scoped';
  const scopeRecord = typeof record.scope === 'object' && record.scope !== null ? (record.scope as Record<string, unknown>) : undefined;
  const scope =
    str(record.scope) ??
    (scopeRecord
      ? [
          str(scopeRecord.agentId) && `agent ${str(scopeRecord.agentId)}`,
          str(scopeRecord.sessionKey) && `session ${str(scopeRecord.sessionKey)}`,
          (str(scopeRecord.prefix) ?? str(scopeRecord.sessionKeyPrefix)) &&
            `prefix ${str(scopeRecord.prefix) ?? str(scopeRecord.sessionKeyPrefix)}`,
        ]
          .filter(Boolean)
          .join(', ') || undefined
      : undefined);
  const capabilities = Array.isArray(record.capabilities)
    ? record.capabilities.filter((item): item is string => typeof item === 'string')
    : undefined;
  const id = str(record.id) ?? str(record.credentialId);
  const name = str(record.name);
  return { kind, ...(id ? { id } : {}), ...(name ? { name } : {}), ...(scope ? { scope } : {}), ...(capabilities ? { capabilities } : {}) };
}

/**
 * Asks `GET /v1/whoami` who the token is. A gateway without the route (404) gives `unknown`;
 * 401 is rethrown (the token is refused); anything else degrades to `unknown`.
 */
export async function fetchIdentity(api: ApiClient): Promise<Identity> {
  try {
    return parseIdentity(await api.get<unknown>('/v1/whoami'));
  } catch (error) {
    if (ConsoleError.isInstance(error) && error.code === 'unauthorized') throw error;
    return { kind: 'unknown' };
  }
}

/** Creates a {@link CapabilityStore} for `identity`. */
export function createCapabilityStore(identity: Identity): CapabilityStore {
  const denied = new Set<Capability>();
  const listeners = new Set<() => void>();
  const granted = identity.capabilities ? new Set(identity.capabilities) : undefined;
  const store: CapabilityStore = {
    identity: () => identity,
    may(capability) {
      if (denied.has(capability)) return false;
      if (identity.kind === 'operator' || granted === undefined) return true;
      return granted.has(capability) || granted.has('*');
    },
    deny(capability) {
      if (denied.has(capability)) return;
      denied.add(capability);
      for (const listener of listeners) listener();
    },
    async guard(capability, action) {
      try {
        return await action();
      } catch (error) {
        if (ConsoleError.isInstance(error) && error.code === 'forbidden') store.deny(capability);
        throw error;
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return store;
}
