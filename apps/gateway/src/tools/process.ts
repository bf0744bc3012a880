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

/** `process`: the session's background processes (every action is confined to the session's scope). */
export function createProcessTool(deps: { processes: ProcessService }) {
  const { processes } = deps;
  const registry = processes.registry;
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
              processes: registry.list({ scopeKey }).map((process) => ({
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
