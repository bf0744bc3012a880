import { z } from 'zod';
import type { SessionService } from '../sessions/sessions.js';
import { defineGatewayTool } from './define-tool.js';

/** Chars of each message the tool returns. */
const MESSAGE_TEXT_CHARS = 4000;
/** Default page of the tool. */
const DEFAULT_LIMIT = 50;

/** `sessions_history`: the transcript of a visible session (others answer exactly like missing ones). */
export function createSessionsHistoryTool(deps: { sessions: SessionService }) {
  return defineGatewayTool({
    name: 'sessions_history',
    description: 'Read the transcript of a visible session.',
    parameters: z.object({ sessionKey: z.string().min(1), limit: z.number().int().min(1).max(200).optional() }).strict(),
    async execute(args, context) {
      const session = deps.sessions.get(args.sessionKey.trim());
      if (!session || !deps.sessions.canSee(context, session.key))
        return { status: 'error', error: `Session ${args.sessionKey} not found.` };
      const entries = deps.sessions.transcript(session, { limit: args.limit ?? DEFAULT_LIMIT });
      return {
        sessionKey: session.key,
        messages: entries
          .filter((entry) => entry.role !== 'tool')
          .map((entry) => ({ role: entry.role, text: entry.text.slice(0, MESSAGE_TEXT_CHARS), at: entry.createdAt })),
      };
    },
  });
}
