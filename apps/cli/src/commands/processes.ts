import { ProcessKillSchema, ProcessListSchema, ProcessLogSchema, type ProcessViewSchema } from '@pincer/gateway/schemas';
import { type Command, Option } from 'commander';
import type { z } from 'zod';
import { type CommandContext, field, parseNonNegativeInt, parsePositiveInt, stringField } from '../context.js';
import { CliError } from '../errors.js';
import { parseBody } from '../gateway-client.js';
import { writeJson, writeLine } from '../io.js';
import { formatAge, formatTable, forTerminal, tableLayout } from '../output.js';
import { readConfigFile } from './config.js';
import { resolveSessionScope } from './sessions.js';

/** An example process id as the gateway mints them (a two-word slug). */
export const EXAMPLE_PROCESS_ID = 'sharp-ridge';

/** The kill ceremony's confirm timeout in the process registry (not configurable), in ms. */
const KILL_CONFIRM_TIMEOUT_MS = 5_000;

/** Headroom on top of the ceremony for the HTTP round trip and a busy gateway, in ms. */
const KILL_MARGIN_MS = 10_000;

/** The registry's default SIGTERM → SIGKILL grace, in ms (config `exec.killGraceMs`). */
const DEFAULT_KILL_GRACE_MS = 3_000;

/**
 * How long `pincer kill` waits for the gateway's answer: the longest the kill ceremony can take
 * (SIGTERM, `exec.killGraceMs`, SIGKILL, a confirm timeout after each signal) plus a margin.
 * With the defaults: 3 s + 2 × 5 s + 10 s = 23 s; with the largest grace (60 s): 80 s.
 */
export function killWaitMs(killGraceMs: number = DEFAULT_KILL_GRACE_MS): number {
  return killGraceMs + 2 * KILL_CONFIRM_TIMEOUT_MS + KILL_MARGIN_MS;
}

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
  /** `yes`, `no`, or undefined when the gateway did not say (journal rows from before sandboxes). */
  sandboxed: 'yes' | 'no' | undefined;
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
    sandboxed: sandboxedOf(field(value, 'sandbox')),
  };
}

function sandboxedOf(sandbox: unknown): ProcessRow['sandboxed'] {
  const isSandboxed = field(sandbox, 'isSandboxed');
  return typeof isSandboxed === 'boolean' ? (isSandboxed ? 'yes' : 'no') : undefined;
}

/** A shell as `GET /v1/processes` lists it (the gateway's `ProcessViewSchema`). */
export type ProcessView = z.infer<typeof ProcessViewSchema>;

/** Parses `GET /v1/processes` with the gateway's `ProcessListSchema`. */
export function processesFrom(body: unknown): ProcessView[] {
  return parseBody(ProcessListSchema, body, 'GET /v1/processes').processes;
}

/** A process log answer (`GET /v1/processes/:id/log`): lines joined by `\n`, plus the status. */
export interface LogChunk {
  id: string;
  status: string | undefined;
  output: string;
}

/** Reads a log answer. */
export function toLogChunk(body: unknown): LogChunk {
  const log = parseBody(ProcessLogSchema, body, 'GET /v1/processes/:id/log');
  return { id: log.id, status: log.status, output: log.output };
}

/**
 * Incremental line follower for `logs --follow`. The gateway pages by line (`offset` = first
 * line index); the last line of a running process may still grow, so each poll re-reads from
 * the last line printed and prints only what is new.
 */
export interface LogFollower {
  /** The line offset to ask for next. */
  readonly offset: number;
  /** Feeds one answer (read at `offset`); returns the new text to print. */
  push(output: string): string;
  /** Text that ends the stream (a final newline when anything was printed). */
  finish(): string;
}

/** Creates a {@link LogFollower} starting at line `offset`. */
export function createLogFollower(offset: number): LogFollower {
  let cursor = offset;
  let partial = '';
  let hasPrinted = false;
  return {
    get offset() {
      return cursor;
    },
    push(output) {
      if (output === '') return '';
      const lines = output.split('\n');
      const first = lines[0] ?? '';
      let text: string;
      if (!hasPrinted) text = first;
      else if (first.startsWith(partial)) text = first.slice(partial.length);
      else text = `\n${first}`; // retained output was trimmed under us: start a fresh line
      for (const line of lines.slice(1)) text += `\n${line}`;
      cursor += lines.length - 1;
      partial = lines[lines.length - 1] ?? '';
      hasPrinted = true;
      return text;
    },
    finish() {
      return hasPrinted ? '\n' : '';
    },
  };
}

