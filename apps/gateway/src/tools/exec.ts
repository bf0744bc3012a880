import { ProcessRegistryError } from '@pincer/process-registry';
import { z } from 'zod';
import type { GatewayMetrics } from '../metrics.js';
import type { ProcessService } from '../processes/processes.js';
import { defineGatewayTool } from './define-tool.js';
import { clipOutput, RUNNING_TAIL_CHARS } from './output-clip.js';

/** `exec` tool arguments. */
export const ExecArgsSchema = z
  .object({
    command: z.string().min(1).describe('Shell command to run (bash -c).'),
    background: z.boolean().optional().describe('Return immediately with a process id; you are notified on exit.'),
    yieldMs: z.number().int().min(0).max(120_000).optional().describe('Wait this long before backgrounding (ms).'),
    timeoutMs: z.number().int().min(0).optional().describe('Kill after this long (ms); 0 = no timeout.'),
    cwd: z.string().optional(),
  })
  .strict();

/** `exec`: run a command in the session's process scope (foreground, or background with an exit notice). */
export function createExecTool(deps: { processes: ProcessService; metrics: GatewayMetrics }) {
  const { processes, metrics } = deps;
  return defineGatewayTool({
    name: 'exec',
    description:
      'Run a shell command. Foreground by default (returns output); background:true returns a process id at once and you get a system event when it exits.',
    parameters: ExecArgsSchema,
    async execute(args, context) {
      try {
        const result = await processes.registry.exec({
          command: args.command,
          scopeKey: processes.scopeOf(context),
          sessionKey: context.sessionKey,
          ...(args.background !== undefined ? { background: args.background } : {}),
          ...(args.yieldMs !== undefined ? { yieldMs: args.yieldMs } : {}),
          ...(args.timeoutMs !== undefined ? { timeoutMs: args.timeoutMs } : {}),
          ...(args.cwd !== undefined ? { cwd: args.cwd } : {}),
        });
        metrics.processesRunning.set(processes.registry.stats().running);
        if (result.status === 'running') return { status: 'running', id: result.id, pid: result.pid, tail: clipOutput(result.tail, RUNNING_TAIL_CHARS) };
        return { ...result, output: clipOutput(result.output) };
      } catch (error) {
        if (ProcessRegistryError.isInstance(error)) return { status: 'error', code: error.code, error: error.message };
        throw error;
      }
    },
  });
}
