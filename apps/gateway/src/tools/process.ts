import { ProcessRegistryError } from '@pincer/process-registry';
import { z } from 'zod';
import type { ProcessService } from '../processes/processes.js';
import { defineGatewayTool } from './define-tool.js';
import { clipOutput } from './output-clip.js';

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

type ProcessArgs = z.infer<typeof ProcessArgsSchema>;

/** `process`: the session's background processes (every action is confined to the session's scope). */
export function createProcessTool(deps: { processes: ProcessService }) {
  const { processes } = deps;
  const registry = processes.registry;
  /** The same call on the node that runs the shell (cluster mode), clipped like a local answer; `undefined` when none does. */
  const forwardToOwner = async (
    action: ProcessArgs['action'],
    scopeKey: string,
    id: string,
    args: ProcessArgs,
    paging: { offset?: number; limit?: number },
  ): Promise<unknown> => {
    const clipped = (answer: unknown) => {
      if (answer === undefined) return undefined;
      const output = (answer as { output?: unknown }).output;
      return typeof output === 'string' ? { ...(answer as object), output: clipOutput(output) } : answer;
    };
    switch (action) {
      case 'log':
        return clipped(await processes.forward({ op: 'log', id, scopeKey, ...paging }));
      case 'poll':
        return clipped(await processes.forward({ op: 'poll', id, scopeKey, waitMs: args.waitMs }));
      case 'write':
        return processes.forward({ op: 'write', id, scopeKey, data: args.data ?? '', eof: args.eof });
      case 'kill':
        return processes.forward({ op: 'kill', id, scopeKey });
      default:
        return undefined;
    }
  };
  return defineGatewayTool({
    name: 'process',
    description: "Manage this session's background processes: list, poll, log, write, send-keys, paste, submit, kill, clear, remove.",
    parameters: ProcessArgsSchema,
    async execute(args, context) {
      const scopeKey = processes.scopeOf(context);
      const id = args.id ?? '';
      const paging = {
        ...(args.offset !== undefined ? { offset: args.offset } : {}),
        ...(args.limit !== undefined ? { limit: args.limit } : {}),
      };
      try {
        switch (args.action) {
          case 'list':
            return {
              processes: [
                ...registry.list({ scopeKey }),
                // Cluster mode: the session's shells running on other nodes (from the shared journal).
                ...processes.remoteRunning(scopeKey).map((row) => ({ ...row, pid: row.pid ?? undefined, endedAt: undefined })),
              ].map((process) => ({
                id: process.id,
                status: process.status,
                command: process.command,
                pid: process.pid,
                exitCode: process.exitCode,
                startedAt: process.startedAt,
                endedAt: process.endedAt,
              })),
            };
          case 'poll': {
            const polled = await registry.poll({ scopeKey, id, ...(args.waitMs !== undefined ? { waitMs: args.waitMs } : {}) });
            return { ...polled, output: clipOutput(polled.output) };
          }
          case 'log': {
            try {
              const page = registry.log({ scopeKey, id, ...paging });
              return { ...page, output: clipOutput(page.output) };
            } catch (error) {
              const forwarded = ProcessRegistryError.isInstance(error)
                ? await forwardToOwner('log', scopeKey, id, args, paging)
                : undefined;
              if (forwarded !== undefined) return forwarded;
              // Evicted from memory (or from before a restart): the journal still has it — same scope only.
              const journaled = ProcessRegistryError.isInstance(error) ? processes.journalLog(scopeKey, id, paging) : undefined;
              if (journaled) return { ...journaled, output: clipOutput(journaled.output) };
              throw error;
            }
          }
          case 'write':
            return registry.write({ scopeKey, id, data: args.data ?? '', ...(args.eof !== undefined ? { eof: args.eof } : {}) });
          case 'send-keys':
            return registry.sendKeys({
              scopeKey,
              id,
              ...(args.keys ? { keys: args.keys } : {}),
              ...(args.text ? { literal: args.text } : {}),
            });
          case 'paste':
            return registry.paste({ scopeKey, id, text: args.text ?? args.data ?? '' });
          case 'submit':
            return registry.submit({ scopeKey, id });
          case 'kill':
            return await registry.kill({ scopeKey, id });
          case 'clear':
            registry.clear({ scopeKey, id });
            return { status: 'cleared', id };
          case 'remove':
            await registry.remove({ scopeKey, id });
            return { status: 'removed', id };
        }
      } catch (error) {
        // Cluster mode: a shell this node does not run may run on another node of the session's.
        if (ProcessRegistryError.isInstance(error) && error.code === 'PROCESS_NOT_FOUND') {
          const forwarded = await forwardToOwner(args.action, scopeKey, id, args, paging);
          if (forwarded !== undefined) return forwarded;
        }
        if (ProcessRegistryError.isInstance(error)) {
          return error.code === 'PROCESS_NOT_FOUND'
            ? { status: 'error', error: `No process "${id}" in this session.` }
            : { status: 'error', code: error.code, error: error.message };
        }
        throw error;
      }
    },
  });
}
