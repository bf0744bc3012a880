import { canonicalizeSessionKey, normalizeSessionKeyPreservingOpaquePeerIds, parseAgentSessionKey } from '@pincer/session-key';

/**
 * Item 1 (issue 14): a session has exactly one key. Every entry point (HTTP, inbound, the
 * embedded runtime, tools, spawn, cron) passes the key it was given through
 * {@link canonicalSessionKey} once, and every component (store, lanes, process scope, queue, SSE
 * filters, announcements, cron ownership) compares the result as a plain string.
 *
 * The rule follows OpenClaw's store, which lower-cases keys: `agent:<normalizeAgentId(id)>:<rest>`
 * with `rest` lower-cased except the provider-opaque peer ids OpenClaw preserves (Signal group
 * ids, Matrix channel/group tails) — `normalizeSessionKeyPreservingOpaquePeerIds`. So
 * `agent:main:VICTIM` and `agent:Main!:victim` are the session `agent:main:victim`, not an alias
 * beside it. Agent keys follow `@pincer/session-key`'s `canonicalizeSessionKey` (one rule for the
 * gateway and the packages); sentinel keys are only trimmed and lower-cased here.
 */
export function canonicalSessionKey(key: string): string {
  const trimmed = key.trim();
  return parseAgentSessionKey(trimmed) ? canonicalizeSessionKey(trimmed) : normalizeSessionKeyPreservingOpaquePeerIds(trimmed);
}
