import { childToolPolicy } from '@pincer/subagent-spawn';
import { findAgent, type GatewayConfig } from '../config.js';

/** Tools a session at `depth` may not use (sub-agent rules); none at the top level. */
export function deniedToolsForDepth(config: GatewayConfig, depth: number): string[] {
  if (depth <= 0) return [];
  return [
    ...childToolPolicy(depth, config.subagents?.maxSpawnDepth !== undefined ? { maxSpawnDepth: config.subagents.maxSpawnDepth } : {}).deny,
  ];
}

/**
 * The one tool-policy rule (model runs and `POST /v1/tools/invoke`): `extraDenied` (depth and
 * spawn denials), the agent's `tools.deny`, and its `tools.allow` list when it has one.
 */
export function isToolAllowed(config: GatewayConfig, agentId: string, toolName: string, extraDenied: ReadonlySet<string>): boolean {
  const agent = findAgent(config, agentId);
  if (extraDenied.has(toolName) || agent?.tools?.deny?.includes(toolName)) return false;
  return !agent?.tools?.allow || agent.tools.allow.includes(toolName);
}

/** Process actions that feed stdin: never over HTTP. */
export const PROCESS_INPUT_ACTIONS: ReadonlySet<string> = new Set(['write', 'send-keys', 'sendKeys', 'paste', 'submit']);

/** Tools refused over `POST /v1/tools/invoke`, and why (the 403 message). */
export const HTTP_REFUSED_TOOLS: Readonly<Record<string, string>> = {
  exec: 'exec is refused over HTTP: running commands remotely is remote code execution; ask an agent run instead.',
  sessions_spawn: 'sessions_spawn is refused over HTTP: spawning agents remotely is remote code execution.',
  sessions_send: 'sessions_send is refused over HTTP: it injects messages into another session.',
  cron: 'cron is refused over HTTP through tools/invoke: persistent automation is managed through /v1/cron.',
};
