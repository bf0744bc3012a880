import { normalizeAgentId, normalizeMainKey } from './agent-id.js';
import { SessionKeyError } from './errors.js';

/** The slice of a Pincer/OpenClaw config that session-key helpers read. */
export interface SessionKeyConfig {
  readonly session?: {
    /** Main-session suffix (default `"main"`; config loading forces `"main"`, helpers honour it). */
    readonly mainKey?: string | null | undefined;
    /** `"per-sender"` (default) or `"global"` (main aliases collapse to the literal `global`). */
    readonly scope?: 'per-sender' | 'global' | (string & {}) | null | undefined;
  } | null;
}

/**
 * Collapse main-session aliases to the canonical main key of `agentId`.
 * The alias set is compared with **case-sensitive** equality on the trimmed key:
 * `main`, `<mainKey>`, `agent:<A>:<mainKey>`, `agent:<A>:main`, `agent:main:<mainKey>`,
 * `agent:main:main` (the legacy implicit-agent keys are re-homed to `A`).
 * An alias becomes `global` under `cfg.session.scope === "global"`, else `agent:<A>:<mainKey>`;
 * anything else is returned trimmed and unchanged. `agentId: ""` behaves as `main`.
 *
 * @throws {SessionKeyError} `INVALID_INPUT` when `sessionKey` is not a string (OpenClaw throws a
 *   `TypeError` there).
 */
export function canonicalizeMainSessionAlias(params: {
  cfg?: SessionKeyConfig | null | undefined;
  agentId?: string | null | undefined;
  sessionKey: string;
}): string {
  if (typeof params.sessionKey !== 'string') {
    throw new SessionKeyError('INVALID_INPUT', 'sessionKey must be a string.');
  }
  const raw = params.sessionKey.trim();
  if (!raw) return '';
  const session = params.cfg?.session ?? undefined;
  const mainKey = normalizeMainKey(session?.mainKey);
  const agentId = normalizeAgentId(params.agentId);
  const isAlias =
    raw === 'main' ||
    raw === mainKey ||
    raw === `agent:${agentId}:${mainKey}` ||
    raw === `agent:${agentId}:main` ||
    raw === `agent:main:${mainKey}` ||
    raw === 'agent:main:main';
  if (!isAlias) return raw;
  return session?.scope === 'global' ? 'global' : `agent:${agentId}:${mainKey}`;
}
