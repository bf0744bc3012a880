import { z } from 'zod';
import { sessionOnlyScope } from '../credentials/access-scope.js';
import { CronShorthandShape } from '../cron/cron-shorthand.js';
import type { CronService } from '../cron/cron.js';
import { defineGatewayTool } from './define-tool.js';

/** `cron` tool arguments. */
export const CronArgsSchema = z
  .object({
    action: z.enum(['add', 'list', 'remove']),
    id: z.string().optional(),
    ...CronShorthandShape,
    text: z.string().optional(),
    kind: z.enum(['systemEvent', 'agentTurn']).optional(),
    target: z.enum(['session', 'isolated']).optional().describe('Fire into this session (default) or a fresh isolated run session.'),
    name: z.string().optional(),
  })
  .strict();

/** `cron`: reminders and scheduled turns owned by this session. */
export function createCronTool(deps: { cron: CronService }) {
  const { cron } = deps;
  return defineGatewayTool({
    name: 'cron',
    description: 'Schedule reminders or agent turns for this session: add (every/at/in/cron + text), list, remove.',
    parameters: CronArgsSchema,
    async execute(args, context) {
      await cron.sync();
      if (args.action === 'list') return { jobs: cron.list(sessionOnlyScope(context.sessionKey)) };
      if (args.action === 'remove') {
        const job = args.id ? cron.scheduler.get(args.id) : undefined;
        if (!job || cron.ownerOf(job) !== context.sessionKey) return { status: 'error', error: `Cron job "${args.id ?? ''}" not found.` };
        await cron.scheduler.remove(job.id);
        return { status: 'removed', id: job.id };
      }
      const added = await cron.add({
        ...args,
        ownerSessionKey: context.sessionKey,
        agentId: context.agentId,
        createdBy: context.identity?.credentialId,
      });
      if (!added.ok) return { status: 'error', error: added.error };
      return { status: 'added', id: added.job.id, nextRunAt: added.job.state.nextRunAtMs };
    },
  });
}
