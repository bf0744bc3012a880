import type { Identity } from '../credentials/identity.js';

/**
 * Carries the credential of a spawning run to its child. subagent-spawn calls the gateway's
 * `launch` inside `spawn()`, before `spawn()` resolves; a session runs one turn at a time, so
 * "the identity of the spawn in progress in the requester's session" is exactly the spawning
 * run's identity. Children of a scoped token's run therefore run under the same ceiling, and
 * their own spawns pass it on.
 */
export interface SpawnIdentities {
  /** Run `spawn` with `identity` registered for `requesterSessionKey` (nothing for the operator's runs). */
  during<T>(requesterSessionKey: string, identity: Identity | undefined, spawn: () => Promise<T>): Promise<T>;
  /** The identity of the spawn in progress in `requesterSessionKey`, if a credential started it. */
  of(requesterSessionKey: string): Identity | undefined;
}

/** An empty registry. */
export function createSpawnIdentities(): SpawnIdentities {
  const active = new Map<string, { identity: Identity; spawns: number }>();
  return {
    async during(requesterSessionKey, identity, spawn) {
      if (identity === undefined || identity.kind === 'operator') return spawn();
      const entry = active.get(requesterSessionKey) ?? { identity, spawns: 0 };
      entry.spawns += 1;
      active.set(requesterSessionKey, entry);
      try {
        return await spawn();
      } finally {
        entry.spawns -= 1;
        if (entry.spawns === 0) active.delete(requesterSessionKey);
      }
    },
    of: (requesterSessionKey) => active.get(requesterSessionKey)?.identity,
  };
}
