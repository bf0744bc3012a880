import { z } from 'zod';
import type { SessionService } from '../sessions/sessions.js';
import type { GatewayStore } from '../store/gateway-store.js';
import { defineGatewayTool } from './define-tool.js';

/** Sessions read before the visibility filter. */
const CANDIDATE_SESSIONS = 1000;
/** Default page of the tool. */
const DEFAULT_LIMIT = 100;

/** `sessions_list`: the sessions this session may see. */
export function createSessionsListTool(deps: { sessions: SessionService; store: GatewayStore }) {
  return defineGatewayTool({
    name: 'sessions_list',
    description: "List the sessions this session may see (its agent's sessions).",
    parameters: z.object({ limit: z.number().int().min(1).max(200).optional() }).strict(),
    async execute(args, context) {
      const visible = deps.store.sessions
        .list({ limit: CANDIDATE_SESSIONS })
        .filter((session) => deps.sessions.canSee(context, session.key))
        .slice(0, args.limit ?? DEFAULT_LIMIT)
        .map((session) => ({
          key: session.key,
          agentId: session.agentId,
          kind: session.kind,
          label: session.label,
          spawnedBy: session.spawnedBy,
          updatedAt: session.updatedAt,
        }));
      return { count: visible.length, sessions: visible };
    },
  });
}
