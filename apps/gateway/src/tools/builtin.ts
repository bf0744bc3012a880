import { z } from 'zod';
import type { GatewayTool, ToolContext } from './types.js';

/** What the built-in tools need from the runtime (kept narrow so they are easy to test). */
export interface BuiltinToolDeps {
  exec(ctx: ToolContext, args: ExecArgs): Promise<unknown>;
  process(ctx: ToolContext, args: ProcessArgs): Promise<unknown>;
  spawn(ctx: ToolContext, args: SpawnArgs): Promise<unknown>;
  listSessions(ctx: ToolContext, args: { limit?: number | undefined }): Promise<unknown>;
  history(ctx: ToolContext, args: { sessionKey: string; limit?: number | undefined }): Promise<unknown>;
  cron(ctx: ToolContext, args: CronArgs): Promise<unknown>;
}

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
/** @see ExecArgsSchema */
export type ExecArgs = z.infer<typeof ExecArgsSchema>;

/** `process` tool arguments. */
export const ProcessArgsSchema = z
  .object({
    action: z.enum(['list', 'poll', 'log', 'write', 'send-keys', 'paste', 'submit', 'kill', 'clear', 'remove']),
    id: z.string().optional(),
    data: z.string().optional(),
    eof: z.boolean().optional(),
    keys: z.array(z.string()).optional(),
    text: z.string().optional(),
    offset: z.number().int().min(0).optional(),
    limit: z.number().int().min(1).optional(),
    waitMs: z.number().int().min(0).max(30_000).optional(),
  })
  .strict();
/** @see ProcessArgsSchema */
export type ProcessArgs = z.infer<typeof ProcessArgsSchema>;

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
/** @see SpawnArgsSchema */
export type SpawnArgs = z.infer<typeof SpawnArgsSchema>;

/** `cron` tool arguments. */
export const CronArgsSchema = z
  .object({
    action: z.enum(['add', 'list', 'remove']),
    id: z.string().optional(),
    every: z.string().optional().describe('Interval such as 30s, 5m, 1h.'),
    at: z.string().optional().describe('ISO timestamp for a one-shot.'),
    in: z.string().optional().describe('Delay for a one-shot, such as 10s or 5m.'),
    cron: z.string().optional().describe('5/6-field cron expression.'),
    tz: z.string().optional(),
    text: z.string().optional(),
    kind: z.enum(['systemEvent', 'agentTurn']).optional(),
    target: z.enum(['session', 'isolated']).optional().describe('Fire into this session (default) or a fresh isolated run session.'),
    name: z.string().optional(),
  })
  .strict();
/** @see CronArgsSchema */
export type CronArgs = z.infer<typeof CronArgsSchema>;

/** The built-in tools, keyed by name. */
export function createBuiltinTools(deps: BuiltinToolDeps): Map<string, GatewayTool> {
  const tools: GatewayTool[] = [
    {
      name: 'exec',
      description:
        'Run a shell command. Foreground by default (returns output); background:true returns a process id at once and you get a system event when it exits.',
      input: ExecArgsSchema,
      execute: (args, ctx) => deps.exec(ctx, args as ExecArgs),
    },
    {
      name: 'process',
      description: 'Manage this session\'s background processes: list, poll, log, write, send-keys, paste, submit, kill, clear, remove.',
      input: ProcessArgsSchema,
      execute: (args, ctx) => deps.process(ctx, args as ProcessArgs),
    },
    {
      name: 'sessions_spawn',
      description: 'Start a sub-agent run with a task; its result is announced back to this session when it ends.',
      input: SpawnArgsSchema,
      execute: (args, ctx) => deps.spawn(ctx, args as SpawnArgs),
    },
    {
      name: 'sessions_list',
      description: 'List the sessions this session may see (its agent\'s sessions).',
      input: z.object({ limit: z.number().int().min(1).max(200).optional() }).strict(),
      execute: (args, ctx) => deps.listSessions(ctx, args as { limit?: number }),
    },
    {
      name: 'sessions_history',
      description: 'Read the transcript of a visible session.',
      input: z.object({ sessionKey: z.string().min(1), limit: z.number().int().min(1).max(200).optional() }).strict(),
      execute: (args, ctx) => deps.history(ctx, args as { sessionKey: string; limit?: number }),
    },
    {
      name: 'cron',
      description: 'Schedule reminders or agent turns for this session: add (every/at/in/cron + text), list, remove.',
      input: CronArgsSchema,
      execute: (args, ctx) => deps.cron(ctx, args as CronArgs),
    },
  ];
  return new Map(tools.map((t) => [t.name, t]));
}
