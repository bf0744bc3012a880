import { type Command, Option } from 'commander';
import { type CommandContext, listFrom, parsePositiveInt, stringField, field } from '../context.js';
import { CliError } from '../errors.js';
import { writeJson, writeLine } from '../io.js';
import { formatTable, formatTime } from '../output.js';
import { parseDurationSeconds } from './token.js';

/**
 * Reads `--since`: an ISO-8601 time, or a duration ago (`30m`, `12h`, `7d`). Returns epoch ms.
 * Throws `VALIDATION`.
 */
export function parseSince(text: string, nowMs: number): number {
  const trimmed = text.trim();
  if (trimmed === '') throw new CliError('VALIDATION', '--since must not be blank');
  if (/^\d+\s*[smhdw]$/i.test(trimmed)) return Math.max(0, nowMs - parseDurationSeconds(trimmed, '--since') * 1000);
  const parsed = Date.parse(trimmed);
  if (Number.isNaN(parsed) || !/\d{4}-\d{2}-\d{2}/.test(trimmed)) {
    throw new CliError('VALIDATION', `--since must be an ISO-8601 time or a duration ago like 1h or 7d (got "${trimmed}").`);
  }
  return Math.max(0, parsed);
}

/** Registers `pincer audit` (operator credential only). */
export function registerAuditCommand(program: Command, ctx: CommandContext): void {
  program
    .command('audit')
    .description('Show the audit log: state-changing actions with time, credential, source, target and result')
    .option('--since <time>', 'only rows at or after this ISO-8601 time, or this long ago (1h, 7d)')
    .addOption(new Option('--limit <n>', 'at most this many rows (default 100, at most 1000)').argParser(parsePositiveInt))
    .option('--json', 'print { ok, entries } as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  $ pincer audit\n  $ pincer audit --since 1h\n  $ pincer audit --since 2026-12-01T00:00:00Z --json',
    )
    .action(async (options: { since?: string; limit?: number; json?: boolean }) => {
      const since = options.since !== undefined ? parseSince(options.since, ctx.clock.now()) : undefined;
      if (options.limit !== undefined && options.limit > 1_000) throw new CliError('VALIDATION', '--limit must be at most 1000.');
      const entries = listFrom(
        await ctx.client(ctx.stateDir()).request('GET', '/v1/audit', { query: { since, limit: options.limit } }),
        'entries',
        'items',
      );
      if (options.json === true) {
        writeJson(ctx.io.stdout, { ok: true, entries });
        return;
      }
      if (entries.length === 0) {
        writeLine(ctx.io.stdout, since === undefined ? 'No audit entries.' : `No audit entries since ${formatTime(since)}.`);
        return;
      }
      writeLine(
        ctx.io.stdout,
        formatTable(entries, [
          { header: 'TIME', value: (row) => formatTime(field(row, 'at')) },
          { header: 'CREDENTIAL', value: (row) => stringField(row, 'credentialId') },
          { header: 'SOURCE', value: (row) => stringField(row, 'sourceAddress') },
          { header: 'ACTION', value: (row) => stringField(row, 'action') },
          { header: 'TARGET', value: (row) => stringField(row, 'target'), maxWidth: 56 },
          { header: 'RESULT', value: (row) => stringField(row, 'result') },
          { header: 'DETAIL', value: (row) => stringField(row, 'detail'), maxWidth: 60 },
        ]),
      );
    });
}