/** Registers `pincer ps`, `pincer logs` and `pincer kill` (never stdin). */
export function registerProcessCommands(program: Command, ctx: CommandContext): void {
  program
    .command('ps')
    .description('List background shells the gateway runs (running first, then finished)')
    .option('--session <key>', 'only processes of this session (bare keys are scoped to --agent / the default agent)')
    .option('--agent <id>', 'scope a bare --session key to this agent')
    .option('-q, --quiet', 'print only process ids, one per line')
    .option('--wide', 'never cut cells to fit the terminal')
    .option('--json', "print { ok, count, processes } as JSON (the API's fields)")
    .addHelpText(
      'after',
      `
On a terminal the table fits its width (the COMMAND column is cut first, with …); piped, or
with --wide, nothing is cut. Control characters are shown escaped (\\x1b), --json keeps them.

Examples:
  $ pincer ps
  $ pincer ps --session agent:ops:incident-42
  $ pincer ps -q | xargs -n1 pincer kill
  $ pincer ps --json`,
    )
    .action(async (options: { session?: string; agent?: string; json?: boolean; quiet?: boolean; wide?: boolean }) => {
      const sessionKey = await resolveSessionScope(ctx, options);
      const raw = processesFrom(await ctx.client(ctx.stateDir()).request('GET', '/v1/processes', { query: { sessionKey } }));
      const processes =
        sessionKey === undefined
          ? raw
          : raw.filter((p) => toProcessRow(p).sessionKey === sessionKey || toProcessRow(p).scopeKey === sessionKey);
      if (options.json === true) {
        writeJson(ctx.io.stdout, { ok: true, count: processes.length, processes });
        return;
      }
      if (options.quiet === true) {
        for (const process of processes) writeLine(ctx.io.stdout, forTerminal(ctx.io.stdout, toProcessRow(process).id));
        return;
      }
      if (processes.length === 0) {
        writeLine(ctx.io.stdout, sessionKey === undefined ? 'No processes.' : `No processes for ${sessionKey}.`);
        return;
      }
      const now = ctx.clock.now();
      writeLine(
        ctx.io.stdout,
        formatTable(
          processes.map(toProcessRow),
          [
            { header: 'ID', value: (row) => row.id },
            { header: 'STATUS', value: (row) => row.status },
            { header: 'PID', value: (row) => row.pid },
            { header: 'EXIT', value: (row) => (typeof row.exitCode === 'number' ? row.exitCode : undefined) },
            // SBX: sandboxed (yes/no); a short header so 80 columns still show the start of the command.
            { header: 'SBX', value: (row) => row.sandboxed },
            { header: 'SESSION', value: (row) => row.sessionKey ?? row.scopeKey, maxWidth: 48, shrink: 1 },
            { header: 'STARTED', value: (row) => formatAge(row.startedAt, now) },
            // The start of the command stays readable: the session column gives up width before it drops below 16.
            { header: 'COMMAND', value: (row) => row.command, maxWidth: 60, shrink: 2, minWidth: 16 },
          ],
          tableLayout(ctx.io.stdout, ctx.io.env, options.wide === true),
        ),
      );
    });

  program
    .command('logs')
    .description("Print a background process's output (by line; the last 200 lines by default)")
    .argument('<id>', 'process id (from pincer ps)')
    .addOption(new Option('--offset <n>', 'first line to print (0 = the first retained line)').argParser(parseNonNegativeInt))
    .addOption(new Option('--limit <n>', 'at most this many lines (without --offset: the last N lines)').argParser(parsePositiveInt))
    .option(
      '-f, --follow',
      'keep printing new output until the process exits, then its final status (Ctrl-C: exit 130); starts at --offset or line 0',
    )
    .option('--session <key>', 'only if the process belongs to this session (else: not found)')
    .option('--agent <id>', 'scope a bare --session key to this agent')
    .option('--json', 'print { ok, id, status, output } as JSON (one JSON line per new chunk with --follow)')
    .addHelpText(
      'after',
      `
On a terminal, control characters in the output are shown escaped (\\x1b); piped or with
--json the bytes are kept.

Examples:
  $ pincer logs ${EXAMPLE_PROCESS_ID}
  $ pincer logs ${EXAMPLE_PROCESS_ID} --limit 50
  $ pincer logs ${EXAMPLE_PROCESS_ID} --offset 0 --limit 50
  $ pincer logs ${EXAMPLE_PROCESS_ID} --follow`,
    )
    .action(
      async (
        id: string,
        options: { offset?: number; limit?: number; follow?: boolean; session?: string; agent?: string; json?: boolean },
      ) => {
        const processId = id.trim();
        if (processId === '') throw new CliError('VALIDATION', 'process id must not be blank');
        const sessionKey = await resolveSessionScope(ctx, options);
        const client = ctx.client(ctx.stateDir());
        const path = `/v1/processes/${encodeURIComponent(processId)}/log`;
        const read = async (offset: number | undefined, limit: number | undefined): Promise<LogChunk> =>
          toLogChunk(await client.request('GET', path, { query: { offset, limit, sessionKey } }));

        if (options.follow !== true) {
          // `--limit N` alone is the last N lines: read every retained line and keep the tail, so a
          // process served from the journal pages like a live one.
          const isTail = options.limit !== undefined && options.offset === undefined;
          const chunk = isTail ? await read(0, undefined) : await read(options.offset, options.limit);
          const output = isTail ? lastLines(chunk.output, options.limit ?? 0) : chunk.output;
          if (options.json === true) {
            writeJson(ctx.io.stdout, { ok: true, id: chunk.id, status: chunk.status ?? null, output });
          } else if (output !== '') {
            writeLine(ctx.io.stdout, forTerminal(ctx.io.stdout, output));
          }
          return;
        }

        const follower = createLogFollower(options.offset ?? 0);
        const interrupted = (): CliError =>
          new CliError(
            'INTERRUPTED',
            `Interrupted. Process ${processId} keeps running; follow it again with: pincer logs ${processId} --follow`,
          );
        // Ends when a poll reports the process is no longer running (that answer holds all of
        // its output), or on Ctrl-C (exit 130).
        for (;;) {
          let chunk: LogChunk;
          try {
            chunk = await read(follower.offset, undefined);
          } catch (error) {
            if (ctx.io.signal?.aborted) throw interrupted();
            throw error;
          }
          const text = follower.push(chunk.output);
          const isDone = chunk.status !== 'running';
          const exitCode = isDone ? await finalExitCode(processId) : undefined;
          if (options.json === true) {
            if (text !== '' || isDone) {
              const final = isDone ? { exitCode: exitCode ?? null } : {};
              ctx.io.stdout.write(`${JSON.stringify({ ok: true, id: chunk.id, status: chunk.status ?? null, ...final, output: text })}\n`);
            }
          } else if (text !== '') {
            ctx.io.stdout.write(forTerminal(ctx.io.stdout, text));
          }
          if (isDone) {
            if (options.json !== true) {
              ctx.io.stdout.write(follower.finish());
              writeLine(
                ctx.io.stderr,
                `Process ${processId} ${chunk.status ?? 'ended'}${typeof exitCode === 'number' ? ` (exit code ${exitCode})` : ''}.`,
              );
            }
            return;
          }
          await ctx.sleep(FOLLOW_INTERVAL_MS);
          if (ctx.io.signal?.aborted) {
            if (options.json !== true) ctx.io.stdout.write(follower.finish());
            throw interrupted();
          }
        }

        async function finalExitCode(target: string): Promise<number | undefined> {
          try {
            const list = processesFrom(await client.request('GET', '/v1/processes', { query: { sessionKey } }));
            const row = list.map(toProcessRow).find((candidate) => candidate.id === target);
            return typeof row?.exitCode === 'number' ? row.exitCode : undefined;
          } catch {
            return undefined;
          }
        }
      },
    );

  program
    .command('kill')
    .description('Kill a background process and its process tree')
    .argument('<id>', 'process id (from pincer ps)')
    .option('--session <key>', 'only if the process belongs to this session (else: not found)')
    .option('--agent <id>', 'scope a bare --session key to this agent')
    .option('--json', 'print { ok, id, status, signal } as JSON')
    .addHelpText(
      'after',
      `
Waits as long as the kill ceremony can take: exec.killGraceMs from the config (default 3 s)
+ 2 × 5 s confirm + 10 s margin.

Examples:
  $ pincer kill ${EXAMPLE_PROCESS_ID}
  $ pincer kill ${EXAMPLE_PROCESS_ID} --session agent:ops:ci --json`,
    )
    .action(async (id: string, options: { session?: string; agent?: string; json?: boolean }) => {
      if (id.trim() === '') throw new CliError('VALIDATION', 'process id must not be blank');
      const sessionKey = await resolveSessionScope(ctx, options);
      const stateDir = ctx.stateDir();
      const answer = await ctx.client(stateDir).request('POST', `/v1/processes/${encodeURIComponent(id.trim())}/kill`, {
        body: {},
        query: { sessionKey },
        timeoutMs: killWaitMs(await configuredKillGraceMs(ctx.configPath(stateDir))),
      });
      const { status, signal } = parseBody(ProcessKillSchema, answer, 'POST /v1/processes/:id/kill');
      if (options.json === true) {
        writeJson(ctx.io.stdout, { ok: true, id: id.trim(), status, signal: signal ?? null });
        return;
      }
      writeLine(
        ctx.io.stdout,
        forTerminal(
          ctx.io.stdout,
          status === 'already-exited' ? `Process ${id.trim()} had already exited.` : `Killed ${id.trim()}${signal ? ` (${signal})` : ''}.`,
        ),
      );
    });
}

/** The last `count` lines of `output` (a trailing newline does not count as a line). */
export function lastLines(output: string, count: number): string {
  const lines = output.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.slice(-count).join('\n');
}

/** `exec.killGraceMs` of the config file, when it sets one (an unreadable config leaves the default). */
async function configuredKillGraceMs(configPath: string | undefined): Promise<number | undefined> {
  if (configPath === undefined) return undefined;
  try {
    const grace = field(field(await readConfigFile(configPath), 'exec'), 'killGraceMs');
    return typeof grace === 'number' && Number.isFinite(grace) && grace >= 0 ? grace : undefined;
  } catch {
    return undefined;
  }
}
