import type { Command } from 'commander';
import { type CommandContext, field, listFrom, stringField } from '../context.js';
import { CliError } from '../errors.js';
import { writeJson, writeLine } from '../io.js';
import { formatTable, formatTime } from '../output.js';
import { resolveSessionKeyArg } from './sessions.js';

/** Shortest `--expires-in`, seconds (the gateway's minimum). */
export const MIN_TOKEN_EXPIRES_IN_SECONDS = 60;
/** Longest `--expires-in`, seconds: 365 days (the gateway's maximum). */
export const MAX_TOKEN_EXPIRES_IN_SECONDS = 365 * 86_400;

/** Options of `pincer token create`. */
export interface TokenCreateOptions {
  name?: string;
  agent?: string;
  sessionKey?: string;
  prefix?: string;
  cap?: string[];
  expiresIn?: string;
  json?: boolean;
}

/** Body of `POST /v1/tokens` (the gateway's `TokenCreateSchema`). */
export interface TokenCreateRequest {
  name: string;
  agentId?: string;
  sessionKey?: string;
  prefix?: string;
  capabilities: string[];
  expiresInSeconds?: number;
}

const DURATION = /^\s*(\d+)\s*(s|m|h|d|w)\s*$/i;
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400, w: 604_800 };

/** `90m` → 5400; whole units s/m/h/d/w only. Throws `VALIDATION` naming `flag`. */
export function parseDurationSeconds(text: string, flag: string): number {
  const match = DURATION.exec(text);
  if (!match) throw new CliError('VALIDATION', `${flag} must be a duration like 30m, 12h, 7d or 4w (got "${text.trim()}").`);
  return Number(match[1]) * UNIT_SECONDS[match[2]!.toLowerCase()]!;
}

/** Commander collector for a repeatable `--cap` (each value may be a comma-separated list). */
export function collectCapabilities(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part !== ''),
  ];
}

/**
 * Validates `token create` options into the request: a non-blank `--name`, exactly one of
 * `--agent`, `--session-key`, `--prefix`, at least one `--cap`, an `--expires-in` between 60 s
 * and 365 d. `sessionKey` is the `--session-key` already normalized by the caller. The gateway
 * checks capability names and canonicalizes the scope. Throws `VALIDATION`/`USAGE`.
 */
export function buildTokenCreateRequest(options: TokenCreateOptions, sessionKey: string | undefined): TokenCreateRequest {
  const name = options.name?.trim() ?? '';
  if (name === '') throw new CliError('VALIDATION', 'Missing --name: a label for the token (for example --name dashboard).');
  const scopes = [options.agent, options.sessionKey, options.prefix].filter((value) => value !== undefined);
  if (scopes.length !== 1) {
    throw new CliError('USAGE', 'Give exactly one scope: --agent <id>, --session-key <key> or --prefix <key-prefix>.');
  }
  for (const [value, flag] of [
    [options.agent, '--agent'],
    [options.prefix, '--prefix'],
  ] as const) {
    if (value !== undefined && value.trim() === '') throw new CliError('VALIDATION', `${flag} must not be blank`);
  }
  const capabilities = [...new Set(options.cap ?? [])];
  if (capabilities.length === 0) {
    throw new CliError(
      'VALIDATION',
      'Give at least one --cap (for example --cap sessions:read --cap events:read); tokens get nothing by default.',
    );
  }
  let expiresInSeconds: number | undefined;
  if (options.expiresIn !== undefined) {
    expiresInSeconds = parseDurationSeconds(options.expiresIn, '--expires-in');
    if (expiresInSeconds < MIN_TOKEN_EXPIRES_IN_SECONDS || expiresInSeconds > MAX_TOKEN_EXPIRES_IN_SECONDS) {
      throw new CliError('VALIDATION', '--expires-in must be between 1m and 365d.');
    }
  }
  return {
    name,
    ...(options.agent !== undefined ? { agentId: options.agent.trim() } : {}),
    ...(sessionKey !== undefined ? { sessionKey } : {}),
    ...(options.prefix !== undefined ? { prefix: options.prefix.trim() } : {}),
    capabilities,
    ...(expiresInSeconds !== undefined ? { expiresInSeconds } : {}),
  };
}

/** `session agent:ops:dm-1`, `agent ops`, `prefix agent:ops:tenant-a` (tolerant of shapes). */
export function describeTokenScope(scope: unknown): string {
  const kind = stringField(scope, 'kind');
  if (kind === 'agent') return `agent ${stringField(scope, 'agentId') ?? '?'}`;
  if (kind === 'session') return `session ${stringField(scope, 'sessionKey') ?? '?'}`;
  if (kind === 'prefix') return `prefix ${stringField(scope, 'prefix') ?? '?'}`;
  return '-';
}

function capabilityList(credential: unknown): string {
  const capabilities = field(credential, 'capabilities');
  return Array.isArray(capabilities) ? capabilities.map(String).join(',') : '-';
}

