import type { z } from 'zod';
import type { Identity } from '../credentials/identity.js';

/** Who is calling a tool: the run's agent, session and spawn depth. */
export interface ToolContext {
  agentId: string;
  sessionKey: string;
  sessionId: string;
  /** Sub-agent depth of the session (0 = top level). */
  depth: number;
  /** `model` (an agent run) or `http` (`POST /v1/tools/invoke`). */
  via: 'model' | 'http';
  signal?: AbortSignal | undefined;
  /**
   * The credential the call acts for: absent for the operator's and the gateway's own runs; a
   * scoped token's capabilities are the call's ceiling and its scope bounds what the tools see.
   */
  identity?: Identity | undefined;
}

/** A tool's arguments after validation. */
export type ToolArguments = Record<string, unknown>;

/** One validated call, ready to run (or the first issue that refused it). */
export type PreparedToolCall =
  | { readonly ok: true; readonly args: ToolArguments; run(): Promise<unknown> }
  | { readonly ok: false; readonly issue: z.core.$ZodIssue | undefined };

/** A tool the gateway can hand to a model or run over HTTP. Build one with {@link defineGatewayTool}. */
export interface GatewayTool {
  readonly name: string;
  readonly description: string;
  /** zod schema of the arguments (its JSON Schema is what the model sees). */
  readonly parameters: z.ZodType;
  /** Validate raw arguments and bind them to `context`. */
  prepare(rawArgs: unknown, context: ToolContext): PreparedToolCall;
}

/** What {@link defineGatewayTool} takes: `execute` receives the schema's parsed output, typed. */
export interface GatewayToolDefinition<Schema extends z.ZodType<ToolArguments>> {
  name: string;
  description: string;
  parameters: Schema;
  execute(args: z.output<Schema>, context: ToolContext): Promise<unknown>;
}

/** Define a tool: one place for its name, description, typed argument schema and behaviour. */
export function defineGatewayTool<Schema extends z.ZodType<ToolArguments>>(definition: GatewayToolDefinition<Schema>): GatewayTool {
  return {
    name: definition.name,
    description: definition.description,
    parameters: definition.parameters,
    prepare(rawArgs, context) {
      const parsed = definition.parameters.safeParse(rawArgs);
      if (!parsed.success) return { ok: false, issue: parsed.error.issues[0] };
      const args = parsed.data;
      return { ok: true, args, run: () => definition.execute(args, context) };
    },
  };
}
