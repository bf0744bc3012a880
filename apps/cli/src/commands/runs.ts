import { type Command, Option } from 'commander';
import { DEFAULT_AGENT_TIMEOUT_SECONDS } from '../agent-turn.js';
import { type CommandContext, parseSeconds } from '../context.js';
import { CliError } from '../errors.js';
import { parseBody, RunViewSchema } from '../gateway-client.js';
import { writeJson, writeLine } from '../io.js';
import { forTerminal } from '../output.js';
import { waitForRun } from './agent.js';
import { resolveSessionScope, writeRecord } from './sessions.js';

interface RunsOptions {
  session?: string;
  agent?: string;
  json?: boolean;
  timeout?: number;
}

/** An example run id as the gateway mints them (a UUID). */
export const EXAMPLE_RUN_ID = '3f6c1e2a-8b4d-4c1f-9a7e-52d0b8e4c913';

/** Registers `pincer runs show|wait`. */
export function registerRunsCommand(program: Command, ctx: CommandContext): void {
  const runs = program
    .command('runs')
    .description('Inspect agent runs on the gateway, or wait for one (re-attach after Ctrl-C)')
    .addHelpText(
      'after',
      `
Examples:
  $ pincer runs show ${EXAMPLE_RUN_ID}
  $ pincer runs wait ${EXAMPLE_RUN_ID}`,
    );

  runs
    .command('show')
    .description("Show a run's state (status, session, reply once it has one)")
    .argument('<run-id>', 'run id (printed by pincer agent, e.g. when interrupted)')
    .option('--session <key>', 'only if the run belongs to this session (else: not found)')
    .option('--agent <id>', 'scope a bare --session key to this agent')
    .option('--json', "print { ok, run } as JSON (the API's run fields)")
    .addHelpText('after', `\nExamples:\n  $ pincer runs show ${EXAMPLE_RUN_ID}\n  $ pincer runs show ${EXAMPLE_RUN_ID} --json`)
    .action(async (id: string, options: RunsOptions) => {
      const runId = requireRunId(id);
      const sessionKey = await resolveSessionScope(ctx, options);
      const body = await ctx.client(ctx.stateDir()).request('GET', `/v1/runs/${encodeURIComponent(runId)}`, { query: { sessionKey } });
      const run = parseBody(RunViewSchema, body, 'GET /v1/runs/:id');
      if (options.json === true) {
        writeJson(ctx.io.stdout, { ok: true, run });
        return;
      }
      writeRecord(ctx, run);
    });

  runs
    .command('wait')
    .description('Wait for a run to finish and print its reply (exit 0 ok, 1 failed or timed out, 130 Ctrl-C)')
    .argument('<run-id>', 'run id (printed by pincer agent, e.g. when interrupted)')
    .option('--session <key>', 'only if the run belongs to this session (else: not found)')
    .option('--agent <id>', 'scope a bare --session key to this agent')
    .addOption(
      new Option('--timeout <seconds>', `seconds to wait for the reply (default ${DEFAULT_AGENT_TIMEOUT_SECONDS})`).argParser(parseSeconds),
    )
    .option('--json', 'print { ok, runId, sessionKey, reply } as JSON (as pincer agent does)')
    .addHelpText('after', `\nExamples:\n  $ pincer runs wait ${EXAMPLE_RUN_ID}\n  $ pincer runs wait ${EXAMPLE_RUN_ID} --timeout 60 --json`)
    .action(async (id: string, options: RunsOptions) => {
      const runId = requireRunId(id);
      const sessionKey = await resolveSessionScope(ctx, options);
      const client = ctx.client(ctx.stateDir());
      // The first answer names the run's session (and 404s for an unknown or foreign run).
      const first = parseBody(
        RunViewSchema,
        await client.request('GET', `/v1/runs/${encodeURIComponent(runId)}`, { query: { sessionKey } }),
        'GET /v1/runs/:id',
      );
      const timeoutMs = Math.round((options.timeout ?? DEFAULT_AGENT_TIMEOUT_SECONDS) * 1000);
      const run = await waitForRun(ctx, client, first, timeoutMs, { sessionKey });
      const reply = run.reply ?? '';
      if (options.json === true) {
        writeJson(ctx.io.stdout, { ok: true, runId: run.runId, sessionKey: run.sessionKey, reply });
      } else if (reply !== '') {
        writeLine(ctx.io.stdout, forTerminal(ctx.io.stdout, reply.replace(/\n+$/, '')));
      } else {
        writeLine(ctx.io.stderr, `(no reply; run ${run.runId} in ${run.sessionKey})`);
      }
    });
}

function requireRunId(id: string): string {
  const runId = id.trim();
  if (runId === '') throw new CliError('VALIDATION', 'run id must not be blank');
  return runId;
}
