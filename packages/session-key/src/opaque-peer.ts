import { asString, lastIndexOfCI, matchesAt, startsWithCI } from './text.js';

const SIGNAL_GROUP = 'signal:group:';
const THREAD_MARKER = ':thread:';

/**
 * Index where the case-preserved tail of a `[agent:<id>:]matrix:(channel|group):<tail>` key
 * starts, or -1 when the key is not of that form.
 */
function matrixTailStart(key: string): number {
  let pos = 0;
  if (startsWithCI(key, 'agent:')) {
    const colon = key.indexOf(':', 6);
    if (colon <= 6) return -1;
    pos = colon + 1;
  }
  if (!matchesAt(key, pos, 'matrix:')) return -1;
  pos += 7;
  if (matchesAt(key, pos, 'channel:')) return pos + 8;
  if (matchesAt(key, pos, 'group:')) return pos + 6;
  return -1;
}

/**
 * Internal: lower-case `key` (given with its `toLowerCase()` copy) but keep the segment after
 * every `signal:group:` marker at or after index `from` as written. Agent keys pass the index
 * after `agent:<id>:`, so an agent id spelled like the marker (`agent:signal:group:X`) never
 * counts as one: the marker lives in the rest only, which keeps canonicalization idempotent
 * when normalizing the id shifts where the rest starts.
 */
export function lowerPreservingSignalGroups(key: string, lower: string, from = 0): string {
  // Fast path: the marker is ASCII, and no non-ASCII character lower-cases into it, so
  // searching the lower-cased copy is an exact existence test.
  if (!lower.includes(SIGNAL_GROUP)) return lower;
  // Same length ⇒ every index of `lower` is the index of the same character in `key`, so the
  // native search over `lower` finds every marker; otherwise scan `key` itself.
  const sameIndexes = lower.length === key.length;
  let out = '';
  let copied = 0; // raw index up to which `out` covers the key
  let pos = sameIndexes ? lower.indexOf(SIGNAL_GROUP, from) : from;
  while (pos >= 0 && pos <= key.length - SIGNAL_GROUP.length) {
    const atBoundary = pos === from || key.charCodeAt(pos - 1) === 58;
    if (atBoundary && matchesAt(key, pos, SIGNAL_GROUP)) {
      const idStart = pos + SIGNAL_GROUP.length;
      let idEnd = key.indexOf(':', idStart);
      if (idEnd === -1) idEnd = key.length;
      out += (sameIndexes ? lower.slice(copied, idStart) : key.slice(copied, idStart).toLowerCase()) + key.slice(idStart, idEnd);
      copied = idEnd;
      pos = sameIndexes ? lower.indexOf(SIGNAL_GROUP, idEnd) : idEnd;
      continue;
    }
    pos = sameIndexes ? lower.indexOf(SIGNAL_GROUP, pos + 1) : pos + 1;
  }
  return out + (sameIndexes ? lower.slice(copied) : key.slice(copied).toLowerCase());
}

/** Index after the `agent:<id>:` head of `key`, or 0 when `key` has no such head. */
function restStart(key: string): number {
  if (!startsWithCI(key, 'agent:')) return 0;
  const colon = key.indexOf(':', 6);
  return colon > 6 ? colon + 1 : 0;
}

/**
 * Trim and lower-case a session key, except provider-opaque peer ids: the segment after
 * `signal:group:` (at a segment boundary, anywhere after an `agent:<id>:` head) and the tail of
 * `[agent:<id>:]matrix:(channel|group):<tail>` keys (the last `:thread:` marker inside that
 * tail is still lower-cased). Linear in the key length; never throws (non-strings → `''`).
 */
export function normalizeSessionKeyPreservingOpaquePeerIds(key: string | null | undefined): string {
  const raw = asString(key).trim();
  if (!raw) return '';
  const tailStart = matrixTailStart(raw);
  if (tailStart >= 0) {
    const head = raw.slice(0, tailStart).toLowerCase();
    const tail = raw.slice(tailStart);
    const thread = lastIndexOfCI(tail, THREAD_MARKER);
    if (thread < 0) return head + tail;
    return head + tail.slice(0, thread) + THREAD_MARKER + tail.slice(thread + THREAD_MARKER.length);
  }
  return lowerPreservingSignalGroups(raw, raw.toLowerCase(), restStart(raw));
}

/** Peer kinds whose ids are case-sensitive on a given channel. */
function isCaseSensitivePeer(channel: string, peerKind: string): boolean {
  if (channel === 'signal') return peerKind === 'group';
  if (channel === 'matrix') return peerKind === 'channel' || peerKind === 'group';
  return false;
}

/**
 * Normalize a peer id for use inside a key: trimmed; lower-cased unless the peer is a Signal
 * group or a Matrix channel/group (those ids are case-sensitive and kept as written).
 */
export function normalizeSessionPeerId(params: {
  channel?: string | null | undefined;
  peerKind?: string | null | undefined;
  peerId?: string | null | undefined;
}): string {
  const peerId = asString(params.peerId).trim();
  const channel = asString(params.channel).trim().toLowerCase();
  const peerKind = asString(params.peerKind).trim().toLowerCase();
  return isCaseSensitivePeer(channel, peerKind) ? peerId : peerId.toLowerCase();
}
