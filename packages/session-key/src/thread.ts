import { asString, lastIndexOfCI, trimmed } from './text.js';

const THREAD_MARKER = ':thread:';

/** Result of {@link resolveThreadSessionKeys}. */
export interface ThreadSessionKeys {
  /** The key to use for the thread (the base key when there is no thread). */
  readonly sessionKey: string;
  /** The `parentSessionKey` passed in, when there is a thread; else `undefined`. */
  readonly parentSessionKey: string | undefined;
}

/**
 * Derive a thread's session key: blank `threadId` → the base key; otherwise
 * `<base>:thread:<normalizeThreadId(threadId)>` (default normalizer: lower-case), or the base
 * key itself when `useSuffix` is `false`. `baseSessionKey` and `threadId` are trimmed first. A throwing custom
 * `normalizeThreadId` propagates its own error.
 */
export function resolveThreadSessionKeys(params: {
  baseSessionKey: string;
  threadId?: string | null | undefined;
  parentSessionKey?: string | undefined;
  /** Append `:thread:<id>` (default `true`). */
  useSuffix?: boolean | undefined;
  /** Thread-id normalizer (default: `toLowerCase`). */
  normalizeThreadId?: ((threadId: string) => string) | undefined;
}): ThreadSessionKeys {
  const base = trimmed(params.baseSessionKey);
  const threadId = asString(params.threadId).trim();
  if (!threadId) return { sessionKey: base, parentSessionKey: undefined };
  const normalize = params.normalizeThreadId ?? ((value: string) => value.toLowerCase());
  const sessionKey = params.useSuffix === false ? base : `${base}${THREAD_MARKER}${normalize(threadId)}`;
  return { sessionKey, parentSessionKey: params.parentSessionKey };
}

/** Result of {@link parseThreadSessionSuffix}. */
export interface ThreadSessionSuffix {
  /** The key before the last `:thread:` marker (the whole key if none); `undefined` if blank. */
  readonly baseSessionKey: string | undefined;
  /** The trimmed id after the last `:thread:` marker; `undefined` if none or blank. */
  readonly threadId: string | undefined;
}

/**
 * Split a key at its **last** `:thread:` marker (case-insensitive), keeping the case of both
 * halves (`agent:ops:thread:` → `{ baseSessionKey: "agent:ops", threadId: undefined }`). The key
 * is trimmed first, as OpenClaw 2026.9.6 does (`" agent:ops:main "` → base `agent:ops:main`;
 * whitespace only → no base).
 */
export function parseThreadSessionSuffix(key: string | null | undefined): ThreadSessionSuffix {
  const raw = trimmed(key);
  if (!raw) return { baseSessionKey: undefined, threadId: undefined };
  // No ":" at all (bare keys): no marker, no lower-cased copy.
  if (raw.indexOf(':') < 0) return { baseSessionKey: raw, threadId: undefined };
  // One native search over the lower-cased copy when lower-casing kept every index.
  const lower = raw.toLowerCase();
  const index = lower.length === raw.length ? lower.lastIndexOf(THREAD_MARKER) : lastIndexOfCI(raw, THREAD_MARKER);
  if (index < 0) return { baseSessionKey: raw, threadId: undefined };
  const threadId = raw.slice(index + THREAD_MARKER.length).trim();
  return { baseSessionKey: raw.slice(0, index), threadId: threadId || undefined };
}
