import { type Command, Option } from 'commander';
import { type CommandContext, field, listFrom, stringField } from '../context.js';
import { CliError } from '../errors.js';
import { writeJson, writeLine } from '../io.js';
import { formatTable, formatTime } from '../output.js';
import { resolveSessionKeyArg } from './sessions.js';

/** Options of `pincer cron add`. */
export interface CronAddOptions {
  name?: string;
  at?: string;
  every?: string;
  cron?: string;
  tz?: string;
  message?: string;
  agent?: string;
  sessionKey?: string;
  target?: string;
  payload?: 'systemEvent' | 'agentTurn';
  wake?: 'now' | 'next-heartbeat';
  json?: boolean;
}

/** Body of `POST /v1/cron` built from `pincer cron add` options. */
export interface CronJobRequest {
  name?: string;
  agentId?: string;
  schedule: { kind: 'at'; at: string } | { kind: 'every'; every: string } | { kind: 'cron'; expr: string; tz?: string };
  payload: { kind: 'systemEvent'; text: string } | { kind: 'agentTurn'; message: string };
  target?: string;
  wakeMode?: 'now' | 'next-heartbeat';
}

/**
 * Validates `cron add` options into a job request: exactly one of `--at`, `--every`, `--cron`;
 * a non-blank `--message`; `--session-key` (normalized with the seed-003 rules) becomes the
 * target `session:<key>`. Throws `VALIDATION`.
 */
