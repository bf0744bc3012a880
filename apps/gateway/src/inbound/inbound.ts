import { buildAgentPeerSessionKey, resolveThreadSessionKeys } from '@pincer/session-key';
import { agentOwners, agentSessionConfig, type BindingConfig, type GatewayConfig, type SessionConfig } from '../config.js';
import type { Identity } from '../credentials/identity.js';
import { canonicalSessionKey } from '../security/canonical-session-key.js';
import { decideInboundAccess } from '../security/owner-policy.js';
import type { RunQueue } from '../runs/run-queue.js';
import type { SessionService } from '../sessions/sessions.js';

/** A chat message handed in by a bot platform (`POST /v1/inbound`). */
export interface InboundMessage {
  channel: string;
  accountId?: string | undefined;
  peer: { kind: 'direct' | 'group' | 'channel'; id: string };
  sender: string;
  text: string;
  threadId?: string | undefined;
}

/**
 * Routes an inbound message to an agent and session and queues its turn. `admit` may refuse the
 * session (it throws) before the owner allowlist is consulted or anything is queued; `identity`
 * is the credential the turn acts for (its tool ceiling applies).
 */
export type InboundRouter = (
  message: InboundMessage,
  options?: { identity?: Identity | undefined; admit?: ((sessionKey: string) => void) | undefined },
) => { runId: string; sessionKey: string; agentId: string };

/** The most specific binding for a message: peer (4) > account (2) > channel (1). */
export function pickBinding(bindings: ReadonlyArray<BindingConfig>, message: InboundMessage): BindingConfig | undefined {
  let best: { score: number; binding: BindingConfig } | undefined;
  const channel = message.channel.toLowerCase();
  for (const binding of bindings) {
    const match = binding.match;
    if (match.channel.toLowerCase() !== channel) continue;
    if (match.accountId !== undefined && match.accountId.toLowerCase() !== (message.accountId ?? 'default').toLowerCase()) continue;
    if (match.peer && (match.peer.kind !== message.peer.kind || match.peer.id.toLowerCase() !== message.peer.id.toLowerCase())) continue;
    const score = (match.peer ? 4 : 0) + (match.accountId !== undefined ? 2 : 0) + 1;
    if (!best || score > best.score) best = { score, binding };
  }
  return best?.binding;
}

/**
 * Bindings pick the agent; the agent's (or binding's) dmScope/groupScope build the session key;
 * direct messages must come from an owner on the agent's allowlist (else 403).
 */
export function createInboundRouter(options: {
  config: GatewayConfig;
  runs: Pick<RunQueue, 'enqueue'>;
  sessions: Pick<SessionService, 'recordChannel'>;
}): InboundRouter {
  const { config } = options;
  return (message, routeOptions) => {
    const binding = pickBinding(config.bindings ?? [], message);
    const agentId = binding ? binding.agentId.toLowerCase() : config.defaultAgent;
    const session = { ...agentSessionConfig(config, agentId), ...(binding?.session ?? {}) };
    const sessionKey = canonicalSessionKey(inboundSessionKey(message, agentId, session));
    // Scope first: a caller outside it learns nothing about the agent's owners.
    routeOptions?.admit?.(sessionKey);
    // Issue 14 items 7 and 8: DMs need an owner allowlist (fail closed) and must come from their
    // peer; in groups and channels non-owners get a tool policy without exec/process/cron/spawn.
    const access = decideInboundAccess({
      agentId,
      channel: message.channel,
      peerKind: message.peer.kind,
      peerId: message.peer.id,
      sender: message.sender,
      owners: agentOwners(config, agentId),
      identityLinks: session.identityLinks,
      guestTools: config.security?.guestTools,
    });
    const { run } = options.runs.enqueue({
      sessionKey,
      agentId,
      message: message.text,
      kind: 'inbound',
      deniedTools: access.deniedTools,
      identity: routeOptions?.identity,
    });
    options.sessions.recordChannel(sessionKey, {
      channel: message.channel.toLowerCase(),
      peerKind: message.peer.kind,
      peerId: message.peer.id,
    });
    return { runId: run.id, sessionKey, agentId };
  };
}

/** The session key of an inbound message: the agent's (or binding's) dmScope/groupScope, plus its thread. */
function inboundSessionKey(message: InboundMessage, agentId: string, session: SessionConfig): string {
  const baseSessionKey = buildAgentPeerSessionKey({
    agentId,
    channel: message.channel,
    accountId: message.accountId ?? null,
    peerKind: message.peer.kind,
    peerId: message.peer.id,
    ...(session.mainKey ? { mainKey: session.mainKey } : {}),
    ...(session.dmScope ? { dmScope: session.dmScope } : {}),
    ...(session.groupScope ? { groupScope: session.groupScope } : {}),
    ...(session.identityLinks ? { identityLinks: session.identityLinks } : {}),
  });
  return message.threadId ? resolveThreadSessionKeys({ baseSessionKey, threadId: message.threadId }).sessionKey : baseSessionKey;
}
