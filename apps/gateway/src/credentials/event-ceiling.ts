import type { SystemEvent } from '@pincer/heartbeat-router';
import { z } from 'zod';
import { CAPABILITIES, type Capability } from './capabilities.js';
import type { Identity, TokenIdentity } from './identity.js';

/**
 * Issue 15's known limit, closed: a token's capability ceiling follows the system events it
 * causes into the heartbeat turns that show them. A queued event records the ceiling of the
 * credential that caused it (in heartbeat-router's opaque `metadata`, persisted with the event);
 * a heartbeat turn runs under the intersection of the ceilings of the events it drains. Events the
 * operator or the gateway itself caused carry none; a turn draining only such events has no ceiling.
 */
export interface EventCeiling {
  /** The credential that caused the event. */
  readonly credentialId: string;
  /** Its capabilities when it caused the event (`[]` for a revoked or expired one). */
  readonly capabilities: ReadonlyArray<Capability>;
}

/** The `metadata` key the ceiling is kept under. */
const CEILING_KEY = 'ceiling';

const EventCeilingSchema = z.object({
  credentialId: z.string().min(1).max(128),
  capabilities: z.array(z.string()).max(64),
});

/** The ceiling a credential's events carry: none for the operator (or no credential), its capabilities otherwise. */
export function eventCeilingOf(identity: Identity | undefined): EventCeiling | undefined {
  if (identity === undefined || identity.kind === 'operator') return undefined;
  if (identity.kind === 'anonymous') return { credentialId: identity.credentialId, capabilities: [] };
  return { credentialId: identity.credentialId, capabilities: CAPABILITIES.filter((capability) => identity.capabilities.has(capability)) };
}

/** The event `metadata` recording `ceiling` (`undefined` for none). */
export function eventCeilingMetadata(ceiling: EventCeiling | undefined): Record<string, unknown> | undefined {
  return ceiling ? { [CEILING_KEY]: { credentialId: ceiling.credentialId, capabilities: [...ceiling.capabilities] } } : undefined;
}

/**
 * The ceiling recorded on an event: `undefined` when it has none; a malformed record (a hand-edited
 * row) counts as a ceiling with no capabilities, never as none.
 */
export function eventCeilingFromEvent(event: Pick<SystemEvent, 'metadata'>): EventCeiling | undefined {
  const recorded = event.metadata?.[CEILING_KEY];
  if (recorded === undefined) return undefined;
  const parsed = EventCeilingSchema.safeParse(recorded);
  if (!parsed.success) return { credentialId: 'unknown', capabilities: [] };
  const known = new Set<string>(CAPABILITIES);
  return {
    credentialId: parsed.data.credentialId,
    capabilities: parsed.data.capabilities.filter((capability): capability is Capability => known.has(capability)),
  };
}

/**
 * The identity a turn that shows `events` acts for: `undefined` (no ceiling) when none of them
 * carries one, else a scoped identity confined to `sessionKey` whose capabilities are the
 * intersection of every recorded ceiling. Its `credentialId` names the causing credentials
 * (`tk_a+tk_b`), so a cron job or a child the turn creates is no credential's and never widens it.
 */
export function identityForEvents(events: ReadonlyArray<Pick<SystemEvent, 'metadata'>>, sessionKey: string): TokenIdentity | undefined {
  let capabilities: Set<Capability> | undefined;
  const credentials = new Set<string>();
  for (const event of events) {
    const ceiling = eventCeilingFromEvent(event);
    if (!ceiling) continue;
    credentials.add(ceiling.credentialId);
    const own = new Set(ceiling.capabilities);
    capabilities = capabilities ? new Set([...capabilities].filter((capability) => own.has(capability))) : own;
  }
  if (!capabilities) return undefined;
  const credentialId = [...credentials].sort().join('+');
  return {
    kind: 'token',
    credentialId,
    name: `system events of ${credentialId}`,
    scope: { kind: 'session', sessionKey },
    capabilities,
    expiresAt: Number.MAX_SAFE_INTEGER,
  };
}

/**
 * A run's identity narrowed by the events it shows: unchanged when none carries a ceiling; the
 * events' identity ({@link identityForEvents}) for the operator's and the gateway's runs; for a
 * scoped token's run, the token (scope, id, expiry kept) with only the capabilities every event's
 * ceiling also has. For turns other than heartbeats that show queued events (`runs/agent-loop.ts`
 * would call it right after peeking them).
 */
export function narrowIdentityByEvents(
  identity: Identity | undefined,
  events: ReadonlyArray<Pick<SystemEvent, 'metadata'>>,
  sessionKey: string,
): Identity | undefined {
  const fromEvents = identityForEvents(events, sessionKey);
  if (!fromEvents) return identity;
  if (identity === undefined || identity.kind === 'operator') return fromEvents;
  if (identity.kind === 'anonymous') return identity;
  return { ...identity, capabilities: new Set([...identity.capabilities].filter((capability) => fromEvents.capabilities.has(capability))) };
}

/** Ceilings kept at most, by default, in a {@link CeilingLedger}. */
export const CEILING_LEDGER_MAX_ENTRIES = 4_096;

/**
 * Ceilings of effects that outlive the call that caused them and report back later as events: a
 * background shell's exit notice, a sub-agent's announcement. `record` when the effect starts
 * under a credential; `take` (and forget) when its event is queued. Bounded: past `maxEntries` the
 * oldest entry is dropped and its key then `take`s the empty ceiling (fail closed, never the
 * operator's). Kept in memory: an event queued after a restart carries no ceiling (documented).
 */
export interface CeilingLedger {
  record(key: string, ceiling: EventCeiling | undefined): void;
  take(key: string): EventCeiling | undefined;
  readonly size: number;
}

/** Create a {@link CeilingLedger}. */
export function createCeilingLedger(options: { maxEntries?: number } = {}): CeilingLedger {
  const maxEntries = options.maxEntries ?? CEILING_LEDGER_MAX_ENTRIES;
  const ceilings = new Map<string, EventCeiling>();
  const evicted = new Map<string, string>();
  return {
    record(key, ceiling) {
      if (ceiling === undefined) return;
      ceilings.delete(key);
      ceilings.set(key, ceiling);
      while (ceilings.size > maxEntries) {
        const [oldestKey, oldest] = ceilings.entries().next().value as [string, EventCeiling];
        ceilings.delete(oldestKey);
        evicted.set(oldestKey, oldest.credentialId);
        while (evicted.size > maxEntries) evicted.delete(evicted.keys().next().value as string);
      }
    },
    take(key) {
      const ceiling = ceilings.get(key);
      if (ceiling !== undefined) {
        ceilings.delete(key);
        return ceiling;
      }
      const credentialId = evicted.get(key);
      if (credentialId === undefined) return undefined;
      evicted.delete(key);
      return { credentialId, capabilities: [] };
    },
    get size() {
      return ceilings.size;
    },
  };
}
