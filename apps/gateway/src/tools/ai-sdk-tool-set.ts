import { jsonSchema, tool, type ToolSet } from 'ai';
import { z } from 'zod';
import type { GatewayConfig } from '../config.js';
import { ceilingRefusal, toolCeilingFor } from '../credentials/tool-ceiling.js';
import { formatPath } from '../errors.js';
import type { GatewayMetrics } from '../metrics.js';
import type { GatewayTool, ToolContext } from './define-tool.js';
import { isToolAllowed } from './policy.js';
import type { ToolCallRunner } from './tool-calls.js';

/**
 * The AI SDK tool set of one run: every allowed tool, each call going through the runner. A
 * refusal or a failure is a tool result the model can read (`{ status: 'error' | 'blocked', error }`).
 */
export function toAiSdkToolSet(options: {
  tools: ReadonlyArray<GatewayTool>;
  context: ToolContext;
  denied: ReadonlySet<string>;
  config: GatewayConfig;
  runToolCall: ToolCallRunner;
  metrics: GatewayMetrics;
}): ToolSet {
  // No prototype: a model calling `constructor` or `__proto__` finds no tool (issue 14 item 21).
  const toolSet: ToolSet = Object.create(null) as ToolSet;
  // A scoped token's run: agent policy ∩ the token's ceiling; a tool with no allowed action is not offered.
  const ceiling = options.context.identity ? toolCeilingFor(options.context.identity) : undefined;
  for (const gatewayTool of options.tools) {
    if (!isToolAllowed(options.config, options.context.agentId, gatewayTool.name, options.denied)) continue;
    if (ceiling && !ceiling.allowsTool(gatewayTool.name)) continue;
    toolSet[gatewayTool.name] = tool({
      description: gatewayTool.description,
      inputSchema: jsonSchema(z.toJSONSchema(gatewayTool.parameters, { io: 'input' }) as Parameters<typeof jsonSchema>[0]),
      execute: async (input: unknown) => {
        const call = gatewayTool.prepare(input, options.context);
        if (!call.ok) {
          return {
            status: 'error',
            error: `Invalid ${gatewayTool.name} arguments at ${call.issue ? formatPath(call.issue.path) : '(root)'}: ${call.issue?.message}`,
          };
        }
        const missing = ceiling?.missingFor(gatewayTool.name, call.args);
        if (ceiling && missing) return { status: 'error', error: ceilingRefusal(gatewayTool.name, missing, ceiling.credentialId) };
        try {
          const outcome = await options.runToolCall(gatewayTool, call, options.context);
          return outcome.kind === 'blocked' ? { status: 'blocked', error: outcome.message } : outcome.value;
        } catch (error) {
          options.metrics.errors.inc({ where: 'tool' });
          return { status: 'error', error: (error as Error).message };
        }
      },
    });
  }
  return toolSet;
}
