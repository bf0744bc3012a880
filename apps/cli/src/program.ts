import { Command, CommanderError, Option } from 'commander';
import { registerAgentCommand } from './commands/agent.js';
import { registerAgentsCommand } from './commands/agents.js';
import { registerCompletionCommand } from './commands/completion.js';
import { registerRunsCommand } from './commands/runs.js';
import { registerConfigCommand } from './commands/config.js';
import { registerCronCommand } from './commands/cron.js';
import { registerGatewayCommand } from './commands/gateway.js';
import { registerProcessCommands } from './commands/processes.js';
import { registerSessionsCommand } from './commands/sessions.js';
import { type CliDeps, type CommandContext, createCommandContext, type GlobalOptions } from './context.js';
import { CliError } from './errors.js';
import { type CliIo, writeJson } from './io.js';
import { jsonError, reportError } from './output.js';

/** Version printed by `pincer --version`. */
export const CLI_VERSION = '0.0.0';

/**
 * Builds the `pincer` commander program bound to a command context. Output goes through
 * `ctx.io`; errors are thrown (commander's `exitOverride`), never `process.exit`.
 */
export function createProgram(ctx: CommandContext): Command {
  const program = new Command('pincer');
  program
    .description('Pincer: agent turns with explicit session keys, sessions, background shells, cron and the gateway.')
    .version(CLI_VERSION, '-V, --version')
    .enablePositionalOptions()
    .option('--state-dir <dir>', 'state directory (else PINCER_STATE_DIR, else ~/.pincer)')
    .option('--url <url>', "gateway URL (else PINCER_GATEWAY_URL, else the state dir's gateway.json)")
    .option('--token <token>', "bearer token (else PINCER_GATEWAY_TOKEN, else the state dir's token file)")
    .exitOverride()
    .configureOutput({
      writeOut: (text) => ctx.io.stdout.write(text),
      writeErr: (text) => ctx.io.stderr.write(text),
      // Errors are reported once, by runCli, as one line.
      outputError: () => undefined,
    })
    .addHelpText(
      'after',
      `
Global options (before or after the command): --state-dir, --url, --token.
Precedence: flag > environment variable > state dir (gateway.json, token file).

Environment:
  PINCER_STATE_DIR      state directory (default ~/.pincer)
  PINCER_GATEWAY_URL    gateway URL (default: gateway.json in the state dir)
  PINCER_GATEWAY_TOKEN  bearer token (default: the state dir's token file)
  PINCER_CONFIG         config file (default <state-dir>/pincer.config.json)
  PINCER_DEBUG=1        print stack traces on errors

Exit codes: 0 success, 1 runtime failure, 2 usage or validation error, 130 interrupted (Ctrl-C), 143 SIGTERM.
With --json, results and errors are one JSON document on stdout: { "ok": true, … } or
{ "ok": false, "error": { "type", "code", "message" } } (see the README for the codes).

Examples:
  $ pincer gateway
  $ pincer agent --agent ops --session-key incident-42 -m "What changed?"
  $ pincer runs wait 3f6c1e2a-8b4d-4c1f-9a7e-52d0b8e4c913
  $ pincer sessions list
  $ pincer ps && pincer logs sharp-ridge --follow
  $ pincer --state-dir /srv/pincer gateway stop`,
    );
  registerGatewayCommand(program, ctx);
  registerAgentCommand(program, ctx);
  registerRunsCommand(program, ctx);
  registerAgentsCommand(program, ctx);
  registerSessionsCommand(program, ctx);
  registerProcessCommands(program, ctx);
  registerCronCommand(program, ctx);
  registerConfigCommand(program, ctx);
  registerCompletionCommand(program, ctx);
  addGlobalOptions(program);
  program.hook('preAction', (_root, action) => {
    ctx.globals = globalsOf(action);
  });
  return program;
}

const GLOBAL_FLAGS = [
  ['--state-dir <dir>', 'state directory (global option)'],
  ['--url <url>', 'gateway URL (global option)'],
  ['--token <token>', 'bearer token (global option)'],
] as const;

/** Lets the global options follow the command too (`pincer ps --url …`): every command accepts them, hidden from its help unless it has its own. */
function addGlobalOptions(program: Command): void {
  const visit = (command: Command): void => {
    for (const child of command.commands) {
      for (const [flags, description] of GLOBAL_FLAGS) {
        const long = flags.split(' ')[0] ?? flags;
        if (child.options.some((option) => option.long === long)) continue;
        child.addOption(new Option(flags, description).hideHelp());
      }
      visit(child);
    }
  };
  visit(program);
}

/** The global options of the command being run: the nearest command that was given each one wins. */
function globalsOf(action: Command): GlobalOptions {
  const found: GlobalOptions = {};
  for (let command: Command | null = action; command !== null; command = command.parent) {
    const values = command.opts() as Record<string, unknown>;
    for (const name of ['stateDir', 'url', 'token'] as const) {
      const value = values[name];
      if (found[name] === undefined && typeof value === 'string') found[name] = value;
    }
  }
  return found;
}

/**
 * Runs the CLI for `argv` (the arguments after `pincer`, e.g. `['agent', '-m', 'hi']`) and
 * resolves with the exit code: 0 success, 1 runtime failure, 2 usage/validation, 130 when
 * interrupted. Never calls `process.exit` and never throws.
 */
export async function runCli(argv: readonly string[], io: CliIo, deps: CliDeps = {}): Promise<number> {
  const ctx = createCommandContext(io, deps);
  const program = createProgram(ctx);
  const json = argv.includes('--json');
  const debug = io.env.PINCER_DEBUG === '1';
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return 0;
      // `pincer help <cmd>` exits 0; help shown because a command group was called bare is a usage error.
      if (error.code === 'commander.help') return error.exitCode === 0 ? 0 : 2;
      if (error.code === 'commander.executeSubCommandAsync') return 2;
      const message = error.message.replace(/^error:\s*/i, '').replace(/\s*\n\s*/g, ' ');
      return reportError(new CliError('USAGE', `${capitalize(message)} (see --help)`, { cause: error }), io, { json, debug });
    }
    if (CliError.isInstance(error) && error.code === 'INTERRUPTED') {
      // The message says what goes on and how to re-attach; in --json mode the document carries it.
      // On a terminal the message says the run goes on and how to re-attach; elsewhere stderr
      // says "Interrupted." and the --json document carries runId and the command (`hint`).
      io.stderr.write(io.stderr.isTTY === true ? `${error.message}\n` : 'Interrupted.\n');
      if (json) writeJson(io.stdout, jsonError(error));
      return 130;
    }
    if (io.signal?.aborted && !(CliError.isInstance(error) && error.code !== 'INTERNAL')) {
      io.stderr.write('Interrupted.\n');
      if (json) writeJson(io.stdout, jsonError(new CliError('INTERRUPTED', 'Interrupted.')));
      return 130;
    }
    return reportError(error, io, { json, debug });
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
