import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { CliError } from '../errors.js';
import { writeJson, writeLine } from '../io.js';
import { configError, rosterFromConfig } from '../roster.js';

/** Registers `pincer config validate`. */
export function registerConfigCommand(program: Command, ctx: CommandContext): void {
  const config = program
    .command('config')
    .description('Work with the gateway config file')
    .addHelpText('after', '\nExamples:\n  $ pincer config validate\n  $ pincer config validate ./pincer.config.json --json');

  config
    .command('validate')
    .description('Validate a config file with the gateway\'s own schema (errors name the JSON path)')
    .argument('[path]', 'config file (default PINCER_CONFIG or <state-dir>/pincer.config.json)')
    .option('--state-dir <dir>', 'state directory used to find the default config')
    .option('--json', 'print { ok, path, agents, defaultAgentId } as JSON')
    .addHelpText(
      'after',
      `
Exit code 0 when valid, 2 when invalid or missing.

Examples:
  $ pincer config validate
  $ pincer config validate ./pincer.config.json --json`,
    )
    .action(async (path: string | undefined, options: { stateDir?: string; json?: boolean }) => {
      const explicit = path === undefined ? undefined : isAbsolute(path) ? path : resolve(ctx.io.cwd, path);
      const configPath = explicit ?? ctx.configPath(ctx.stateDir(options.stateDir));
      if (configPath === undefined) {
        throw new CliError('VALIDATION', 'No config file to validate: pass a path, set PINCER_CONFIG, or create <state-dir>/pincer.config.json.');
      }
      if (!existsSync(configPath)) throw new CliError('VALIDATION', `Config file not found: ${configPath}`);
      const gateway = await ctx.loadGateway();
      let loaded: unknown;
      try {
        loaded = await gateway.loadConfig(configPath);
      } catch (cause) {
        throw configError(configPath, cause);
      }
      const roster = rosterFromConfig(loaded);
      if (options.json === true) {
        writeJson(ctx.io.stdout, { ok: true, path: configPath, agents: roster.knownAgentIds, defaultAgentId: roster.defaultAgentId });
        return;
      }
      writeLine(ctx.io.stdout, `Config OK: ${configPath} (agents: ${roster.knownAgentIds.join(', ')}; default ${roster.defaultAgentId}).`);
    });
}
