import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
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
import { agentSelectionError, type AgentRoster } from './roster.js';

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
  const message = await resolveMessageBounded(options, env.cwd);
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
      throw new CliError('VALIDATION', `${flag} must not be blank`, { stableCode: 'SELECTOR_BLANK' });
    }
  }
}

/** The message text: `-m` or the UTF-8 contents of `--message-file` (BOM stripped, ≤ 4 MiB; regular files only). */
export function resolveMessage(options: Pick<AgentCliOptions, 'message' | 'messageFile'>, cwd: string): string {
  checkOneMessage(options);
  return requireMessage(options.messageFile !== undefined ? readMessageFile(options.messageFile, cwd) : options.message);
}

/**
 * Like {@link resolveMessage}, but `--message-file` may also be a FIFO or a character device
 * (`/dev/stdin`): it is read asynchronously (Ctrl-C still works while it waits) and never
 * beyond 4 MiB + 1 byte, whatever the file does meanwhile.
 */
export async function resolveMessageBounded(options: Pick<AgentCliOptions, 'message' | 'messageFile'>, cwd: string): Promise<string> {
  checkOneMessage(options);
  return requireMessage(options.messageFile !== undefined ? await readMessageFileBounded(options.messageFile, cwd) : options.message);
}

function checkOneMessage(options: Pick<AgentCliOptions, 'message' | 'messageFile'>): void {
  if (options.message !== undefined && options.messageFile !== undefined) {
    throw new CliError('VALIDATION', 'Use either --message or --message-file, not both.', { stableCode: 'USAGE' });
  }
}

function requireMessage(text: string | undefined): string {
  if (text === undefined || text.trim() === '') {
    throw new CliError(
      'VALIDATION',
      'Missing message. Use pincer agent --message "..." --agent <id> or pincer agent --message-file <path> --agent <id>.',
      { stableCode: 'MESSAGE_MISSING' },
    );
  }
  return text;
}

/**
 * Reads a regular message file as UTF-8, strips a leading BOM, and refuses files over 4 MiB.
 * The file is opened once and read through that descriptor, at most 4 MiB + 1 byte: a file that
 * grows meanwhile, or a path swapped for a FIFO or device, cannot make it read more.
 */
export function readMessageFile(path: string, cwd: string): string {
  const full = isAbsolute(path) ? path : resolve(cwd, path);
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO with no writer must not hang; it is refused below.
    fd = openSync(full, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (cause) {
    throw unreadable(path, cause);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw notAFile(path, stat);
    const buffer = Buffer.alloc(MAX_MESSAGE_FILE_BYTES + 1);
    let length = 0;
    while (length < buffer.length) {
      const count = readSync(fd, buffer, length, buffer.length - length, null);
      if (count === 0) break;
      length += count;
    }
    return decodeMessage(buffer.subarray(0, length), path);
  } finally {
    closeSync(fd);
  }
}

/** The async, FIFO- and device-capable reader behind {@link resolveMessageBounded} (same limit). */
export async function readMessageFileBounded(path: string, cwd: string): Promise<string> {
  const full = isAbsolute(path) ? path : resolve(cwd, path);
  let handle: FileHandle;
  try {
    handle = await open(full, 'r');
  } catch (cause) {
    throw unreadable(path, cause);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile() && !stat.isFIFO() && !stat.isCharacterDevice()) throw notAFile(path, stat);
    const buffer = Buffer.alloc(MAX_MESSAGE_FILE_BYTES + 1);
    let length = 0;
    // Bounded: every pass reads ≥ 1 byte into the fixed buffer or ends.
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, stat.isFile() ? length : null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return decodeMessage(buffer.subarray(0, length), path);
  } catch (cause) {
    if (CliError.isInstance(cause)) throw cause;
    throw unreadable(path, cause);
  } finally {
    await handle.close();
  }
}

function decodeMessage(bytes: Buffer, path: string): string {
  if (bytes.length > MAX_MESSAGE_FILE_BYTES) {
    throw new CliError(
      'VALIDATION',
      `--message-file ${path} is too large (more than ${MAX_MESSAGE_FILE_BYTES} bytes; the limit is 4 MiB).`,
      {
        stableCode: 'MESSAGE_TOO_LARGE',
      },
    );
  }
  const text = bytes.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function unreadable(path: string, cause: unknown): CliError {
  return new CliError('VALIDATION', `Cannot read --message-file ${path}: ${(cause as NodeJS.ErrnoException).code ?? 'error'}.`, {
    cause,
    stableCode: 'FILE_UNREADABLE',
  });
}

function notAFile(path: string, stat: Stats): CliError {
  const kind = stat.isDirectory() ? 'a directory' : stat.isFIFO() ? 'a FIFO' : stat.isCharacterDevice() ? 'a device' : 'not a regular file';
  return new CliError('VALIDATION', `--message-file ${path} is not a file (${kind}).`, { stableCode: 'FILE_UNREADABLE' });
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
  // Reference §8.3 steps 2-4: with several agents and no default, a turn that names no agent
  // (no --agent, no agent-prefixed key) is refused first, before the malformed-key check.
  if (
    agent === undefined &&
    roster.selectionRequired === true &&
    (sessionKey === undefined || classifySessionKeyShape(sessionKey) !== 'agent')
  ) {
    throw sessionKey === undefined && sessionId !== undefined
      ? new CliError(
          'VALIDATION',
          'Multiple agents are configured, but agent command session creation has no explicit owner. Pass --agent <id> when creating a session from --session-id.',
          { stableCode: 'AGENT_SELECTION_REQUIRED' },
        )
      : agentSelectionError(roster);
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
    if (!roster.knownAgentIds.includes(owner))
      throw new CliError('VALIDATION', `Unknown agent id "${owner}".`, { stableCode: 'AGENT_UNKNOWN' });
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
    throw new CliError('VALIDATION', `Unknown agent id "${agent}".`, { stableCode: 'AGENT_UNKNOWN' });
  }
  return id;
}

function trimmed(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const t = value.trim();
  return t === '' ? undefined : t;
}
