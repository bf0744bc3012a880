import { isUnscopedSessionKeySentinel, normalizeExplicitSessionKey } from '@pincer/session-key';
import { SessionDeletedSchema, SessionListSchema, SessionResetSchema, SessionViewSchema, TranscriptSchema } from '@pincer/gateway/schemas';
import { type Command, Option } from 'commander';
import { type CommandContext, parsePositiveInt } from '../context.js';
import { CliError } from '../errors.js';
import { parseBody } from '../gateway-client.js';
import { writeJson, writeLine } from '../io.js';
import { formatAge, formatTable, formatTime, forTerminal, tableLayout } from '../output.js';
import { loadRoster } from '../roster.js';

interface KeyOptions {
  agent?: string;
  json?: boolean;
  quiet?: boolean;
  wide?: boolean;
}

/**
 * Normalizes a session-key argument with the same seed-003 rules as `pincer agent`
 * (exact agent keys kept, bare keys scoped to `--agent` or the default agent); the sentinels
 * `global` / `unknown` address the owner's `agent:<owner>:<sentinel>` session, where the gateway
 * runs turns sent with them.
 * `label` names the argument in the blank-value error (default `--session-key`).
 */
export async function resolveSessionKeyArg(
  ctx: CommandContext,
  key: string,
  agent: string | undefined,
  label = '--session-key',
): Promise<string> {
  if (agent !== undefined && agent.trim() === '') throw new CliError('VALIDATION', '--agent must not be blank');
  if (key.trim() === '') throw new CliError('VALIDATION', `${label} must not be blank`, { stableCode: 'SELECTOR_BLANK' });
  const stateDir = ctx.stateDir();
  const roster = await loadRoster(ctx.configPath(stateDir));
  const normalized = normalizeExplicitSessionKey({
    sessionKey: key,
    ...(agent !== undefined ? { agentId: agent } : {}),
    defaultAgentId: roster.defaultAgentId,
    knownAgentIds: [...roster.knownAgentIds],
  });
  // A turn sent with a `global` / `unknown` key runs in the owner's namespace on the gateway
  // (`agent:<owner>:global`): address that same session here, so `pincer agent --session-key
  // global` and `pincer sessions history global` name one session.
  if (isUnscopedSessionKeySentinel(normalized.sessionKey)) {
    const owner = normalized.agentId ?? roster.defaultAgentId;
    return `agent:${owner}:${normalized.sessionKey.trim().toLowerCase()}`;
  }
  return normalized.sessionKey;
}

/**
 * The `--session` scope of `ps`, `logs`, `kill` and `cron`: `undefined` (the operator's view of
 * every session) when absent, else the key normalized like `pincer agent`'s. `--agent` only
 * scopes a bare `--session` key, so `--agent` without `--session` is a usage error (exit 2)
 * rather than silently ignored.
 */
export async function resolveSessionScope(
  ctx: CommandContext,
  options: { session?: string | undefined; agent?: string | undefined },
): Promise<string | undefined> {
  if (options.session === undefined) {
    if (options.agent !== undefined) throw new CliError('USAGE', '--agent only scopes a --session key here; pass --session too.');
    return undefined;
  }
  return resolveSessionKeyArg(ctx, options.session, options.agent, '--session');
}

/** `/v1/sessions/<key>` with the key path-encoded. */
export function sessionPath(key: string, suffix = ''): string {
  return `/v1/sessions/${encodeURIComponent(key)}${suffix}`;
}

/** Sessions `pincer sessions list` shows without `--limit` / `--all`. */
const DEFAULT_SESSION_LIST_LIMIT = 200;
/**
 * Sessions asked for per `GET /v1/sessions` page. The gateway allows 1 000, but a page of exactly
 * 1 000 comes back without `nextCursor` (its store caps the look-ahead row at 1 000 too), so the
 * CLI stays below it.
 */
const SESSION_PAGE_MAX = 500;
/** Pages `--all` follows at most (a gateway answering with cursors forever cannot keep the CLI busy). */
const MAX_SESSION_LIST_PAGES = 10_000;

type SessionList = ReturnType<typeof SessionListSchema.parse>;

/**
 * Follows `nextCursor` until `limit` sessions are listed or the last page: each request asks for
 * at most {@link SESSION_PAGE_MAX}, or what is left of `limit`. `count` is the gateway's total;
 * `nextCursor` is present when sessions remain beyond `limit`.
 */
async function listSessionPages(
  fetchPage: (query: { limit: number; cursor?: string }) => Promise<SessionList>,
  limit: number,
): Promise<SessionList> {
  const sessions: SessionList['sessions'] = [];
  let count = 0;
  let cursor: string | undefined;
  for (let page = 0; page < MAX_SESSION_LIST_PAGES; page += 1) {
    const wanted = Math.min(SESSION_PAGE_MAX, limit - sessions.length);
    const answer = await fetchPage({ limit: wanted, ...(cursor !== undefined ? { cursor } : {}) });
    count = answer.count;
    sessions.push(...answer.sessions.slice(0, wanted));
    cursor = answer.nextCursor;
    if (cursor === undefined || sessions.length >= limit || answer.sessions.length === 0) break;
  }
  return { count, sessions, ...(cursor !== undefined ? { nextCursor: cursor } : {}) };
}

