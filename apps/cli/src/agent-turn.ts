import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import {
  buildAgentMainSessionKey,
  classifySessionKeyShape,
  isUnscopedSessionKeySentinel,
  normalizeAgentId,
  normalizeExplicitSessionKey,
} from '@pincer/session-key';
import { z } from 'zod';
import { CliError, toCliError } from './errors.js';
import type { AgentRequest } from './gateway-client.js';
import type { AgentRoster } from './roster.js';

/** Largest `--message-file` accepted, in bytes (4 MiB). */
export const MAX_MESSAGE_FILE_BYTES = 4 * 1024 * 1024;

/** Default `--timeout`, in seconds (10 minutes). */
export const DEFAULT_AGENT_TIMEOUT_SECONDS = 600;

/** The raw `pincer agent` options as commander hands them over (strings untouched). */
export const AgentCliOptionsSchema = z.object({
  message: z.string().optional(),
  messageFile: z.string().optional(),
  agent: z.string().optional(),
  sessionId: z.string().optional(),
  sessionKey: z.string().optional(),
  to: z.string().optional(),
  timeout: z.number().positive().optional(),
  local: z.boolean().optional(),
  json: z.boolean().optional(),
});
/** Raw `pincer agent` options. */
export type AgentCliOptions = z.infer<typeof AgentCliOptionsSchema>;

/** A validated, normalized agent turn, ready to dispatch (gateway or embedded). */
export interface PreparedAgentTurn {
  /** The request body for `POST /v1/agent` (also the embedded runtime's input). */
  request: AgentRequest;
  /** How long to wait for the reply, in ms. */
  timeoutMs: number;
}

/** The selector flags in the order their blank check runs (reference §8.2 step 2). */
const SELECTOR_FLAGS = [
  ['agent', '--agent'],
  ['sessionId', '--session-id'],
  ['sessionKey', '--session-key'],
  ['to', '--to'],
] as const;

/**
 * Validates and normalizes `pincer agent` options, in the reference order, before anything is
 * sent: (1) blank selectors (`--agent`, `--session-id`, `--session-key`, `--to`) fail with
 * `<flag> must not be blank`; (2) the message (`-m` xor `--message-file`, not blank);
 * (3) the roster is loaded and the seed-003 session-key rules run via
 * `normalizeExplicitSessionKey`, plus the unknown-agent check. Throws `CliError` `VALIDATION`
 * (exit 2); never touches the network.
 */
export async function prepareAgentTurn(
  options: AgentCliOptions,
  env: { cwd: string; loadRoster: () => Promise<AgentRoster> | AgentRoster },
): Promise<PreparedAgentTurn> {
  checkBlankSelectors(options);
  const message = resolveMessage(options, env.cwd);
  const roster = await env.loadRoster();
  const request = normalizeSelectors(options, roster, message);
  const seconds = options.timeout ?? DEFAULT_AGENT_TIMEOUT_SECONDS;
  return { request, timeoutMs: Math.round(seconds * 1000) };
}

/** Step 2 of the reference order: a selector that is present but whitespace-only is refused. */
export function checkBlankSelectors(options: Pick<AgentCliOptions, 'agent' | 'sessionId' | 'sessionKey' | 'to'>): void {
  for (const [name, flag] of SELECTOR_FLAGS) {
    const value = options[name];
    if (value !== undefined && value.trim() === '') {
      throw new CliError('VALIDATION', `${flag} must not be blank`);
    }
  }
}

/** The message text: `-m` or the UTF-8 contents of `--message-file` (BOM stripped, ≤ 4 MiB). */
export function resolveMessage(options: Pick<AgentCliOptions, 'message' | 'messageFile'>, cwd: string): string {
  if (options.message !== undefined && options.messageFile !== undefined) {
    throw new CliError('VALIDATION', 'Use either --message or --message-file, not both.');
  }
  const text = options.messageFile !== undefined ? readMessageFile(options.messageFile, cwd) : options.message;
  if (text === undefined || text.trim() === '') {
    throw new CliError(
      'VALIDATION',
      'Missing message. Use pincer agent --message "..." --agent <id> or pincer agent --message-file <path> --agent <id>.',
    );
  }
  return text;
}

