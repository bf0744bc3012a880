import type { SubagentSpawner } from '@pincer/subagent-spawn';
import { z } from 'zod';
import type { SpawnIdentities } from '../subagents/spawn-identities.js';
import { defineGatewayTool } from './define-tool.js';

/** `sessions_spawn` tool arguments (seed 002: `sessionKey` reuses a sub-agent session). */
export const SpawnArgsSchema = z
  .object({
    task: z.string().min(1),
    agentId: z.string().optional(),
    sessionKey: z.string().optional().describe('Reuse a sub-agent session: short key or agent:<id>:subagent:<key>.'),
    label: z.string().optional(),
    runTimeoutSeconds: z.number().int().min(0).optional(),
    cleanup: z.enum(['keep', 'delete']).optional(),
  })
  .strict();

/** `sessions_spawn`: start a sub-agent run whose result is announced back to this session. */
export function createSessionsSpawnTool(deps: { spawner: SubagentSpawner; spawnIdentities: SpawnIdentities }) {
  return defineGatewayTool({
    name: 'sessions_spawn',
    description: 'Start a sub-agent run with a task; its result is announced back to this session when it ends.',
    parameters: SpawnArgsSchema,
    execute: (args, context) =>
      // The child inherits the requester's ceiling: launch (inside spawn) reads it by requester session.
      deps.spawnIdentities.during(context.sessionKey, context.identity, () =>
        deps.spawner.spawn({
          requester: { agentId: context.agentId, sessionKey: context.sessionKey },
          task: args.task,
          ...(args.agentId !== undefined ? { agentId: args.agentId } : {}),
          ...(args.sessionKey !== undefined ? { sessionKey: args.sessionKey } : {}),
          ...(args.label !== undefined ? { label: args.label } : {}),
          ...(args.runTimeoutSeconds !== undefined ? { runTimeoutSeconds: args.runTimeoutSeconds } : {}),
          ...(args.cleanup !== undefined ? { cleanup: args.cleanup } : {}),
        }),
      ),
  });
}
