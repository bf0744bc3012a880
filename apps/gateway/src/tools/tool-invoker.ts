import { getSubagentDepth } from '@pincer/session-key';
import type { GatewayConfig } from '../config.js';
import type { Identity } from '../credentials/identity.js';
import { formatPath as formatIssuePath, GatewayError, notFound } from '../errors.js';
import type { SessionService } from '../sessions/sessions.js';
import type { TurnTargetResolver } from '../sessions/turn-target.js';
import type { ToolContext } from './define-tool.js';
import { deniedToolsForDepth, HTTP_REFUSED_TOOLS, isToolAllowed, PROCESS_INPUT_ACTIONS } from './policy.js';
import type { ToolCallRunner } from './tool-calls.js';
import type { Toolbox } from './toolbox.js';

/** `POST /v1/tools/invoke`: a tool run for a session by an operator, with the HTTP refusals. */
export type ToolInvoker = (toolName: string, rawArgs: unknown, sessionKey: string, identity?: Identity) => Promise<unknown>;

/**
 * Refusals first (exec, spawning, sessions_send and cron never run over HTTP), then the session
 * (400 on `sessionKey`), the arguments (400 on `args.<path>`), stdin-feeding process actions (403),
 * the session's tool policy (403), and plugin hooks (a block is a 403, not a bypass).
 */
export function createToolInvoker(options: {
  config: GatewayConfig;
  toolbox: Toolbox;
  sessions: SessionService;
  resolveTurnTarget: TurnTargetResolver;
  runToolCall: ToolCallRunner;
}): ToolInvoker {
  const { config } = options;
  return async (toolName, rawArgs, sessionKey, identity) => {
    // Own keys only: `constructor`, `toString`, `__proto__` answer like any unknown tool (issue 14 item 21).
    const refusal = Object.hasOwn(HTTP_REFUSED_TOOLS, toolName) ? HTTP_REFUSED_TOOLS[toolName] : undefined;
    if (refusal) throw new GatewayError('forbidden', refusal, { field: 'tool' });
    const tool = options.toolbox.get(toolName);
    if (!tool) throw notFound(`Tool "${toolName}"`);
    let target: { sessionKey: string; agentId: string };
    try {
      target = options.resolveTurnTarget({ sessionKey });
    } catch (error) {
      throw GatewayError.isInstance(error) ? new GatewayError(error.code, error.message, { field: 'sessionKey' }) : error;
    }
    const context: ToolContext = {
      agentId: target.agentId,
      sessionKey: target.sessionKey,
      sessionId: options.sessions.get(target.sessionKey)?.sessionId ?? '',
      depth: getSubagentDepth(target.sessionKey),
      via: 'http',
      identity,
    };
    const call = tool.prepare(rawArgs ?? {}, context);
    if (!call.ok) {
      const field = `args${call.issue && call.issue.path.length > 0 ? `.${formatIssuePath(call.issue.path)}` : ''}`;
      throw new GatewayError('invalid_request', `Invalid ${toolName} arguments at ${field}: ${call.issue?.message}`, { field });
    }
    const action = call.args.action;
    if (toolName === 'process' && typeof action === 'string' && PROCESS_INPUT_ACTIONS.has(action)) {
      throw new GatewayError(
        'forbidden',
        `process action "${action}" is refused over HTTP: writing to a process's stdin is only available to the agent that owns it.`,
        { field: 'args.action' },
      );
    }
    if (!isToolAllowed(config, target.agentId, toolName, new Set(deniedToolsForDepth(config, context.depth)))) {
      throw new GatewayError('forbidden', `Tool "${toolName}" is not allowed for session ${target.sessionKey} by its tool policy.`, {
        field: 'tool',
      });
    }
    const outcome = await options.runToolCall(tool, call, context);
    if (outcome.kind === 'blocked') throw new GatewayError('forbidden', outcome.message, { field: 'tool' });
    return outcome.value;
  };
}
