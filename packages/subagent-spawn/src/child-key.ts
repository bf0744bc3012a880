import {
  canonicalizeSessionKey,
  isCanonicalSessionKey,
  normalizeAgentId,
  parseAgentSessionKey,
  resolveSubagentSessionKey,
  SessionKeyError,
} from '@pincer/session-key';

/**
 * Grammar of a short child key (`sessionKey: "worker-1"` → `agent:<target>:subagent:worker-1`):
 * 1–128 characters of letters, digits, `_`, `.`, `-`, starting with a letter or digit. No `:` — a
 * short key can never smuggle in another namespace or extra `subagent:` segments.
 */
export const SHORT_CHILD_KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

const AGENT_PREFIX = /^agent:/i;

/** Outcome of {@link resolveChildSessionKey}: the canonical key, or why it is refused. */
export type ChildKeyResolution =
  | { ok: true; childSessionKey: string }
  | { ok: false; code: 'CROSS_AGENT_SESSION_KEY' | 'INVALID_SESSION_KEY'; error: string };

/**
 * The parts of a **canonical** agent session key (`canonicalizeSessionKey` from
 * `@pincer/session-key`), or `undefined` when `key` is not one: a case, whitespace or agent-id
 * variant (`agent:main:VICTIM`, `agent:Main!:victim`) is not the session it resembles.
 */
export function canonicalAgentSessionKey(key: string): { key: string; agentId: string; rest: string } | undefined {
  if (!isCanonicalSessionKey(key)) return undefined;
  const parsed = parseAgentSessionKey(key);
  if (!parsed) return undefined;
  return { key, agentId: parsed.agentId, rest: parsed.rest };
}

/**
 * The child session key for a spawn into `targetAgentId` (already normalized), following seed 002:
 * omitted/blank → `agent:<target>:subagent:<newId()>`; short → `agent:<target>:subagent:<key>`;
 * fully-qualified → must be `agent:<target>:subagent:…` with the agent compared after normalization
 * (`AGENT:Ops:SubAgent:W` is `agent:ops:subagent:w`). The result is always lower-case canonical and
 * always a sub-agent key of the target agent. Never throws: refusals come back as data.
 */
export function resolveChildSessionKey(input: {
  targetAgentId: string;
  sessionKey?: string | undefined;
  newId: () => string;
}): ChildKeyResolution {
  const target = input.targetAgentId;
  const raw = input.sessionKey?.trim() ?? '';
  if (raw !== '') {
    if (AGENT_PREFIX.test(raw)) {
      const parsed = parseAgentSessionKey(raw);
      if (!parsed) {
        return {
          ok: false,
          code: 'INVALID_SESSION_KEY',
          error: `Session key "${raw}" is malformed; use a short key or agent:${target}:subagent:<key>.`,
        };
      }
      if (normalizeAgentId(parsed.agentId) !== target) {
        return {
          ok: false,
          code: 'CROSS_AGENT_SESSION_KEY',
          error: `Session key "${raw}" belongs to another agent; a sub-agent of "${target}" can only run in agent:${target}:subagent:<key>.`,
        };
      }
      if (!/^subagent:[^:]/.test(parsed.rest)) {
        return {
          ok: false,
          code: 'INVALID_SESSION_KEY',
          error: `Session key "${raw}" is not a sub-agent session key; use agent:${target}:subagent:<key>.`,
        };
      }
    } else if (!SHORT_CHILD_KEY_PATTERN.test(raw)) {
      return {
        ok: false,
        code: 'INVALID_SESSION_KEY',
        error: `Session key "${raw}" is not a valid short key (1-128 of A-Z a-z 0-9 _ . -, no ":"); or pass agent:${target}:subagent:<key>.`,
      };
    }
  }

  let resolved: string;
  try {
    resolved = resolveSubagentSessionKey({
      targetAgentId: target,
      ...(raw === '' ? {} : { sessionKey: raw }),
      newId: input.newId,
    });
  } catch (error) {
    if (SessionKeyError.isInstance(error) && error.code === 'CROSS_AGENT_SESSION_KEY') {
      return { ok: false, code: 'CROSS_AGENT_SESSION_KEY', error: error.message };
    }
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, code: 'INVALID_SESSION_KEY', error: `Session key rejected: ${message}` };
  }

  // Defence in depth: whatever the resolver returned must be a sub-agent key of the target agent.
  const canonical = canonicalAgentSessionKey(resolved);
  if (!canonical || normalizeAgentId(canonical.agentId) !== target) {
    return {
      ok: false,
      code: 'CROSS_AGENT_SESSION_KEY',
      error: `Session key "${raw || resolved}" does not belong to agent "${target}".`,
    };
  }
  if (!/^subagent:[^:]/.test(canonical.rest)) {
    return {
      ok: false,
      code: 'INVALID_SESSION_KEY',
      error: `Session key "${raw || resolved}" is not a sub-agent session key; use agent:${target}:subagent:<key>.`,
    };
  }
  return { ok: true, childSessionKey: canonicalizeSessionKey(`agent:${target}:${canonical.rest}`) };
}