/** Reads a message file as UTF-8, strips a leading BOM, and refuses files over 4 MiB. */
export function readMessageFile(path: string, cwd: string): string {
  const full = isAbsolute(path) ? path : resolve(cwd, path);
  let size: number;
  try {
    const stat = statSync(full);
    if (!stat.isFile()) throw new CliError('VALIDATION', `--message-file ${path} is not a file.`);
    size = stat.size;
  } catch (cause) {
    if (CliError.isInstance(cause)) throw cause;
    throw new CliError('VALIDATION', `Cannot read --message-file ${path}: ${(cause as NodeJS.ErrnoException).code ?? 'error'}.`, { cause });
  }
  if (size > MAX_MESSAGE_FILE_BYTES) {
    throw new CliError('VALIDATION', `--message-file ${path} is too large (${size} bytes; the limit is 4 MiB).`);
  }
  const text = readFileSync(full, 'utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * The seed-003 selector rules (reference §8.3/§8.4):
 * - an agent-shaped `--to` with no `--session-key`/`--session-id` becomes the session key;
 * - `--session-key` goes through `normalizeExplicitSessionKey` (exact agent keys kept as typed,
 *   bare keys scoped to `--agent` or the default agent, `global`/`unknown` literal, malformed and
 *   mismatched keys rejected) — except a bare key next to `--session-id`, which is sent raw;
 * - `--agent`, and the agent an agent-prefixed key names, must be configured agents;
 * - `--to` alone targets the owner's main session; nothing at all targets the default agent.
 */
export function normalizeSelectors(options: AgentCliOptions, roster: AgentRoster, message: string): AgentRequest {
  try {
    return normalizeSelectorsUnchecked(options, roster, message);
  } catch (error) {
    // SessionKeyError (malformed, mismatch, unknown agent, blank) → VALIDATION with the same message.
    throw toCliError(error);
  }
}

function normalizeSelectorsUnchecked(options: AgentCliOptions, roster: AgentRoster, message: string): AgentRequest {
  const agent = trimmed(options.agent);
  const sessionId = trimmed(options.sessionId);
  let sessionKey = trimmed(options.sessionKey);
  let to = trimmed(options.to);
  if (sessionKey === undefined && sessionId === undefined && to !== undefined && classifySessionKeyShape(to) === 'agent') {
    sessionKey = to;
    to = undefined;
  }
  const request: AgentRequest = { message };
  if (sessionId !== undefined) request.sessionId = sessionId;
  if (to !== undefined) request.to = to;

  if (sessionKey !== undefined) {
    const shape = classifySessionKeyShape(sessionKey);
    const isBare = shape === 'legacy_or_alias' && !isUnscopedSessionKeySentinel(sessionKey);
    if (isBare && sessionId !== undefined) {
      // Reference §8.3 step 2 exception: next to --session-id a bare key is not scoped here.
      if (agent !== undefined) request.agentId = requireKnownAgent(agent, roster);
      request.sessionKey = sessionKey;
      return request;
    }
    const normalized = normalizeExplicitSessionKey({
      sessionKey,
      ...(agent !== undefined ? { agentId: agent } : {}),
      defaultAgentId: roster.defaultAgentId,
      knownAgentIds: [...roster.knownAgentIds],
    });
    // Like the gateway: the key's owner must be a configured agent too (agent:ghost:x is refused here, not there).
    const owner = normalized.agentId ?? roster.defaultAgentId;
    if (!roster.knownAgentIds.includes(owner)) throw new CliError('VALIDATION', `Unknown agent id "${owner}".`);
    request.sessionKey = normalized.sessionKey;
    if (agent !== undefined) request.agentId = normalizeAgentId(agent);
    else if (shape !== 'agent' && normalized.agentId !== undefined) request.agentId = normalized.agentId;
    return request;
  }

  const owner = agent !== undefined ? requireKnownAgent(agent, roster) : roster.defaultAgentId;
  if (agent !== undefined) request.agentId = owner;
  if (to !== undefined) {
    request.agentId = owner;
    request.sessionKey = buildAgentMainSessionKey({ agentId: owner });
  } else if (sessionId === undefined && agent === undefined) {
    request.agentId = owner;
  }
  return request;
}

function requireKnownAgent(agent: string, roster: AgentRoster): string {
  const id = normalizeAgentId(agent);
  if (!roster.knownAgentIds.includes(id)) {
    throw new CliError('VALIDATION', `Unknown agent id "${agent}".`);
  }
  return id;
}

function trimmed(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const t = value.trim();
  return t === '' ? undefined : t;
}
