import { normalizeAgentId, normalizeMainKey } from './agent-id.js';
import { normalizeSessionKeyPreservingOpaquePeerIds } from './opaque-peer.js';
import { classifySessionKeyShape, parseAgentSessionKey, parseAgentSessionKeyParts } from './parse.js';
import { trimmed } from './text.js';

/**
 * The canonical main session key of an agent: `agent:<normalizeAgentId(agentId)>:<normalizeMainKey(mainKey)>`
 * (`{ agentId: "!!!" }` → `agent:main:main`). `mainKey` defaults to `"main"`.
 */
export function buildAgentMainSessionKey(params: { agentId?: string | null | undefined; mainKey?: string | null | undefined }): string {
  return `agent:${normalizeAgentId(params.agentId)}:${normalizeMainKey(params.mainKey)}`;
}

/**
 * Turn a request key into the store key of `agentId`:
 * blank or `main` (any case) → the agent's main key; an agent key →
 * `agent:<parsed id>:<rest>` (lower-cased, id not normalized); a malformed `agent:` key → the
 * normalized key as is; anything else → `agent:<normalizeAgentId(agentId)>:<normalized key>`.
 * Sentinels (`global`, `unknown`) are **not** special here — guard with
 * `isUnscopedSessionKeySentinel` first. Never throws.
 */
export function toAgentStoreSessionKey(params: {
  agentId?: string | null | undefined;
  requestKey?: string | null | undefined;
  mainKey?: string | null | undefined;
}): string {
  const normalized = normalizeSessionKeyPreservingOpaquePeerIds(params.requestKey);
  if (!normalized || normalized === 'main') {
    return buildAgentMainSessionKey({ agentId: params.agentId, mainKey: params.mainKey });
  }
  const shape = classifySessionKeyShape(normalized);
  if (shape === 'agent') {
    // `normalized` is already normalized (idempotent), so the raw split equals parseAgentSessionKey.
    const parsed = parseAgentSessionKeyParts(normalized);
    if (parsed) return `agent:${parsed.agentId}:${parsed.rest}`;
  }
  if (shape === 'malformed_agent') return normalized;
  return `agent:${normalizeAgentId(params.agentId)}:${normalized}`;
}

/**
 * Scope a legacy (bare) key to an agent: blank key → `undefined`; no (blank) `agentId`, or a
 * key that is not `legacy_or_alias`, → the trimmed key unchanged; otherwise
 * {@link toAgentStoreSessionKey}. Never throws.
 */
export function scopeLegacySessionKeyToAgent(params: {
  agentId?: string | null | undefined;
  sessionKey?: string | null | undefined;
  mainKey?: string | null | undefined;
}): string | undefined {
  const key = trimmed(params.sessionKey);
  if (!key) return undefined;
  const agentId = trimmed(params.agentId);
  if (!agentId || classifySessionKeyShape(key) !== 'legacy_or_alias') return key;
  return toAgentStoreSessionKey({ agentId, requestKey: key, mainKey: params.mainKey });
}

/**
 * The request key inside a store key: blank → `undefined`; agent key → its lower-cased
 * `rest`; anything else → the trimmed input, case kept (`" Global "` → `"Global"`).
 */
export function toAgentRequestSessionKey(storeKey: string | null | undefined): string | undefined {
  const key = trimmed(storeKey);
  if (!key) return undefined;
  return parseAgentSessionKey(key)?.rest ?? key;
}

/**
 * True when both keys are non-blank and equal after trimming, or have equal request keys.
 * Compat quirk: **ignores the agent** (`agent:ops:main` matches `agent:main:main`).
 */
export function agentSessionKeysMatchByRequestKey(a: string | null | undefined, b: string | null | undefined): boolean {
  const left = trimmed(a);
  const right = trimmed(b);
  if (!left || !right) return false;
  if (left === right) return true;
  return toAgentRequestSessionKey(left) === toAgentRequestSessionKey(right);
}