export function buildCronJobRequest(options: CronAddOptions, sessionKey: string | undefined): CronJobRequest {
  const schedules = [options.at, options.every, options.cron].filter((v) => v !== undefined);
  if (schedules.length !== 1) throw new CliError('VALIDATION', 'Give exactly one schedule: --at <iso-time>, --every <duration> or --cron <expr>.');
  for (const [value, flag] of [
    [options.at, '--at'],
    [options.every, '--every'],
    [options.cron, '--cron'],
    [options.name, '--name'],
    [options.agent, '--agent'],
    [options.target, '--target'],
  ] as const) {
    if (value !== undefined && value.trim() === '') throw new CliError('VALIDATION', `${flag} must not be blank`);
  }
  if (options.message === undefined || options.message.trim() === '') {
    throw new CliError('VALIDATION', 'Missing --message: the text the job delivers (a system event or an agent turn).');
  }
  if (options.at !== undefined && Number.isNaN(Date.parse(options.at))) {
    throw new CliError('VALIDATION', `--at must be an ISO-8601 time (got "${options.at}").`);
  }
  if (options.tz !== undefined && options.cron === undefined) throw new CliError('VALIDATION', '--tz only applies to --cron.');
  if (sessionKey !== undefined && options.target !== undefined) throw new CliError('VALIDATION', 'Use either --session-key or --target, not both.');
  const schedule: CronJobRequest['schedule'] =
    options.at !== undefined
      ? { kind: 'at', at: new Date(options.at).toISOString() }
      : options.every !== undefined
        ? { kind: 'every', every: options.every.trim() }
        : { kind: 'cron', expr: (options.cron ?? '').trim(), ...(options.tz !== undefined ? { tz: options.tz.trim() } : {}) };
  const payloadKind = options.payload ?? 'systemEvent';
  const payload: CronJobRequest['payload'] =
    payloadKind === 'agentTurn' ? { kind: 'agentTurn', message: options.message } : { kind: 'systemEvent', text: options.message };
  const target = sessionKey !== undefined ? `session:${sessionKey}` : options.target?.trim();
  return {
    ...(options.name !== undefined ? { name: options.name.trim() } : {}),
    ...(options.agent !== undefined ? { agentId: options.agent.trim() } : {}),
    schedule,
    payload,
    ...(target !== undefined ? { target } : {}),
    ...(options.wake !== undefined ? { wakeMode: options.wake } : {}),
  };
}

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
  $ pincer cron add --name standup --cron "0 9 * * 1-5" --tz Europe/Berlin --message "Post the standup summary"
  $ pincer cron run <job-id>
  $ pincer cron rm <job-id>`,
    );

  cron
    .command('list')
    .description('List cron jobs')
    .option('--json', 'print { ok, jobs } as JSON')
    .addHelpText('after', '\nExamples:\n  $ pincer cron list\n  $ pincer cron list --json')
    .action(async (options: { json?: boolean }) => {
      const jobs = listFrom(await ctx.client(ctx.stateDir()).request('GET', '/v1/cron'), 'jobs', 'items');
      if (options.json === true) {
        writeJson(ctx.io.stdout, { ok: true, jobs });
        return;
      }
      if (jobs.length === 0) {
        writeLine(ctx.io.stdout, 'No cron jobs.');
        return;
      }
      writeLine(
        ctx.io.stdout,
        formatTable(jobs, [
          { header: 'ID', value: (job) => stringField(job, 'id', 'jobId') },
          { header: 'NAME', value: (job) => stringField(job, 'name') },
          { header: 'SCHEDULE', value: (job) => describeSchedule(field(job, 'schedule')) },
          { header: 'AGENT', value: (job) => stringField(job, 'agentId') },
          { header: 'ENABLED', value: (job) => (typeof field(job, 'enabled') === 'boolean' ? String(field(job, 'enabled')) : undefined) },
          { header: 'NEXT RUN', value: (job) => formatTime(field(job, 'nextRunAt', 'nextRunAtMs', 'next')) },
        ]),
      );
    });

  cron
    .command('add')
    .description('Add a cron job (exactly one of --at, --every, --cron)')
    .option('--name <name>', 'a label for the job')
    .option('--at <iso-time>', 'run once at this time (ISO-8601)')
    .option('--every <duration>', 'run repeatedly, e.g. 30s, 15m, 2h')
    .option('--cron <expr>', '5- or 6-field cron expression')
    .option('--tz <zone>', 'IANA time zone for --cron (default UTC)')
    .requiredOption('-m, --message <text>', 'text delivered when the job fires')
    .addOption(new Option('--payload <kind>', 'deliver as a system event or run an agent turn').choices(['systemEvent', 'agentTurn']).default('systemEvent'))
    .option('--agent <id>', 'agent the job belongs to (default: the default agent)')
    .option('--session-key <key>', 'deliver to this session (same rules as pincer agent)')
    .option('--target <target>', 'main | isolated | session:<key> (default main)')
    .addOption(new Option('--wake <mode>', 'wake the session now or at the next heartbeat').choices(['now', 'next-heartbeat']))
    .option('--json', 'print { ok, job } as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ pincer cron add --every 15m --message "Check the deploy queue"
  $ pincer cron add --at 2026-12-01T09:00:00Z --message "Renew the cert" --agent ops
  $ pincer cron add --cron "0 9 * * 1-5" --tz UTC --payload agentTurn --session-key agent:ops:standup -m "Standup"`,
    )
    .action(async (options: CronAddOptions) => {
      const sessionKey = options.sessionKey === undefined ? undefined : await resolveSessionKeyArg(ctx, options.sessionKey, options.agent);
      const request = buildCronJobRequest(options, sessionKey);
      const body = await ctx.client(ctx.stateDir()).request('POST', '/v1/cron', { body: request });
      const job = field(body, 'job') ?? body;
      if (options.json === true) {
        writeJson(ctx.io.stdout, { ok: true, job });
        return;
      }
      writeLine(ctx.io.stdout, `Added cron job ${stringField(job, 'id', 'jobId') ?? '(no id)'} (${describeSchedule(field(job, 'schedule') ?? request.schedule)}).`);
    });

  cron
    .command('rm')
    .alias('remove')
    .description('Remove a cron job')
    .argument('<id>', 'job id (from pincer cron list)')
    .option('--json', 'print { ok, id } as JSON')
    .addHelpText('after', '\nExamples:\n  $ pincer cron rm job_123\n  $ pincer cron rm job_123 --json')
    .action(async (id: string, options: { json?: boolean }) => {
      const jobId = requireId(id);
      await ctx.client(ctx.stateDir()).request('DELETE', `/v1/cron/${encodeURIComponent(jobId)}`);
      if (options.json === true) writeJson(ctx.io.stdout, { ok: true, id: jobId, removed: true });
      else writeLine(ctx.io.stdout, `Removed cron job ${jobId}.`);
    });

  cron
    .command('run')
    .description('Run a cron job now (does not change its schedule)')
    .argument('<id>', 'job id (from pincer cron list)')
    .option('--json', 'print { ok, id, run } as JSON')
    .addHelpText('after', '\nExamples:\n  $ pincer cron run job_123\n  $ pincer cron run job_123 --json')
    .action(async (id: string, options: { json?: boolean }) => {
      const jobId = requireId(id);
      const body = await ctx.client(ctx.stateDir()).request('POST', `/v1/cron/${encodeURIComponent(jobId)}/run`, { body: {} });
      if (options.json === true) writeJson(ctx.io.stdout, { ok: true, id: jobId, run: field(body, 'run') ?? body ?? null });
      else writeLine(ctx.io.stdout, `Ran cron job ${jobId}${stringField(field(body, 'run') ?? body, 'status') ? ` (${stringField(field(body, 'run') ?? body, 'status')})` : ''}.`);
    });
}

function requireId(id: string): string {
  if (id.trim() === '') throw new CliError('VALIDATION', 'job id must not be blank');
  return id.trim();
}

/** One-line description of a schedule object (tolerant of shapes). */
export function describeSchedule(schedule: unknown): string {
  if (typeof schedule === 'string') return schedule;
  const kind = stringField(schedule, 'kind', 'type');
  if (kind === 'at') return `at ${stringField(schedule, 'at') ?? '?'}`;
  if (kind === 'every') return `every ${stringField(schedule, 'every', 'everyMs') ?? '?'}`;
  if (kind === 'cron') {
    const tz = stringField(schedule, 'tz');
    return `cron ${stringField(schedule, 'expr', 'cron') ?? '?'}${tz ? ` (${tz})` : ''}`;
  }
  return schedule === undefined ? '-' : JSON.stringify(schedule);
}
