import { normalizeAccountId, normalizeAgentId } from './agent-id.js';
import { normalizeSessionPeerId } from './opaque-peer.js';
import { buildAgentMainSessionKey } from './store-key.js';
import { asString, trimmed } from './text.js';

/** How direct-message peers map to sessions (`session.dmScope`; default `"main"`). */
export type DmScope = 'main' | 'per-peer' | 'per-channel-peer' | 'per-account-channel-peer';
/** How group/channel peers map to sessions (`session.groupScope`; default `"per-group"`). */
export type GroupScope = 'per-group' | 'main';
/** Canonical identity name → list of ids (`"<channel>:<peerId>"` or bare `"<peerId>"`). */
export type IdentityLinks = Readonly<Record<string, ReadonlyArray<string>>>;

/** Input of {@link buildAgentPeerSessionKey}. */
export interface AgentPeerSessionKeyParams {
  /** Owning agent (normalized with `normalizeAgentId`). */
  agentId?: string | null | undefined;
  /** Main-key suffix for main-session results (default `"main"`). */
  mainKey?: string | null | undefined;
  /** Channel name, e.g. `"telegram"` (trimmed, lower-cased; blank → `"unknown"`). */
  channel?: string | null | undefined;
  /** Channel account (normalized with `normalizeAccountId`; default `"default"`). */
  accountId?: string | null | undefined;
  /** `"direct"` (default when absent/`null`), `"group"`, `"channel"`, … */
  peerKind?: string | null | undefined;
  /** Peer id as the provider reports it. */
  peerId?: string | null | undefined;
  /** Direct-message scope (default `"main"`; unknown values behave like `"main"`). */
  dmScope?: DmScope | (string & {}) | null | undefined;
  /** Group scope (default `"per-group"`). */
  groupScope?: GroupScope | (string & {}) | null | undefined;
  /** Identity links consulted for direct peers when `dmScope` is not `"main"`. */
  identityLinks?: IdentityLinks | null | undefined;
}

/**
 * The canonical identity whose id list contains `peerId` or `<channel>:<peerId>`
 * (case-insensitive). Canonical names are trimmed and blank names skipped; the name is
 * returned as written. `undefined` when nothing matches or `peerId` is blank.
 */
export function resolveLinkedDirectPeerId(params: {
  identityLinks?: IdentityLinks | null | undefined;
  channel?: string | null | undefined;
  peerId?: string | null | undefined;
}): string | undefined {
  const links = params.identityLinks;
  if (!links || typeof links !== 'object') return undefined;
  const peer = trimmed(params.peerId).toLowerCase();
  if (!peer) return undefined;
  const channel = trimmed(params.channel).toLowerCase();
  const scoped = channel ? `${channel}:${peer}` : undefined;
  for (const [name, ids] of Object.entries(links)) {
    const canonical = name.trim();
    if (!canonical || !Array.isArray(ids)) continue;
    for (const id of ids as ReadonlyArray<unknown>) {
      if (typeof id !== 'string') continue;
      const candidate = id.trim().toLowerCase();
      if (candidate && (candidate === peer || candidate === scoped)) return canonical;
    }
  }
  return undefined;
}

function isPerPeerScope(scope: string): scope is Exclude<DmScope, 'main'> {
  return scope === 'per-peer' || scope === 'per-channel-peer' || scope === 'per-account-channel-peer';
}

/**
 * Build the session key for a peer (OpenClaw `buildAgentPeerSessionKey`).
 *
 * Direct peers: `dmScope` `main`/absent/unknown → the main key; otherwise the (identity-linked)
 * peer id, trimmed and lower-cased, as `agent:<id>:direct:<peer>` (`per-peer`),
 * `agent:<id>:<channel>:direct:<peer>` (`per-channel-peer`) or
 * `agent:<id>:<channel>:<account>:direct:<peer>` (`per-account-channel-peer`); a blank peer
 * falls back to the main key.
 *
 * Other peers: `groupScope: "main"` → the main key; else
 * `agent:<id>:<channel|unknown>:<peerKind>:<peer|unknown>` (Signal groups and Matrix
 * channels/groups keep their case). Never throws.
 */
export function buildAgentPeerSessionKey(params: AgentPeerSessionKeyParams): string {
  const mainKey = () => buildAgentMainSessionKey({ agentId: params.agentId, mainKey: params.mainKey });
  const peerKind = trimmed(params.peerKind).toLowerCase() || 'direct';
  const channel = trimmed(params.channel).toLowerCase() || 'unknown';
  if (peerKind === 'direct') {
    const dmScope = asString(params.dmScope);
    if (!isPerPeerScope(dmScope)) return mainKey();
    const linked = resolveLinkedDirectPeerId({
      identityLinks: params.identityLinks,
      channel: params.channel,
      peerId: params.peerId,
    });
    const peer = (linked ?? trimmed(params.peerId)).trim().toLowerCase();
    if (!peer) return mainKey();
    const agentId = normalizeAgentId(params.agentId);
    if (dmScope === 'per-peer') return `agent:${agentId}:direct:${peer}`;
    if (dmScope === 'per-channel-peer') return `agent:${agentId}:${channel}:direct:${peer}`;
    return `agent:${agentId}:${channel}:${normalizeAccountId(params.accountId)}:direct:${peer}`;
  }
  if (params.groupScope === 'main') return mainKey();
  const peer = normalizeSessionPeerId({ channel, peerKind, peerId: params.peerId }) || 'unknown';
  return `agent:${normalizeAgentId(params.agentId)}:${channel}:${peerKind}:${peer}`;
}

/**
 * Per-conversation history key without an agent prefix:
 * `<channel|unknown>:<account|default>:<peerKind>:<peer|unknown>`.
 */
export function buildGroupHistoryKey(params: {
  channel?: string | null | undefined;
  accountId?: string | null | undefined;
  peerKind: string;
  peerId?: string | null | undefined;
}): string {
  const channel = trimmed(params.channel).toLowerCase() || 'unknown';
  const peerKind = trimmed(params.peerKind).toLowerCase();
  const peer = normalizeSessionPeerId({ channel, peerKind, peerId: params.peerId }) || 'unknown';
  return `${channel}:${normalizeAccountId(params.accountId)}:${peerKind}:${peer}`;
}