/** Registers `pincer sessions list|show|history|reset`. */
export function registerSessionsCommand(program: Command, ctx: CommandContext): void {
  const sessions = program
    .command('sessions')
    .description('List and inspect sessions on the gateway')
    .addHelpText(
      'after',
      `
Examples:
  $ pincer sessions list
  $ pincer sessions show agent:ops:incident-42
  $ pincer sessions history incident-42 --agent ops
  $ pincer sessions reset agent:main:main --json
  $ pincer sessions delete agent:ops:incident-42`,
    );

  sessions
    .command('list')
    .description('List sessions (key, agent, session id, last update)')
    .option('--agent <id>', 'only sessions of this agent')
    .addOption(
      new Option(
        '--limit <n>',
        `at most this many sessions, following the gateway's pages (default ${DEFAULT_SESSION_LIST_LIMIT})`,
      ).argParser(parsePositiveInt),
    )
    .addOption(new Option('--all', `every session (follows every page, at most ${MAX_SESSION_LIST_PAGES} pages)`).conflicts('limit'))
    .option('-q, --quiet', 'print only session keys, one per line')
    .option('--wide', 'never cut cells to fit the terminal')
    .option('--json', "print { ok, count, sessions, nextCursor? } as JSON (the API's fields; count is the total)")
    .addHelpText(
      'after',
      '\nExamples:\n  $ pincer sessions list\n  $ pincer sessions list --agent ops --json\n  $ pincer sessions list --all -q | xargs -n1 pincer sessions show',
    )
    .action(async (options: KeyOptions & { limit?: number; all?: boolean }) => {
      if (options.agent !== undefined && options.agent.trim() === '')
        throw new CliError('VALIDATION', '--agent must not be blank', { stableCode: 'SELECTOR_BLANK' });
      const client = ctx.client(ctx.stateDir());
      const body = await listSessionPages(
        (query) =>
          client
            .request('GET', '/v1/sessions', { query: { agentId: options.agent?.trim(), ...query } })
            .then((answer) => parseBody(SessionListSchema, answer, 'GET /v1/sessions')),
        options.all === true ? Number.POSITIVE_INFINITY : (options.limit ?? DEFAULT_SESSION_LIST_LIMIT),
      );
      const rows = body.sessions;
      const filtered = options.agent === undefined ? rows : rows.filter((row) => row.agentId === options.agent?.trim().toLowerCase());
      if (options.json === true) {
        writeJson(ctx.io.stdout, {
          ok: true,
          count: body.count,
          sessions: filtered,
          ...(body.nextCursor !== undefined ? { nextCursor: body.nextCursor } : {}),
        });
        return;
      }
      if (body.nextCursor !== undefined)
        writeLine(ctx.io.stderr, `Showing ${filtered.length} of ${body.count} sessions; pass --limit <n> or --all for more.`);
      if (options.quiet === true) {
        for (const row of filtered) writeLine(ctx.io.stdout, forTerminal(ctx.io.stdout, row.key));
        return;
      }
      if (filtered.length === 0) {
        writeLine(ctx.io.stdout, 'No sessions.');
        return;
      }
      const now = ctx.clock.now();
      writeLine(
        ctx.io.stdout,
        formatTable(
          filtered,
          [
            { header: 'SESSION KEY', value: (row) => row.key, maxWidth: 80, shrink: 1 },
            { header: 'AGENT', value: (row) => row.agentId },
            { header: 'SESSION ID', value: (row) => row.sessionId, shrink: 2 },
            { header: 'UPDATED', value: (row) => formatAge(row.updatedAt, now) },
          ],
          tableLayout(ctx.io.stdout, ctx.io.env, options.wide === true),
        ),
      );
    });

  sessions
    .command('show')
    .description('Show one session')
    .argument('<key>', 'session key (agent:<id>:<key>, or a bare key scoped to --agent / the default agent)')
    .option('--agent <id>', 'scope a bare key to this agent')
    .option('--json', 'print the session as JSON')
    .addHelpText('after', '\nExamples:\n  $ pincer sessions show agent:main:main\n  $ pincer sessions show incident-42 --agent ops --json')
    .action(async (key: string, options: KeyOptions) => {
      const sessionKey = await resolveSessionKeyArg(ctx, key, options.agent, 'session key');
      const session = parseBody(
        SessionViewSchema,
        await ctx.client(ctx.stateDir()).request('GET', sessionPath(sessionKey)),
        'GET /v1/sessions/:key',
      );
      if (options.json === true) {
        writeJson(ctx.io.stdout, { ok: true, session });
        return;
      }
      writeRecord(ctx, session);
    });

  sessions
    .command('history')
    .description("Print a session's transcript")
    .argument('<key>', 'session key')
    .option('--agent <id>', 'scope a bare key to this agent')
    .addOption(new Option('--limit <n>', 'only the last N entries').argParser(parsePositiveInt))
    .option('--json', 'print the transcript as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  $ pincer sessions history agent:ops:incident-42\n  $ pincer sessions history main --limit 20 --json',
    )
    .action(async (key: string, options: KeyOptions & { limit?: number }) => {
      const sessionKey = await resolveSessionKeyArg(ctx, key, options.agent, 'session key');
      const body = parseBody(
        TranscriptSchema,
        await ctx.client(ctx.stateDir()).request('GET', sessionPath(sessionKey, '/transcript'), { query: { limit: options.limit } }),
        'GET /v1/sessions/:key/transcript',
      );
      let entries = body.entries;
      if (options.limit !== undefined) entries = entries.slice(-options.limit);
      if (options.json === true) {
        // `entries` and `sessionId` are the API's names; `transcript` is the older alias of `entries`.
        writeJson(ctx.io.stdout, { ok: true, sessionKey, sessionId: body.sessionId, entries, transcript: entries });
        return;
      }
      if (entries.length === 0) {
        writeLine(ctx.io.stdout, `No transcript entries for ${sessionKey}.`);
        return;
      }
      for (const entry of entries) {
        writeLine(ctx.io.stdout, forTerminal(ctx.io.stdout, `[${formatTime(entry.createdAt)}] ${entry.role}: ${entry.text}`));
      }
    });

  sessions
    .command('reset')
    .description('Reset a session (start a fresh transcript under the same key)')
    .argument('<key>', 'session key')
    .option('--agent <id>', 'scope a bare key to this agent')
    .option('--json', 'print the gateway answer as JSON')
    .addHelpText('after', '\nExamples:\n  $ pincer sessions reset agent:ops:incident-42\n  $ pincer sessions reset main --json')
    .action(async (key: string, options: KeyOptions) => {
      const sessionKey = await resolveSessionKeyArg(ctx, key, options.agent, 'session key');
      const body = parseBody(
        SessionResetSchema,
        await ctx.client(ctx.stateDir()).request('POST', sessionPath(sessionKey, '/reset'), { body: {} }),
        'POST /v1/sessions/:key/reset',
      );
      if (options.json === true) {
        // The API's fields at the top; `result` is the older alias holding the same answer.
        writeJson(ctx.io.stdout, { ok: true, ...body, sessionKey, result: body });
        return;
      }
      writeLine(ctx.io.stdout, `Reset ${sessionKey}.`);
    });

  sessions
    .command('delete')
    .alias('rm')
    .description('Delete a session: its transcript and queued events (refused while a turn runs)')
    .argument('<key>', 'session key')
    .option('--agent <id>', 'scope a bare key to this agent')
    .option('--json', "print { ok, deleted, sessionKey } as JSON (the API's answer)")
    .addHelpText(
      'after',
      `
Exit 1 with code CONFLICT while a turn of the session is queued or running, NOT_FOUND for an
unknown session.

Examples:
  $ pincer sessions delete agent:ops:incident-42
  $ pincer sessions delete incident-42 --agent ops --json`,
    )
    .action(async (key: string, options: KeyOptions) => {
      const sessionKey = await resolveSessionKeyArg(ctx, key, options.agent, 'session key');
      const body = parseBody(
        SessionDeletedSchema,
        await ctx.client(ctx.stateDir()).request('DELETE', sessionPath(sessionKey)),
        'DELETE /v1/sessions/:key',
      );
      if (options.json === true) {
        writeJson(ctx.io.stdout, { ok: true, ...body, sessionKey });
        return;
      }
      writeLine(ctx.io.stdout, `Deleted ${forTerminal(ctx.io.stdout, sessionKey)}.`);
    });
}

/** Prints an object as aligned `name: value` lines (nested values as JSON). */
export function writeRecord(ctx: CommandContext, record: unknown): void {
  if (typeof record !== 'object' || record === null) {
    writeLine(ctx.io.stdout, String(record));
    return;
  }
  const entries = Object.entries(record as Record<string, unknown>);
  const width = Math.max(0, ...entries.map(([name]) => name.length));
  for (const [name, value] of entries) {
    const text =
      value === null || value === undefined
        ? '-'
        : typeof value === 'string'
          ? value
          : /At$/.test(name) && typeof value === 'number'
            ? `${formatTime(value)} (${formatAge(value, ctx.clock.now())})`
            : JSON.stringify(value);
    writeLine(ctx.io.stdout, forTerminal(ctx.io.stdout, `${`${name}:`.padEnd(width + 1)} ${text}`));
  }
}
