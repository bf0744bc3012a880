import {
  buildAgentMainSessionKey,
  classifySessionKeyShape,
  isUnscopedSessionKeySentinel,
  normalizeAgentId,
  normalizeExplicitSessionKey,
  SessionKeyError,
} from '@pincer/session-key';
import { agentSessionConfig, type GatewayConfig } from '../config.js';
import { GatewayError } from '../errors.js';
import { canonicalSessionKey } from '../security/canonical-session-key.js';
import type { SessionTable } from '../store/gateway-store.js';

/** What a turn request may name to pick its session (seed 003). */
export interface TurnTargetInput {
  agentId?: string | undefined;
  sessionKey?: string | undefined;
  sessionId?: string | undefined;
  to?: string | undefined;
}

/** The session a turn runs in, and its owning agent. */
export interface TurnTarget {
  sessionKey: string;
  agentId: string;
}

/** Resolves a turn request's session key; throws `GatewayError('invalid_request')` naming the field. */
export type TurnTargetResolver = (input: TurnTargetInput) => TurnTarget;

/** Map a SessionKeyError to a 400 with the same message. */
export function sessionKeyErrorToGateway(error: unknown, field: string): never {
  if (SessionKeyError.isInstance(error)) throw new GatewayError('invalid_request', error.message, { field, cause: error });
  throw error;
}

/**
 * Unscoped sentinels (`global`, `unknown`) run in the owner's namespace so every queue key is
 * agent-qualified. (session-key has no exported helper for this yet; the CLI has a copy.)
 */
export function qualifyUnscopedSentinel(sessionKey: string, ownerAgentId: string): string {
  return isUnscopedSessionKeySentinel(sessionKey) ? `agent:${ownerAgentId}:${sessionKey.toLowerCase()}` : sessionKey;
}

/**
 * The seed-003 targeting rules: an explicit session key (checked in the order blank, malformed,
 * agent mismatch, unknown agent), else a session id of the agent, else the agent's main session.
 */
export function createTurnTargetResolver(config: GatewayConfig, sessions: Pick<SessionTable, 'findBySessionId'>): TurnTargetResolver {
  const knownAgentIds = config.agents.map((agent) => agent.id);
  return (input) => {
    let agentId: string | undefined;
    // With a session key, normalizeExplicitSessionKey checks the agent (seed-003 order: blank, malformed, mismatch, unknown).
    if (input.agentId !== undefined && input.sessionKey === undefined) {
      if (input.agentId.trim() === '') throw new GatewayError('invalid_request', '--agent must not be blank', { field: 'agentId' });
      agentId = normalizeAgentId(input.agentId);
      if (!knownAgentIds.includes(agentId)) {
        throw new GatewayError('invalid_request', `Unknown agent id "${input.agentId.trim()}".`, { field: 'agentId' });
      }
    }
    if (input.sessionKey !== undefined) {
      let explicit: { sessionKey: string; agentId: string | undefined };
      try {
        explicit = normalizeExplicitSessionKey({
          sessionKey: input.sessionKey,
          ...(input.agentId !== undefined ? { agentId: input.agentId } : {}),
          defaultAgentId: config.defaultAgent,
          knownAgentIds,
        });
      } catch (error) {
        sessionKeyErrorToGateway(error, 'sessionKey');
      }
      const owner = explicit.agentId ?? config.defaultAgent;
      if (!knownAgentIds.includes(owner)) {
        throw new GatewayError('invalid_request', `Unknown agent id "${owner}".`, { field: 'sessionKey' });
      }
      // Issue 14 item 1: the one canonical key, computed here where requests enter.
      return { sessionKey: canonicalSessionKey(qualifyUnscopedSentinel(explicit.sessionKey, owner)), agentId: owner };
    }
    const owner = agentId ?? config.defaultAgent;
    if (input.sessionId !== undefined) {
      const sessionId = input.sessionId.trim();
      if (sessionId === '') throw new GatewayError('invalid_request', '--session-id must not be blank', { field: 'sessionId' });
      const existing = sessions.findBySessionId(owner, sessionId);
      if (existing) return { sessionKey: existing.key, agentId: owner };
      return { sessionKey: canonicalSessionKey(`agent:${owner}:explicit:${sessionId}`), agentId: owner };
    }
    // `to` without a channel targets the agent's main session (dmScope is not applied), as in OpenClaw.
    const mainKey = agentSessionConfig(config, owner).mainKey;
    return {
      sessionKey: canonicalSessionKey(buildAgentMainSessionKey({ agentId: owner, ...(mainKey ? { mainKey } : {}) })),
      agentId: owner,
    };
  };
}

/**
 * Issue 14 item 3: with more than one agent and no configured `defaultAgent`, a turn that names
 * no agent (no `agentId`, no agent-prefixed key) is refused before dispatch with OpenClaw's
 * message (ids in config order), instead of silently running as the first agent.
 */
export function assertExplicitTurnOwner(config: GatewayConfig, input: TurnTargetInput): void {
  if (config.agents.length < 2 || config.explicitDefaultAgent !== undefined) return;
  if (input.agentId !== undefined) return;
  if (input.sessionKey !== undefined && classifySessionKeyShape(input.sessionKey.trim()) === 'agent') return;
  const ids = config.agents.map((agent) => agent.id).join(', ');
  throw new GatewayError(
    'invalid_request',
    `Multiple agents are configured, but agent turn has no explicit owner. Pass --agent <id> to select one of: ${ids}.`,
    { field: 'agentId' },
  );
}
