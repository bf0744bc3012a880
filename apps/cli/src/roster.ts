import { normalizeAgentId } from '@pincer/session-key';
import { z } from 'zod';
import type { GatewayModuleLoader } from './gateway-module.js';
import { CliError } from './errors.js';

/** The agents the CLI validates `--agent` against, and the owner of bare keys. */
export interface AgentRoster {
  /** Normalized agent ids from the config (`['main']` with no config). */
  knownAgentIds: readonly string[];
  /** The agent bare keys are scoped to when `--agent` is absent. */
  defaultAgentId: string;
}

/** The roster with no config at all: one agent, `main`. */
export const DEFAULT_ROSTER: AgentRoster = Object.freeze({ knownAgentIds: Object.freeze(['main']), defaultAgentId: 'main' });

const AgentEntrySchema = z.looseObject({ id: z.string().min(1) });

/** The part of a loaded gateway config the CLI reads: `agents[].id` and `defaultAgent`. */
export const RosterConfigSchema = z.looseObject({
  agents: z.array(AgentEntrySchema).optional(),
  defaultAgent: z.string().optional(),
});

/**
 * Reads the roster out of a validated gateway config (`loadConfig` result). The default agent
 * is `defaultAgent`, else the first agent, else `main`; with no agents the roster is `[main]`.
 */
export function rosterFromConfig(config: unknown): AgentRoster {
  const parsed = RosterConfigSchema.safeParse(config);
  if (!parsed.success || parsed.data.agents === undefined || parsed.data.agents.length === 0) return DEFAULT_ROSTER;
  const ids = parsed.data.agents.map((agent) => normalizeAgentId(agent.id));
  const defaultAgentId = parsed.data.defaultAgent !== undefined ? normalizeAgentId(parsed.data.defaultAgent) : (ids[0] ?? 'main');
  return { knownAgentIds: [...new Set(ids)], defaultAgentId };
}

/**
 * Loads the roster: the built-in default when there is no config file, else the gateway's
 * `loadConfig(path)` (so the CLI validates exactly what the gateway would run). A config that
 * fails to load is a `VALIDATION` error naming the path.
 */
export async function loadRoster(configPath: string | undefined, loadGateway: GatewayModuleLoader): Promise<AgentRoster> {
  if (configPath === undefined) return DEFAULT_ROSTER;
  const gateway = await loadGateway();
  let config: unknown;
  try {
    config = await gateway.loadConfig(configPath);
  } catch (cause) {
    throw configError(configPath, cause);
  }
  return rosterFromConfig(config);
}

/** A config that failed to load, as a `VALIDATION` error (keeps the gateway's message when it names the path). */
export function configError(configPath: string, cause: unknown): CliError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  const message = /config/i.test(reason) ? reason : `Invalid config ${configPath}: ${reason}`;
  const field = (cause as { field?: unknown } | undefined)?.field;
  return new CliError('VALIDATION', message.split('\n').join('; '), { cause, ...(typeof field === 'string' ? { field } : {}) });
}
