import { type Command, Option } from 'commander';
import { type CommandContext, field, listFrom, parseNonNegativeInt, parsePositiveInt, stringField } from '../context.js';
import { CliError } from '../errors.js';
import { writeJson, writeLine } from '../io.js';
import { formatTable, formatTime } from '../output.js';
import { resolveSessionKeyArg } from './sessions.js';

/** Poll interval of `pincer logs --follow`, in ms. */
export const FOLLOW_INTERVAL_MS = 500;

/** A process row as the CLI reads it from `GET /v1/processes` (tolerant of extra fields). */
export interface ProcessRow {
  id: string;
  status: string | undefined;
  pid: string | undefined;
  sessionKey: string | undefined;
  scopeKey: string | undefined;
  command: string | undefined;
  startedAt: unknown;
  exitCode: unknown;
}

/** Reads one process record from the gateway's answer. */
export function toProcessRow(value: unknown): ProcessRow {
  return {
    id: stringField(value, 'id', 'processId') ?? '?',
    status: stringField(value, 'status'),
    pid: stringField(value, 'pid'),
    sessionKey: stringField(value, 'sessionKey'),
    scopeKey: stringField(value, 'scopeKey'),
    command: stringField(value, 'command'),
    startedAt: field(value, 'startedAt'),
    exitCode: field(value, 'exitCode'),
  };
}

/** Reads the process list from `GET /v1/processes` (either a list, `{processes}`, or `{running, finished}`). */
export function processesFrom(body: unknown): unknown[] {
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
    const running = (body as Record<string, unknown>).running;
    const finished = (body as Record<string, unknown>).finished;
    if (Array.isArray(running) || Array.isArray(finished)) {
      return [...(Array.isArray(running) ? running : []), ...(Array.isArray(finished) ? finished : [])];
    }
  }
  return listFrom(body, 'processes', 'items');
}

/** A chunk of a process log as the CLI reads it from `GET /v1/processes/:id/log`. */
export interface LogChunk {
  text: string;
  /** Offset to ask for next (characters). */
  nextOffset: number;
  /** Process status when the gateway includes it. */
  status: string | undefined;
}

/** Reads a log answer; `offset` is what was asked for. */
export function toLogChunk(body: unknown, offset: number): LogChunk {
  const text = stringField(body, 'output', 'log', 'text', 'content', 'data') ?? '';
  const next = field(body, 'nextOffset');
  const fromOffset = field(body, 'offset');
  const base = typeof fromOffset === 'number' ? fromOffset : offset;
  return {
    text,
    nextOffset: typeof next === 'number' ? next : base + text.length,
    status: stringField(body, 'status'),
  };
}

