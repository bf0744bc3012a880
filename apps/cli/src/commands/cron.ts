import {
  CronCreateSchema,
  CronDeletedSchema,
  CronJobViewSchema,
  CronListSchema,
  CronRunNowSchema,
  CronRunsSchema,
} from '@pincer/gateway/schemas';
import { type Command, Option } from 'commander';
import type { z } from 'zod';
import { type CommandContext, field, stringField } from '../context.js';
import { CliError } from '../errors.js';
import { parseBody } from '../gateway-client.js';
import { writeJson, writeLine } from '../io.js';
import { formatAge, formatTable, formatTime, tableLayout } from '../output.js';
import { resolveSessionKeyArg, resolveSessionScope } from './sessions.js';
import { parseDurationFlag } from '../duration.js';
import { agentSelectionError, loadRoster } from '../roster.js';

/** Options of `pincer cron add`. */
export interface CronAddOptions {
  name?: string;
  every?: string;
  at?: string;
  in?: string;
  cron?: string;
  tz?: string;
  message?: string;
  agent?: string;
  sessionKey?: string;
  kind?: 'systemEvent' | 'agentTurn';
  target?: 'session' | 'isolated';
  json?: boolean;
}

/** Body of `POST /v1/cron`: the input of the gateway's own `CronCreateSchema`. */
export type CronJobRequest = z.input<typeof CronCreateSchema>;

/**
 * Validates `cron add` options into the gateway's job request: exactly one of `--every`,
 * `--at`, `--in`, `--cron` (`--tz` only with `--cron`); a non-blank `--message`; the owning session (already normalized with the
 * seed-003 rules by the caller). Throws `VALIDATION`.
 */
export function buildCronJobRequest(options: CronAddOptions, sessionKey: string): CronJobRequest {
  for (const [value, flag] of [
    [options.every, '--every'],
    [options.at, '--at'],
    [options.in, '--in'],
    [options.cron, '--cron'],
    [options.tz, '--tz'],
    [options.name, '--name'],
  ] as const) {
    if (value !== undefined && value.trim() === '') throw new CliError('VALIDATION', `${flag} must not be blank`);
  }
  const schedules = [options.every, options.at, options.in, options.cron].filter((v) => v !== undefined);
  if (schedules.length !== 1) {
    throw new CliError('VALIDATION', 'Give exactly one schedule: --every <duration>, --at <iso-time>, --in <duration> or --cron <expr>.');
  }
  if (options.tz !== undefined && options.cron === undefined) throw new CliError('VALIDATION', '--tz only applies to --cron.');
  if (options.cron !== undefined) {
    const fields = options.cron.trim().split(/\s+/).length;
    if (fields !== 5 && fields !== 6)
      throw new CliError('VALIDATION', `--cron must have 5 or 6 fields (got ${fields}: "${options.cron.trim()}").`);
  }
  if (options.message === undefined || options.message.trim() === '') {
    throw new CliError('VALIDATION', 'Missing --message: the text the job delivers (a system event or an agent turn).');
  }
  // One grammar with the config (a unit is required); sent to the gateway as whole milliseconds.
  const everyMs = options.every !== undefined ? parseDurationFlag(options.every, '--every', 1000) : undefined;
  const inMs = options.in !== undefined ? parseDurationFlag(options.in, '--in', 1000) : undefined;
  if (options.at !== undefined && Number.isNaN(Date.parse(options.at))) {
    throw new CliError('VALIDATION', `--at must be an ISO-8601 time (got "${options.at}").`);
  }
  return {
    sessionKey,
    text: options.message,
    ...(everyMs !== undefined && options.every !== undefined ? { every: durationForGateway(options.every, everyMs) } : {}),
    ...(options.at !== undefined ? { at: new Date(options.at).toISOString() } : {}),
    ...(inMs !== undefined && options.in !== undefined ? { in: durationForGateway(options.in, inMs) } : {}),
    ...(options.cron !== undefined ? { cron: options.cron.trim() } : {}),
    ...(options.tz !== undefined ? { tz: options.tz.trim() } : {}),
    ...(options.kind !== undefined ? { kind: options.kind } : {}),
    ...(options.target !== undefined ? { target: options.target } : {}),
    ...(options.name !== undefined ? { name: options.name.trim() } : {}),
  };
}

