import type { Capability } from './capabilities.js';
import type { Identity } from './identity.js';

/**
 * How a token's capabilities meet an agent's tool policy. A run started by a scoped token (over
 * `POST /v1/agent`, `/v1/inbound`, a cron `agentTurn` job it created, or a sub-agent spawned in
 * such a run) carries a **ceiling**; the tools the model gets are
 *
 *     agent policy (tools.allow / tools.deny / depth rules)  ∩  ceiling(token capabilities)
 *
 * and each call is checked again, per action, when it executes. The ceiling never widens the
 * agent's policy; the operator's runs (and the agent's own heartbeats) have no ceiling.
 *
 * | tool               | action(s)                              | needs             |
 * |--------------------|----------------------------------------|-------------------|
 * | `exec`             | any                                    | `processes:exec`  |
 * | `process`          | list, poll, log                        | `processes:read`  |
 * | `process`          | write, send-keys, paste, submit        | `processes:exec`  |
 * | `process`          | kill, clear, remove                    | `processes:kill`  |
 * | `sessions_spawn`   | any                                    | `agent:spawn`     |
 * | `sessions_list`    | any                                    | `sessions:read`   |
 * | `sessions_history` | any                                    | `transcripts:read`|
 * | `cron`             | list                                   | `cron:read`       |
 * | `cron`             | add, remove                            | `cron:write`      |
 * | any plugin tool    | any                                    | `tools:invoke`    |
 */
export const TOOL_CAPABILITIES: Readonly<Record<string, { default: Capability; actions?: Readonly<Record<string, Capability>> }>> = {
  exec: { default: 'processes:exec' },
  process: {
    default: 'processes:read',
    actions: {
      list: 'processes:read',
      poll: 'processes:read',
      log: 'processes:read',
      write: 'processes:exec',
      'send-keys': 'processes:exec',
      sendKeys: 'processes:exec',
      paste: 'processes:exec',
      submit: 'processes:exec',
      kill: 'processes:kill',
      clear: 'processes:kill',
      remove: 'processes:kill',
    },
  },
  sessions_spawn: { default: 'agent:spawn' },
  sessions_list: { default: 'sessions:read' },
  sessions_history: { default: 'transcripts:read' },
  cron: { default: 'cron:write', actions: { list: 'cron:read', add: 'cron:write', remove: 'cron:write' } },
};

/** Capability every tool not in {@link TOOL_CAPABILITIES} (plugin tools) needs. */
export const PLUGIN_TOOL_CAPABILITY: Capability = 'tools:invoke';

/** A run's tool ceiling. */
export interface ToolCeiling {
  /** The credential the ceiling came from (audit, error messages). */
  readonly credentialId: string;
  /** The capabilities the ceiling allows. */
  readonly capabilities: ReadonlySet<Capability>;
  /** Is the tool offered to the model at all (some action of it is allowed)? */
  allowsTool(toolName: string): boolean;
  /** The capability this call lacks, or `undefined` when it is allowed. */
  missingFor(toolName: string, args: unknown): Capability | undefined;
}

/**
 * The capability one call needs (by tool and its `action` argument, if it has one). Lookups use
 * `Object.hasOwn`, so `constructor` or `__proto__` are plugin-tool names like any other.
 */
export function capabilityForCall(toolName: string, args: unknown): Capability {
  const entry = Object.hasOwn(TOOL_CAPABILITIES, toolName) ? TOOL_CAPABILITIES[toolName] : undefined;
  if (!entry) return PLUGIN_TOOL_CAPABILITY;
  const action = typeof args === 'object' && args !== null ? (args as Record<string, unknown>).action : undefined;
  if (entry.actions && typeof action === 'string' && Object.hasOwn(entry.actions, action)) return entry.actions[action]!;
  return entry.default;
}

/** Every capability that makes some call of `toolName` possible. */
export function capabilitiesForTool(toolName: string): Capability[] {
  const entry = Object.hasOwn(TOOL_CAPABILITIES, toolName) ? TOOL_CAPABILITIES[toolName] : undefined;
  if (!entry) return [PLUGIN_TOOL_CAPABILITY];
  return [...new Set([entry.default, ...Object.values(entry.actions ?? {})])];
}

/** The ceiling of a set of capabilities. */
export function createToolCeiling(credentialId: string, capabilities: ReadonlySet<Capability>): ToolCeiling {
  return {
    credentialId,
    capabilities,
    allowsTool: (toolName) => capabilitiesForTool(toolName).some((capability) => capabilities.has(capability)),
    missingFor(toolName, args) {
      const needed = capabilityForCall(toolName, args);
      return capabilities.has(needed) ? undefined : needed;
    },
  };
}

/** The ceiling a caller's runs carry: none for the operator, the token's capabilities otherwise. */
export function toolCeilingFor(identity: Identity): ToolCeiling | undefined {
  if (identity.kind === 'operator') return undefined;
  if (identity.kind === 'anonymous') return createToolCeiling(identity.credentialId, new Set());
  return createToolCeiling(identity.credentialId, identity.capabilities);
}

/** The message a tool call refused by a ceiling returns to the model. */
export function ceilingRefusal(toolName: string, missing: Capability, credentialId: string): string {
  return `Tool "${toolName}" is not allowed in this run: credential ${credentialId} lacks the "${missing}" capability.`;
}
