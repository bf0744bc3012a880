import { GatewayError } from '../errors.js';

/**
 * Items 7 and 8 (issue 14): who may talk to an agent and what they may make it do.
 *
 * - Owner entries: `alice` (that sender id on any channel), `telegram:123` (only on channel
 *   `telegram`), `*` (everyone: the operator opted in). An entry counts as channel-qualified when
 *   the part before its first `:` is a plain channel name (`[a-z0-9_-]+`), so Matrix ids such as
 *   `@alice:example.org` stay whole ids. `identityLinks` (`{ alice: ["telegram:123"] }`) make a
 *   linked sender the named owner. Ids compare trimmed and case-insensitively, as before.
 * - Direct messages: no allowlist → 403 (fail closed; the message says what to configure); a
 *   `peer.id` that differs from `sender` → 400 (a DM is from its peer); non-owners → 403.
 * - Groups and channels: everyone may talk, but non-owners get a tool policy without
 *   {@link GUEST_DENIED_TOOLS} unless the config grants them (`guestTools`).
 */

/** Tools a non-owner cannot make the agent call in a group or channel, unless granted. */
export const GUEST_DENIED_TOOLS: ReadonlyArray<string> = ['exec', 'process', 'cron', 'sessions_spawn'];

/** Input of {@link decideInboundAccess}. */
export interface InboundAccessInput {
  agentId: string;
  channel: string;
  peerKind: 'direct' | 'group' | 'channel';
  peerId: string;
  sender: string;
  /** The agent's owner allowlist (agent `owners`, else global `owners`); undefined/empty = none. */
  owners: ReadonlyArray<string> | undefined;
  /** `session.identityLinks`: canonical id → `channel:id` aliases. */
  identityLinks?: Readonly<Record<string, ReadonlyArray<string>>> | undefined;
  /** Tools the config lets non-owners use in groups/channels (subset of {@link GUEST_DENIED_TOOLS}). */
  guestTools?: ReadonlyArray<string> | undefined;
}

/** The decision for an accepted message. */
export interface InboundAccess {
  isOwner: boolean;
  /** Tool names denied for the turn this message starts (empty for owners). */
  deniedTools: string[];
}

const CHANNEL_NAME = /^[a-z0-9_-]+$/;

function fold(value: string): string {
  return value.trim().toLowerCase();
}

/** True when `sender` on `channel` matches one owner entry (without `*`). */
export function matchesOwnerEntry(entry: string, channel: string, sender: string): boolean {
  const folded = fold(entry);
  const colon = folded.indexOf(':');
  if (colon > 0 && CHANNEL_NAME.test(folded.slice(0, colon))) {
    return folded.slice(0, colon) === fold(channel) && folded.slice(colon + 1) === fold(sender);
  }
  return folded === fold(sender);
}

/** True when the sender is an owner: listed, linked to a listed identity, or the list holds `*`. */
export function isOwnerSender(input: Pick<InboundAccessInput, 'owners' | 'identityLinks' | 'channel' | 'sender'>): boolean {
  const owners = input.owners ?? [];
  if (owners.some((entry) => entry.trim() === '*')) return true;
  if (owners.some((entry) => matchesOwnerEntry(entry, input.channel, input.sender))) return true;
  const links = input.identityLinks ?? {};
  return owners.some((entry) =>
    Object.entries(links).some(
      ([identity, aliases]) =>
        fold(identity) === fold(entry) && aliases.some((alias) => matchesOwnerEntry(alias, input.channel, input.sender)),
    ),
  );
}

/**
 * Decide whether an inbound message is accepted and with which tool policy. Throws
 * `GatewayError` `invalid_request` (400, `field: peer.id`) or `forbidden` (403, `field: sender`).
 */
export function decideInboundAccess(input: InboundAccessInput): InboundAccess {
  const owners = (input.owners ?? []).filter((entry) => entry.trim() !== '');
  if (input.peerKind === 'direct') {
    if (fold(input.peerId) !== fold(input.sender)) {
      throw new GatewayError(
        'invalid_request',
        `A direct message comes from its peer: peer.id "${input.peerId}" differs from sender "${input.sender}".`,
        { field: 'peer.id' },
      );
    }
    if (owners.length === 0) {
      throw new GatewayError(
        'forbidden',
        `Direct messages to agent "${input.agentId}" are refused: no owner allowlist is configured. Set "owners": ["${input.channel}:${input.sender}"] (globally or on the agent) in pincer.config.json, or "owners": ["*"] to accept direct messages from anyone.`,
        { field: 'sender' },
      );
    }
    if (!isOwnerSender({ ...input, owners })) {
      throw new GatewayError(
        'forbidden',
        `Sender "${input.sender}" is not on agent "${input.agentId}"'s owner allowlist; direct messages are refused.`,
        { field: 'sender' },
      );
    }
    return { isOwner: true, deniedTools: [] };
  }
  if (isOwnerSender({ ...input, owners })) return { isOwner: true, deniedTools: [] };
  const granted = new Set((input.guestTools ?? []).map(fold));
  return { isOwner: false, deniedTools: GUEST_DENIED_TOOLS.filter((tool) => !granted.has(tool)) };
}

/** Start-up warnings about the owner configuration (item 7). */
export function ownerConfigWarnings(
  agents: ReadonlyArray<{ agentId: string; owners: ReadonlyArray<string>; dmScope: string | undefined }>,
): string[] {
  return agents
    .filter((agent) => agent.owners.some((entry) => entry.trim() === '*') && (agent.dmScope ?? 'main') === 'main')
    .map(
      (agent) =>
        `agent "${agent.agentId}": owners ["*"] with dmScope "main" puts every sender's direct messages into one session (agent:${agent.agentId}:main), where each can read the others' history; set session.dmScope to "per-channel-peer" or list the owners`,
    );
}
