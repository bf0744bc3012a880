import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { field, stringField } from '../context.js';
import { writeJson, writeLine } from '../io.js';
import { formatTable, tableLayout } from '../output.js';
import { readConfigFile } from './config.js';
import { rosterFromConfig } from '../roster.js';

/** Registers `pincer agents list`. */
export function registerAgentsCommand(program: Command, ctx: CommandContext): void {
  const agents = program
    .command('agents')
    .description('The agents the config defines')
    .addHelpText('after', '\nExamples:\n  $ pincer agents list\n  $ pincer agents list --json');

  agents
    .command('list')
    .description('List configured agents (id, default, model, name), in config order; reads the config, no gateway needed')
    .option('--config <path>', 'config file (default PINCER_CONFIG or <state-dir>/pincer.config.json)')
    .option('--json', 'print { ok, defaultAgentId, agents } as JSON (defaultAgentId is null when none is chosen)')
    .addHelpText('after', '\nExamples:\n  $ pincer agents list\n  $ pincer agents list --config ./pincer.config.json --json')
    .action(async (options: { config?: string; json?: boolean }) => {
      const configPath = ctx.configPath(ctx.stateDir(), options.config);
      const raw = configPath === undefined ? {} : await readConfigFile(configPath);
      const roster = rosterFromConfig(raw);
      const entries = field(raw, 'agents');
      const list = Array.isArray(entries) && entries.length > 0 ? entries : [{ id: 'main' }];
      const defaultAgentId = roster.selectionRequired === true ? null : roster.defaultAgentId;
      const rows = list.map((entry) => {
        const id = (stringField(entry, 'id') ?? '?').toLowerCase();
        const name = stringField(entry, 'name');
        return {
          id,
          ...(name !== undefined ? { name } : {}),
          model: stringField(entry, 'model') ?? 'scripted',
          default: id === defaultAgentId,
        };
      });
      if (options.json === true) {
        writeJson(ctx.io.stdout, { ok: true, defaultAgentId, count: rows.length, agents: rows });
        return;
      }
      writeLine(
        ctx.io.stdout,
        formatTable(
          rows,
          [
            { header: 'ID', value: (row) => row.id },
            { header: 'DEFAULT', value: (row) => (row.default ? 'yes' : '') },
            { header: 'MODEL', value: (row) => row.model, shrink: 1 },
            { header: 'NAME', value: (row) => row.name, shrink: 2 },
          ],
          tableLayout(ctx.io.stdout, ctx.io.env),
        ),
      );
      if (defaultAgentId === null) {
        writeLine(ctx.io.stderr, 'No default agent: turns must name one (--agent <id> or an agent:<id>:<key> session key).');
      }
    });
}
