import { z } from 'zod';

/** Who is calling a tool: the run's agent, session and spawn depth. */
export interface ToolContext {
  agentId: string;
  sessionKey: string;
  sessionId: string;
  /** Sub-agent depth of the session (0 = top level). */
  depth: number;
  /** `model` (an agent run) or `http` (`POST /v1/tools/invoke`). */
  via: 'model' | 'http';
  signal?: AbortSignal;
}

/** A gateway tool: zod input schema + an executor returning JSON. */
export interface GatewayTool {
  name: string;
  description: string;
  input: z.ZodType<Record<string, unknown>>;
  execute(args: Record<string, unknown>, ctx: ToolContext): Promise<unknown>;
}

/** Tools every run may be given, in a stable order. */
export const TOOL_NAMES = ['exec', 'process', 'sessions_spawn', 'sessions_list', 'sessions_history', 'cron'] as const;

/** Process actions that feed stdin: never over HTTP. */
export const PROCESS_INPUT_ACTIONS: ReadonlySet<string> = new Set(['write', 'send-keys', 'sendKeys', 'paste', 'submit']);

/**
 * Tools refused over `POST /v1/tools/invoke`, and why (the 403 message).
 */
export const HTTP_REFUSED_TOOLS: Readonly<Record<string, string>> = {
  exec: 'exec is refused over HTTP: running commands remotely is remote code execution; ask an agent run instead.',
  sessions_spawn: 'sessions_spawn is refused over HTTP: spawning agents remotely is remote code execution.',
  sessions_send: 'sessions_send is refused over HTTP: it injects messages into another session.',
  cron: 'cron is refused over HTTP through tools/invoke: persistent automation is managed through /v1/cron.',
};
