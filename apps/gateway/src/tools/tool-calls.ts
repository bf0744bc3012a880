import type { PluginHost } from '@pincer/plugin-sdk/host';
import type { GatewayClock } from '../clock.js';
import type { GatewayMetrics } from '../metrics.js';
import type { GatewayTool, PreparedToolCall, ToolContext } from './define-tool.js';

/** What a validated tool call came to: a plugin's block, or the tool's result. */
export type ToolCallOutcome = { kind: 'blocked'; message: string } | { kind: 'result'; value: unknown };

/** Runs validated tool calls the same way for the model and for HTTP: metrics and plugin hooks. */
export type ToolCallRunner = (
  tool: GatewayTool,
  call: Extract<PreparedToolCall, { ok: true }>,
  context: ToolContext,
) => Promise<ToolCallOutcome>;

/** Count, ask `before_tool_call` (a block is an outcome), run, fire `after_tool_call`. Tool errors propagate. */
export function createToolCallRunner(options: { plugins: PluginHost; metrics: GatewayMetrics; clock: GatewayClock }): ToolCallRunner {
  const { plugins, metrics, clock } = options;
  return async (tool, call, context) => {
    metrics.toolCalls.inc({ tool: tool.name });
    const decision = await plugins.runBeforeToolCall({
      toolName: tool.name,
      params: call.args,
      sessionKey: context.sessionKey,
      agentId: context.agentId,
    });
    if (decision.blocked) return { kind: 'blocked', message: `Blocked by plugin ${decision.pluginId}: ${decision.reason}` };
    const startedAt = clock.now();
    const value = await call.run();
    void plugins
      .emit('after_tool_call', {
        toolName: tool.name,
        params: call.args,
        result: value,
        sessionKey: context.sessionKey,
        agentId: context.agentId,
        durationMs: Math.max(0, clock.now() - startedAt),
      })
      .catch(() => undefined);
    return { kind: 'result', value };
  };
}