/** Registers `pincer token create|list|revoke` (operator credential only, on the gateway). */
export function registerTokenCommand(program: Command, ctx: CommandContext): void {
  const token = program
    .command('token')
    .description('Mint, list and revoke scoped tokens (needs the operator token)')
    .addHelpText(
      'after',
      `
Capabilities: sessions:read sessions:write transcripts:read agent:run agent:spawn processes:read
  processes:exec processes:kill events:read cron:read cron:write tools:invoke plugins:call

Examples:
  $ pincer token create --name dashboard --session-key agent:ops:dm-1 --cap sessions:read --cap processes:read
  $ pincer token create --name ci-bot --agent ops --cap agent:run,processes:exec --expires-in 12h
  $ pincer token list
  $ pincer token revoke tk_0123456789abcdef`,
    );

  token
    .command('create')
    .description('Mint a token bound to an agent, a session key or a key prefix; it is printed once')
    .option('--name <name>', 'a label for the token (shown in lists and the audit log)')
    .option('--agent <id>', 'scope: every session of this agent')
    .option('--session-key <key>', 'scope: exactly this session (same rules as pincer agent)')
    .option('--prefix <key-prefix>', 'scope: this session key and every key under it (agent:ops:tenant-a)')
    .option('--cap <capability>', 'a capability to grant; repeat or comma-separate', collectCapabilities)
    .option('--expires-in <duration>', 'lifetime, e.g. 30m, 12h, 7d (default 30d, at most 365d)')
    .option('--json', 'print { ok, token, credential } as JSON')
    .action(async (options: TokenCreateOptions) => {
      const sessionKey = options.sessionKey !== undefined ? await resolveSessionKeyArg(ctx, options.sessionKey, undefined) : undefined;
      const request = buildTokenCreateRequest(options, sessionKey);
      const body = await ctx.client(ctx.stateDir()).request('POST', '/v1/tokens', { body: request });
      const secret = stringField(body, 'token');
      const credential = field(body, 'credential');
      if (secret === undefined) throw new CliError('GATEWAY_ERROR', 'Unexpected answer from the gateway (no token in the answer).');
      if (options.json === true) {
        writeJson(ctx.io.stdout, { ok: true, token: secret, credential: credential ?? null });
        return;
      }
      // The token alone on stdout (TOKEN=$(pincer token create …) works); the notes on stderr.
      writeLine(
        ctx.io.stderr,
        `Created token ${stringField(credential, 'id') ?? '?'} "${stringField(credential, 'name') ?? request.name}" ` +
          `(${describeTokenScope(field(credential, 'scope'))}; ${capabilityList(credential)}; expires ${formatTime(field(credential, 'expiresAt'))}).`,
      );
      writeLine(ctx.io.stderr, 'It is shown this once: store it now. The gateway keeps only its hash.');
      writeLine(ctx.io.stdout, secret);
    });

  token
    .command('list')
    .description('List tokens (active, expired and revoked; never their secrets)')
    .option('--json', 'print { ok, tokens } as JSON')
    .action(async (options: { json?: boolean }) => {
      const tokens = listFrom(await ctx.client(ctx.stateDir()).request('GET', '/v1/tokens'), 'tokens', 'items');
      if (options.json === true) {
        writeJson(ctx.io.stdout, { ok: true, tokens });
        return;
      }
      if (tokens.length === 0) {
        writeLine(ctx.io.stdout, 'No tokens.');
        return;
      }
      writeLine(
        ctx.io.stdout,
        formatTable(tokens, [
          { header: 'ID', value: (row) => stringField(row, 'id') },
          { header: 'NAME', value: (row) => stringField(row, 'name'), maxWidth: 32 },
          { header: 'SCOPE', value: (row) => describeTokenScope(field(row, 'scope')), maxWidth: 56 },
          { header: 'CAPABILITIES', value: (row) => capabilityList(row), maxWidth: 80 },
          { header: 'STATUS', value: (row) => stringField(row, 'status') },
          { header: 'EXPIRES', value: (row) => formatTime(field(row, 'expiresAt')) },
          { header: 'LAST USED', value: (row) => formatTime(field(row, 'lastUsedAt')) },
        ]),
      );
    });

  token
    .command('revoke')
    .description('Revoke a token at once (its open event streams close)')
    .argument('<id>', 'token id (tk_…, from pincer token list)')
    .option('--json', 'print { ok, credential } as JSON')
    .action(async (id: string, options: { json?: boolean }) => {
      const tokenId = id.trim();
      if (tokenId === '') throw new CliError('VALIDATION', 'token id must not be blank');
      const body = await ctx.client(ctx.stateDir()).request('DELETE', `/v1/tokens/${encodeURIComponent(tokenId)}`);
      const credential = field(body, 'credential') ?? body;
      if (options.json === true) {
        writeJson(ctx.io.stdout, { ok: true, credential });
        return;
      }
      writeLine(ctx.io.stdout, `Revoked ${tokenId}${stringField(credential, 'name') ? ` ("${stringField(credential, 'name')}")` : ''}.`);
    });
}
