import { ProcessRegistryError, type Sandbox } from '@pincer/process-registry';
import { z } from 'zod';
import { type CeilingLedger, eventCeilingOf } from '../credentials/event-ceiling.js';
import type { GatewayMetrics } from '../metrics.js';
import type { ProcessService } from '../processes/processes.js';
import { clampExecTimeout, type ExecTimeoutPolicy } from '../security/exec-limits.js';
import { DEFAULT_SESSION_CAPS } from '../security/session-quota.js';
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
export function createExecTool(deps: {
  processes: ProcessService;
  metrics: GatewayMetrics;
  sandboxFor?: (agentId: string) => Sandbox;
  timeoutPolicy?: ExecTimeoutPolicy | undefined;
  /** Running shells one session may hold (issue 14 item 12). Default {@link DEFAULT_SESSION_CAPS}. */
  maxRunningPerSession?: number | undefined;
  /** Where a background shell's caller's ceiling is kept until its exit notice is queued. */
  shellCeilings?: CeilingLedger | undefined;
}) {
  const maxRunningPerSession = deps.maxRunningPerSession ?? DEFAULT_SESSION_CAPS.maxRunningShellsPerSession;
  const { processes, metrics } = deps;
  return defineGatewayTool({
    name: 'exec',
    description:
      'Run a shell command. Foreground by default (returns output); background:true returns a process id at once and you get a system event when it exits.',
    parameters: ExecArgsSchema,
    async execute(args, context) {
      // Issue 14 item 10: the model cannot lift the operator's timeout (clamped; 0 only when allowed).
      const { timeoutMs } = clampExecTimeout(args.timeoutMs, deps.timeoutPolicy);
      const runningHere = processes.registry.snapshot().running.filter((process) => process.sessionKey === context.sessionKey).length;
      if (runningHere >= maxRunningPerSession) {
        return {
          status: 'error',
          code: 'LIMIT_EXCEEDED',
          error: `This session already runs ${runningHere} processes (security.perSession.maxRunningShells ${maxRunningPerSession}); kill or wait for one before starting another.`,
        };
      }
      try {
        const result = await processes.registry.exec({
          command: args.command,
          scopeKey: processes.scopeOf(context),
          sessionKey: context.sessionKey,
          ...(args.background !== undefined ? { background: args.background } : {}),
          ...(args.yieldMs !== undefined ? { yieldMs: args.yieldMs } : {}),
          timeoutMs,
          ...(args.cwd !== undefined ? { cwd: args.cwd } : {}),
          ...(deps.sandboxFor ? { sandbox: deps.sandboxFor(context.agentId) } : {}),
        });
        metrics.processesRunning.set(processes.registry.stats().running);
        // Its exit notice will carry this call's ceiling into the turn that shows it. Recorded in
        // the continuation of exec's answer, before any exit is processed (exits arrive as later
        // child-process events).
        if (result.status === 'running') deps.shellCeilings?.record(result.id, eventCeilingOf(context.identity));
        // Every result says whether the shell ran in the OS sandbox (and why not).
        if (result.status === 'running')
          return {
            status: 'running',
            id: result.id,
            pid: result.pid,
            tail: clipOutput(result.tail, RUNNING_TAIL_CHARS),
            sandbox: result.sandbox,
          };
        return { ...result, output: clipOutput(result.output) };
      } catch (error) {
        if (ProcessRegistryError.isInstance(error)) {
          if (error.code === 'SANDBOX_UNAVAILABLE')
            return { status: 'error', code: error.code, error: error.message, sandbox: { isSandboxed: false, reason: error.message } };
          return { status: 'error', code: error.code, error: error.message };
        }
        throw error;
      }
    },
  });
}