/** Registers `pincer ps`, `pincer logs` and `pincer kill` (never stdin). */
export function registerProcessCommands(program: Command, ctx: CommandContext): void {
  program
    .command('ps')
    .description('List background shells the gateway runs (running first, then finished)')
    .option('--session <key>', 'only processes of this session (bare keys are scoped to --agent / the default agent)')
    .option('--agent <id>', 'scope a bare --session key to this agent')
    .option('--json', 'print { ok, processes } as JSON')
    .addHelpText('after', '\nExamples:\n  $ pincer ps\n  $ pincer ps --session agent:ops:incident-42\n  $ pincer ps --json')
    .action(async (options: { session?: string; agent?: string; json?: boolean }) => {
      const sessionKey = options.session === undefined ? undefined : await resolveSessionKeyArg(ctx, options.session, options.agent);
      const body = await ctx.client(ctx.stateDir()).request('GET', '/v1/processes', { query: { sessionKey } });
      const raw = processesFrom(body);
      const processes = sessionKey === undefined ? raw : raw.filter((p) => toProcessRow(p).sessionKey === sessionKey || toProcessRow(p).scopeKey === sessionKey);
      if (options.json === true) {
        writeJson(ctx.io.stdout, { ok: true, processes });
        return;
      }
      if (processes.length === 0) {
        writeLine(ctx.io.stdout, sessionKey === undefined ? 'No processes.' : `No processes for ${sessionKey}.`);
        return;
      }
      writeLine(
        ctx.io.stdout,
        formatTable(processes.map(toProcessRow), [
          { header: 'ID', value: (row) => row.id },
          { header: 'STATUS', value: (row) => row.status },
          { header: 'PID', value: (row) => row.pid },
          { header: 'EXIT', value: (row) => (typeof row.exitCode === 'number' ? row.exitCode : undefined) },
          { header: 'SESSION', value: (row) => row.sessionKey ?? row.scopeKey, maxWidth: 48 },
          { header: 'STARTED', value: (row) => formatTime(row.startedAt) },
          { header: 'COMMAND', value: (row) => row.command, maxWidth: 60 },
        ]),
      );
    });

  program
    .command('logs')
    .description("Print a background process's output")
    .argument('<id>', 'process id (from pincer ps)')
    .addOption(new Option('--offset <n>', 'start at this character offset').argParser(parseNonNegativeInt))
    .addOption(new Option('--limit <n>', 'at most this many characters').argParser(parsePositiveInt))
    .option('-f, --follow', 'keep printing new output until the process exits (Ctrl-C stops)')
    .option('--json', 'print { ok, id, offset, nextOffset, output } (one JSON line per chunk with --follow)')
    .addHelpText('after', '\nExamples:\n  $ pincer logs p_1a2b\n  $ pincer logs p_1a2b --offset 0 --limit 4000\n  $ pincer logs p_1a2b --follow')
    .action(async (id: string, options: { offset?: number; limit?: number; follow?: boolean; json?: boolean }) => {
      if (id.trim() === '') throw new CliError('VALIDATION', 'process id must not be blank');
      const client = ctx.client(ctx.stateDir());
      const path = `/v1/processes/${encodeURIComponent(id.trim())}/log`;
      let offset = options.offset ?? 0;
      const fetchChunk = async (): Promise<LogChunk> =>
        toLogChunk(await client.request('GET', path, { query: { offset, limit: options.limit } }), offset);
      const emit = (chunk: LogChunk, asLine: boolean): void => {
        if (options.json === true) {
          const doc = { ok: true, id: id.trim(), offset, nextOffset: chunk.nextOffset, status: chunk.status ?? null, output: chunk.text };
          if (asLine) ctx.io.stdout.write(`${JSON.stringify(doc)}\n`);
          else writeJson(ctx.io.stdout, doc);
        } else if (chunk.text !== '') {
          ctx.io.stdout.write(chunk.text);
        }
      };
      const first = await fetchChunk();
      if (options.follow !== true) {
        emit(first, false);
        if (options.json !== true && first.text !== '' && !first.text.endsWith('\n') && ctx.io.stdout.isTTY === true) writeLine(ctx.io.stdout);
        return;
      }
      emit(first, true);
      offset = first.nextOffset;
      let status = first.status ?? (await statusOf(ctx, id.trim()));
      // Ends when the process is no longer running and its output is drained, or on Ctrl-C.
      while (!ctx.io.signal?.aborted) {
        await ctx.sleep(FOLLOW_INTERVAL_MS);
        if (ctx.io.signal?.aborted) break;
        const chunk = await fetchChunk();
        if (chunk.text !== '') emit(chunk, true);
        offset = chunk.nextOffset;
        if (status !== 'running') {
          if (chunk.text === '') break;
          continue;
        }
        status = chunk.status ?? (await statusOf(ctx, id.trim()));
      }
    });

  program
    .command('kill')
    .description('Kill a background process and its process tree')
    .argument('<id>', 'process id (from pincer ps)')
    .option('--json', 'print { ok, id, status, signal } as JSON')
    .addHelpText('after', '\nExamples:\n  $ pincer kill p_1a2b\n  $ pincer kill p_1a2b --json')
    .action(async (id: string, options: { json?: boolean }) => {
      if (id.trim() === '') throw new CliError('VALIDATION', 'process id must not be blank');
      const body = await ctx.client(ctx.stateDir()).request('POST', `/v1/processes/${encodeURIComponent(id.trim())}/kill`, { body: {} });
      const status = stringField(body, 'status') ?? 'killed';
      const signal = stringField(body, 'signal');
      if (status === 'not-found') throw new CliError('NOT_FOUND', `Process ${id.trim()} not found.`);
      if (options.json === true) {
        writeJson(ctx.io.stdout, { ok: true, id: id.trim(), status, signal: signal ?? null });
        return;
      }
      writeLine(
        ctx.io.stdout,
        status === 'already-exited' ? `Process ${id.trim()} had already exited.` : `Killed ${id.trim()}${signal ? ` (${signal})` : ''}.`,
      );
    });
}

async function statusOf(ctx: CommandContext, id: string): Promise<string | undefined> {
  const body = await ctx.client(ctx.stateDir()).request('GET', '/v1/processes');
  const match = processesFrom(body).map(toProcessRow).find((row) => row.id === id);
  if (match === undefined) throw new CliError('NOT_FOUND', `Process ${id} not found.`);
  return match.status;
}
