import { Command, CommanderError } from 'commander';
import { registerAgentCommand } from './commands/agent.js';
import { registerAuditCommand } from './commands/audit.js';
import { registerConfigCommand } from './commands/config.js';
import { registerCronCommand } from './commands/cron.js';
import { registerGatewayCommand } from './commands/gateway.js';
import { registerProcessCommands } from './commands/processes.js';
import { registerSessionsCommand } from './commands/sessions.js';
import { registerTokenCommand } from './commands/token.js';
import { type CliDeps, type CommandContext, createCommandContext } from './context.js';
import { CliError } from './errors.js';
import { type CliIo, writeJson } from './io.js';
import { reportError } from './output.js';

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
Environment:
  PINCER_STATE_DIR      state directory (default ~/.pincer)
  PINCER_GATEWAY_URL    gateway URL (default: gateway.json in the state dir)
  PINCER_GATEWAY_TOKEN  bearer token (default: the state dir's token file)
  PINCER_CONFIG         config file (default <state-dir>/pincer.config.json)
  PINCER_DEBUG=1        print stack traces on errors

Exit codes: 0 success, 1 runtime failure, 2 usage or validation error.

Examples:
  $ pincer gateway
  $ pincer agent --agent ops --session-key incident-42 -m "What changed?"
  $ pincer sessions list
  $ pincer ps && pincer logs <id> --follow`,
    );
  registerGatewayCommand(program, ctx);
  registerAgentCommand(program, ctx);
  registerSessionsCommand(program, ctx);
  registerProcessCommands(program, ctx);
  registerCronCommand(program, ctx);
  registerConfigCommand(program, ctx);
  registerTokenCommand(program, ctx);
  registerAuditCommand(program, ctx);
  return program;
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
    if (io.signal?.aborted && !(CliError.isInstance(error) && error.code !== 'INTERNAL')) {
      io.stderr.write('Interrupted.\n');
      if (json) writeJson(io.stdout, { ok: false, error: { type: 'interrupted', message: 'Interrupted.' } });
      return 130;
    }
    return reportError(error, io, { json, debug });
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
