import { normalizeAgentId } from '@pincer/session-key';
import { type ParseError, parse as parseJsonc, printParseErrorCode } from 'jsonc-parser';
import { z } from 'zod';
import { readFile } from 'node:fs/promises';
import { CliError } from './errors.js';

/** The agents the CLI validates `--agent` against, and the owner of bare keys. */
export interface AgentRoster {
  /** Normalized agent ids from the config (`['main']` with no config). */
  knownAgentIds: readonly string[];
  /** The agent bare keys are scoped to when `--agent` is absent. */
  defaultAgentId: string;
  /**
   * `true` when more than one agent is configured and no `defaultAgent` names one: a turn that
   * names no agent (no `--agent`, no agent-prefixed key) is then refused before dispatch
   * (OpenClaw's `AGENT_SELECTION_REQUIRED`). Absent otherwise.
   */
  selectionRequired?: true;
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
  const knownAgentIds = [...new Set(ids)];
  const isAmbiguous = parsed.data.defaultAgent === undefined && knownAgentIds.length > 1;
  return { knownAgentIds, defaultAgentId, ...(isAmbiguous ? { selectionRequired: true as const } : {}) };
}

/**
 * The refusal for a turn (or job) that names no agent while several are configured and none is
 * the default — OpenClaw's wording, ids in config order.
 */
export function agentSelectionError(roster: AgentRoster, what = 'agent turn'): CliError {
  return new CliError(
    'VALIDATION',
    `Multiple agents are configured, but ${what} has no explicit owner. Pass --agent <id> to select one of: ${roster.knownAgentIds.join(', ')}.`,
    { stableCode: 'AGENT_SELECTION_REQUIRED' },
  );
}

/**
 * Parses config text as the gateway does (JSONC: comments and trailing commas allowed); every
 * syntax error is named with its line and column.
 */
export function parseConfigText(text: string, configPath: string): unknown {
  const errors: ParseError[] = [];
  const raw: unknown = parseJsonc(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, errors, {
    allowTrailingComma: true,
    disallowComments: false,
  });
  if (errors.length === 0) return raw;
  const described = errors.map((error) => {
    const before = text.slice(0, error.offset).split('\n');
    return `line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1}: ${printParseErrorCode(error.error)}`;
  });
  throw new CliError('VALIDATION', `Cannot read config ${configPath}: not valid JSON (JSONC): ${described.join('; ')}`, {
    stableCode: 'CONFIG_INVALID',
  });
}

/**
 * Loads the roster from the config file: the built-in `[main]` when there is none, else the
 * file's `agents[].id` and `defaultAgent` (the gateway's rules: ids lower-cased, default = the
 * first agent). This is a light read on purpose — it keeps `pincer agent` from loading the whole
 * gateway just to validate `--agent`; `pincer config validate` runs the gateway's full schema.
 * An unreadable file or a malformed `agents` list is a `VALIDATION` error naming the path.
 */
export async function loadRoster(configPath: string | undefined): Promise<AgentRoster> {
  if (configPath === undefined) return DEFAULT_ROSTER;
  let text: string;
  try {
    text = await readFile(configPath, 'utf8');
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code ?? (cause instanceof Error ? cause.message : String(cause));
    throw new CliError('VALIDATION', `Cannot read config ${configPath}: ${reason.replace(/\s*\n\s*/g, ' ')}`, {
      cause,
      stableCode: 'CONFIG_NOT_FOUND',
    });
  }
  const raw = parseConfigText(text, configPath);
  const parsed = RosterConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue === undefined ? '(root)' : formatIssuePath(issue.path);
    throw new CliError('VALIDATION', `Invalid config ${configPath} at ${where}: ${issue?.message ?? 'invalid'}`, {
      field: where,
      stableCode: 'CONFIG_INVALID',
    });
  }
  return rosterFromConfig(parsed.data);
}

function formatIssuePath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : `${out === '' ? '' : '.'}${String(part)}`;
  return out === '' ? '(root)' : out;
}

/** A config that failed to load, as a `VALIDATION` error (keeps the gateway's message when it names the path). */
export function configError(configPath: string, cause: unknown): CliError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  const message = /config/i.test(reason) ? reason : `Invalid config ${configPath}: ${reason}`;
  const field = (cause as { field?: unknown } | undefined)?.field;
  const issues = (cause as { issues?: unknown } | undefined)?.issues;
  return new CliError('VALIDATION', message.split('\n').join('; '), {
    cause,
    stableCode: 'CONFIG_INVALID',
    ...(typeof field === 'string' ? { field } : {}),
    ...(Array.isArray(issues) ? { details: { issues } } : {}),
  });
}