/** A duration as the gateway reads it: the text as typed when it is `<n><ms|s|m|h|d>`, else `<ms>ms`. */
function durationForGateway(text: string, milliseconds: number): string {
  const trimmed = text.trim();
  return /^\d+(?:\.\d+)?\s*(?:ms|s|m|h|d)$/i.test(trimmed) ? trimmed : `${milliseconds}ms`;
}

/** An example job id as the gateway mints them (a UUID). */
export const EXAMPLE_JOB_ID = '9b2f4c71-3e0a-4d5b-8c6f-1a7e2d9b0c54';

/** Registers `pincer cron list|add|rm|run`. */
export function registerCronCommand(program: Command, ctx: CommandContext): void {
  const cron = program
    .command('cron')
    .description('Manage scheduled jobs on the gateway')
    .addHelpText(
      'after',
      `
Examples:
  $ pincer cron list
  $ pincer cron add --every 1h --message "Check the deploy queue"
  $ pincer cron run ${EXAMPLE_JOB_ID}
  $ pincer cron rm ${EXAMPLE_JOB_ID}`,
    );

  cron
    .command('list')
    .description('List cron jobs')
    .option('--session <key>', 'only jobs owned by this session')
    .option('--agent <id>', 'scope a bare --session key to this agent')
    .option('--wide', 'never cut cells to fit the terminal')
    .option('--json', "print { ok, count, jobs } as JSON (the API's fields)")
    .addHelpText('after', '\nExamples:\n  $ pincer cron list\n  $ pincer cron list --json')
    .action(async (options: ScopeOptions & { wide?: boolean }) => {
      const sessionKey = await scopeOf(ctx, options);
      const { jobs } = parseBody(
        CronListSchema,
        await ctx.client(ctx.stateDir()).request('GET', '/v1/cron', { query: { sessionKey } }),
        'GET /v1/cron',
      );
      if (options.json === true) {
        writeJson(ctx.io.stdout, { ok: true, count: jobs.length, jobs });
        return;
      }
      const now = ctx.clock.now();
      if (jobs.length === 0) {
        writeLine(ctx.io.stdout, 'No cron jobs.');
        return;
      }
      writeLine(
        ctx.io.stdout,
        formatTable(
          jobs,
          [
            { header: 'ID', value: (job) => stringField(job, 'id', 'jobId'), shrink: 1 },
            { header: 'NAME', value: (job) => stringField(job, 'name'), shrink: 2 },
            { header: 'SCHEDULE', value: (job) => describeSchedule(field(job, 'schedule')), shrink: 1 },
            { header: 'KIND', value: (job) => stringField(field(job, 'payload'), 'kind') },
            { header: 'SESSION', value: (job) => stringField(job, 'ownerSessionKey', 'sessionKey'), maxWidth: 48, shrink: 1 },
            { header: 'ENABLED', value: (job) => (typeof field(job, 'enabled') === 'boolean' ? String(field(job, 'enabled')) : undefined) },
            { header: 'NEXT RUN', value: (job) => formatAge(field(field(job, 'state'), 'nextRunAtMs') ?? field(job, 'nextRunAt'), now) },
            { header: 'LAST', value: (job) => stringField(field(job, 'state'), 'lastStatus') ?? stringField(job, 'lastStatus') },
          ],
          tableLayout(ctx.io.stdout, ctx.io.env, options.wide === true),
        ),
      );
    });

  cron
    .command('add')
    .description('Add a cron job (exactly one of --every, --at, --in, --cron)')
    .option('--every <duration>', 'run repeatedly, e.g. 30s, 15m, 2h, 1d (at least 1s; a unit is required)')
    .option('--at <iso-time>', 'run once at this time (ISO-8601)')
    .option('--in <duration>', 'run once after this delay, e.g. 10m')
    .option('--cron <expr>', '5- or 6-field cron expression, e.g. "0 9 * * 1-5"')
    .option('--tz <zone>', 'IANA time zone for --cron (default UTC)')
    .requiredOption('-m, --message <text>', 'text delivered when the job fires')
    .addOption(
      new Option('--kind <kind>', 'deliver a system event or run an agent turn (default systemEvent)').choices([
        'systemEvent',
        'agentTurn',
      ]),
    )
    .addOption(
      new Option('--target <target>', 'fire into the owning session or an isolated run session (default session)').choices([
        'session',
        'isolated',
      ]),
    )
    .option('--session-key <key>', "the owning session (same rules as pincer agent; default: the agent's main session)")
    .option('--agent <id>', 'agent that owns the job (scopes a bare --session-key; default: the default agent)')
    .option('--name <name>', 'a label for the job')
    .option('--json', 'print { ok, job } as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ pincer cron add --every 15m --message "Check the deploy queue"
  $ pincer cron add --at 2026-12-01T09:00:00Z --message "Renew the cert" --agent ops
  $ pincer cron add --cron "0 9 * * 1-5" --tz Europe/Berlin --agent ops -m "Post the standup"
  $ pincer cron add --in 10m --kind agentTurn --session-key agent:ops:standup -m "Summarize the night"`,
    )
    .action(async (options: CronAddOptions) => {
      const key = options.sessionKey ?? 'main';
      if (options.agent === undefined && !/^agent:/i.test(key.trim())) {
        // Like a turn: with several agents and no default, a job must name its owner.
        const roster = await loadRoster(ctx.configPath(ctx.stateDir()));
        if (roster.selectionRequired === true) throw agentSelectionError(roster, 'cron job');
      }
      const sessionKey = await resolveSessionKeyArg(ctx, key, options.agent);
      const request = buildCronJobRequest(options, sessionKey);
      const job = parseBody(
        CronJobViewSchema,
        await ctx.client(ctx.stateDir()).request('POST', '/v1/cron', { body: request }),
        'POST /v1/cron',
      );
      if (options.json === true) {
        writeJson(ctx.io.stdout, { ok: true, job });
        return;
      }
      writeLine(ctx.io.stdout, `Added cron job ${job.id} (${describeSchedule(job.schedule)}) for ${sessionKey}.`);
    });

  cron
    .command('rm')
    .alias('remove')
    .description('Remove a cron job')
    .argument('<id>', 'job id (from pincer cron list)')
    .option('--session <key>', 'only if the job is owned by this session (else: not found)')
    .option('--agent <id>', 'scope a bare --session key to this agent')
    .option('--json', 'print { ok, id } as JSON')
    .addHelpText('after', `\nExamples:\n  $ pincer cron rm ${EXAMPLE_JOB_ID}\n  $ pincer cron rm ${EXAMPLE_JOB_ID} --json`)
    .action(async (id: string, options: ScopeOptions) => {
      const jobId = requireId(id);
      const sessionKey = await scopeOf(ctx, options);
      parseBody(
        CronDeletedSchema,
        await ctx.client(ctx.stateDir()).request('DELETE', `/v1/cron/${encodeURIComponent(jobId)}`, { query: { sessionKey } }),
        'DELETE /v1/cron/:id',
      );
      if (options.json === true) writeJson(ctx.io.stdout, { ok: true, id: jobId, removed: true });
      else writeLine(ctx.io.stdout, `Removed cron job ${jobId}.`);
    });

  cron
    .command('run')
    .description('Run a cron job now (its schedule is unchanged)')
    .argument('<id>', 'job id (from pincer cron list)')
    .option('--session <key>', 'only if the job is owned by this session (else: not found)')
    .option('--agent <id>', 'scope a bare --session key to this agent')
    .option('--json', 'print { ok, id, run } as JSON')
    .addHelpText('after', `\nExamples:\n  $ pincer cron run ${EXAMPLE_JOB_ID}\n  $ pincer cron run ${EXAMPLE_JOB_ID} --json`)
    .action(async (id: string, options: ScopeOptions) => {
      const jobId = requireId(id);
      const sessionKey = await scopeOf(ctx, options);
      let body: unknown;
      try {
        body = await ctx
          .client(ctx.stateDir())
          .request('POST', `/v1/cron/${encodeURIComponent(jobId)}/run`, { body: {}, query: { sessionKey } });
      } catch (error) {
        if (CliError.isInstance(error) && error.code === 'NOT_FOUND' && /^Route /.test(error.message)) {
          throw new CliError('GATEWAY_ERROR', 'This gateway cannot run cron jobs on demand (it has no POST /v1/cron/:id/run).', {
            cause: error,
          });
        }
        throw error;
      }
      const { run } = parseBody(CronRunNowSchema, body, 'POST /v1/cron/:id/run');
      if (options.json === true) writeJson(ctx.io.stdout, { ok: true, id: jobId, run });
      else writeLine(ctx.io.stdout, `Ran cron job ${jobId} (${run.status}).`);
    });

  cron
    .command('runs')
    .description("Show a cron job's run history")
    .argument('<id>', 'job id (from pincer cron list)')
    .option('--session <key>', 'only if the job is owned by this session (else: not found)')
    .option('--agent <id>', 'scope a bare --session key to this agent')
    .option('--json', 'print { ok, id, runs } as JSON')
    .addHelpText('after', `\nExamples:\n  $ pincer cron runs ${EXAMPLE_JOB_ID}\n  $ pincer cron runs ${EXAMPLE_JOB_ID} --json`)
    .action(async (id: string, options: ScopeOptions) => {
      const jobId = requireId(id);
      const sessionKey = await scopeOf(ctx, options);
      const { runs } = parseBody(
        CronRunsSchema,
        await ctx.client(ctx.stateDir()).request('GET', `/v1/cron/${encodeURIComponent(jobId)}/runs`, { query: { sessionKey } }),
        'GET /v1/cron/:id/runs',
      );
      if (options.json === true) {
        writeJson(ctx.io.stdout, { ok: true, id: jobId, runs });
        return;
      }
      if (runs.length === 0) {
        writeLine(ctx.io.stdout, `No runs yet for ${jobId}.`);
        return;
      }
      const now = ctx.clock.now();
      writeLine(
        ctx.io.stdout,
        formatTable(
          runs,
          [
            { header: 'RUN', value: (run) => stringField(run, 'runId', 'id'), shrink: 1 },
            { header: 'STARTED', value: (run) => formatAge(field(run, 'startedAtMs', 'at', 'startedAt'), now) },
            { header: 'TRIGGER', value: (run) => stringField(run, 'trigger') },
            { header: 'STATUS', value: (run) => stringField(run, 'status') },
            { header: 'ERROR', value: (run) => stringField(run, 'error'), shrink: 2 },
          ],
          tableLayout(ctx.io.stdout, ctx.io.env),
        ),
      );
    });
}

interface ScopeOptions {
  session?: string;
  agent?: string;
  json?: boolean;
}

/** The `--session` scope (seed-003 rules), or `undefined` for the operator's unscoped view. */
function scopeOf(ctx: CommandContext, options: ScopeOptions): Promise<string | undefined> {
  return resolveSessionScope(ctx, options);
}

function requireId(id: string): string {
  if (id.trim() === '') throw new CliError('VALIDATION', 'job id must not be blank');
  return id.trim();
}

/** One-line description of a schedule (`every 15m`, `at <iso>`, `cron 0 9 * * * (UTC)`); tolerant of shapes. */
export function describeSchedule(schedule: unknown): string {
  if (typeof schedule === 'string') return schedule;
  const kind = stringField(schedule, 'kind', 'type');
  if (kind === 'every') {
    const every = field(schedule, 'every', 'everyMs');
    return typeof every === 'number' ? `every ${formatDuration(every)}` : `every ${String(every ?? '?')}`;
  }
  if (kind === 'at') return `at ${formatTime(field(schedule, 'at', 'atMs'))}`;
  if (kind === 'cron') {
    const tz = stringField(schedule, 'tz');
    return `cron ${stringField(schedule, 'expr') ?? '?'}${tz ? ` (${tz})` : ''}`;
  }
  return schedule === undefined ? '-' : JSON.stringify(schedule);
}

/** `90000` → `1m30s`; whole units only (ms under a second are shown as ms). */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const units: [string, number][] = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ];
  let rest = Math.round(ms / 1000) * 1000;
  let text = '';
  for (const [unit, size] of units) {
    const n = Math.floor(rest / size);
    if (n > 0) text += `${n}${unit}`;
    rest -= n * size;
  }
  return text;
}
