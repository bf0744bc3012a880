import { type Command, Option } from 'commander';
import { AgentCliOptionsSchema, DEFAULT_AGENT_TIMEOUT_SECONDS, prepareAgentTurn, type PreparedAgentTurn } from '../agent-turn.js';
import { type CommandContext, noGatewayError, parseSeconds } from '../context.js';
import { CliError } from '../errors.js';
import {
  AgentAcceptedSchema,
  createGatewayClient,
  errorFromResponse,
  type GatewayClient,
  parseBody,
  type RunView,
  RunViewSchema,
} from '../gateway-client.js';
import type { EmbeddedRuntime } from '../gateway-module.js';
import { writeJson, writeLine } from '../io.js';
import { loadRoster } from '../roster.js';
import { createSpinner } from '../spinner.js';
import { forTerminal } from '../output.js';

/** How a turn was carried out. */
export type AgentTurnMode = 'gateway' | 'local' | 'fallback';

/** The outcome of `pincer agent` (what `--json` prints, plus the mode). */
export interface AgentTurnOutcome {
  runId: string;
  sessionKey: string;
  reply: string;
  mode: AgentTurnMode;
}

/** Largest run timeout the gateway accepts, in ms (24 h). */
const MAX_GATEWAY_TIMEOUT_MS = 86_400_000;

/** How long the pre-dispatch `GET /healthz` probe may take before the gateway counts as not answering, in ms. */
const HEALTH_PROBE_TIMEOUT_MS = 5_000;

/** Longest single long-poll on `GET /v1/runs/:id`, in ms. */
const MAX_POLL_WAIT_MS = 25_000;

/** Registers `pincer agent`. */
export function registerAgentCommand(program: Command, ctx: CommandContext): void {
  program
    .command('agent')
    .description('Run one agent turn via the gateway (or embedded with --local) and print the reply')
    .option('-m, --message <text>', 'message to send')
    .option('--message-file <path>', 'read the message from a UTF-8 file (at most 4 MiB; BOM stripped)')
    .option('--agent <id>', 'agent id (must be configured; scopes bare session keys)')
    .option('--session-id <id>', 'use an explicit session id')
    .option('--session-key <key>', 'explicit session key (agent:<id>:<key>, or scoped to --agent)')
    .option('-t, --to <peer>', "recipient used to derive the session key (the agent's main session)")
    .addOption(
      new Option('--timeout <seconds>', `seconds to wait for the reply (default ${DEFAULT_AGENT_TIMEOUT_SECONDS})`).argParser(parseSeconds),
    )
    .option('--local', 'run the turn embedded, on the same state dir, without a gateway')
    .option('--json', 'print { ok, runId, sessionKey, reply } as JSON')
    .addHelpText(
      'after',
      `
Session keys (checked before anything is sent):
  agent:<id>:<key>   used exactly as typed; --agent, if given, must name the same agent
  <key>              scoped to --agent, else to the default agent (agent:<id>:<key>)
  global | unknown   kept literal when no --agent is given
  A malformed agent key (agent:main) or an --agent mismatch fails with exit code 2.

If no gateway answers, the turn runs embedded on the same state dir (a notice goes to stderr).

Ctrl-C while waiting exits 130; the run goes on on the gateway, and the message names the
"pincer runs wait <run-id>" command that prints its reply.

Examples:
  $ pincer agent -m "Summarize status" --session-key agent:ops:incident-42
  $ pincer agent --agent ops --session-key incident-42 -m "What changed?"
  $ pincer agent --message-file prompt.txt --agent main --json
  $ pincer agent -m "hello" --local --timeout 30`,
    )
    .action(async (raw: unknown) => {
      const options = AgentCliOptionsSchema.parse(raw);
      const stateDir = ctx.stateDir();
      const configPath = ctx.configPath(stateDir);
      const prepared = await prepareAgentTurn(options, {
        cwd: ctx.io.cwd,
        loadRoster: () => loadRoster(configPath),
      });
      const outcome = await runAgentTurn(ctx, prepared, { stateDir, configPath, isLocal: options.local === true });
      if (options.json === true) {
        writeJson(ctx.io.stdout, { ok: true, runId: outcome.runId, sessionKey: outcome.sessionKey, reply: outcome.reply });
      } else if (outcome.reply !== '') {
        writeLine(ctx.io.stdout, forTerminal(ctx.io.stdout, outcome.reply.replace(/\n+$/, '')));
      } else {
        writeLine(ctx.io.stderr, `(no reply; run ${outcome.runId} in ${outcome.sessionKey})`);
      }
    });
}

/**
 * Dispatches a prepared turn: embedded when `isLocal`; otherwise over HTTP when a gateway answers
 * `GET /healthz`, else embedded with a notice on stderr. Once a gateway has accepted the request,
 * failures are reported, never retried embedded (that could run the turn twice).
 */
export async function runAgentTurn(
  ctx: CommandContext,
  prepared: PreparedAgentTurn,
  where: { stateDir: string; configPath: string | undefined; isLocal: boolean },
): Promise<AgentTurnOutcome> {
  if (where.isLocal) return runEmbedded(ctx, prepared, where, 'local');
  const target = ctx.target(where.stateDir);
  if (target.url === undefined) {
    writeLine(ctx.io.stderr, noGatewayError(target, 'Running the turn embedded (local fallback).').message);
    return runEmbedded(ctx, prepared, where, 'fallback');
  }
  const client = createGatewayClient({
    url: target.url,
    token: target.token,
    ...(ctx.io.fetch ? { fetch: ctx.io.fetch } : {}),
    ...(ctx.io.signal ? { signal: ctx.io.signal } : {}),
  });
  try {
    await client.health(HEALTH_PROBE_TIMEOUT_MS);
  } catch (error) {
    if (!CliError.isInstance(error) || error.code !== 'GATEWAY_UNAVAILABLE' || ctx.io.signal?.aborted) throw error;
    writeLine(ctx.io.stderr, `${error.message} Running the turn embedded on ${where.stateDir} (local fallback).`);
    return runEmbedded(ctx, prepared, where, 'fallback');
  }
  return runViaGateway(ctx, client, prepared);
}

async function runViaGateway(ctx: CommandContext, client: GatewayClient, prepared: PreparedAgentTurn): Promise<AgentTurnOutcome> {
  const accepted = parseBody(
    AgentAcceptedSchema,
    await client.request('POST', '/v1/agent', {
      // The gateway stops the run at the same deadline the CLI waits for (it accepts 100 ms – 24 h).
      body: { ...prepared.request, timeoutMs: Math.min(MAX_GATEWAY_TIMEOUT_MS, Math.max(100, prepared.timeoutMs)) },
    }),
    'POST /v1/agent',
  );
  const run = await waitForRun(ctx, client, accepted, prepared.timeoutMs);
  return { runId: run.runId, sessionKey: run.sessionKey, reply: run.reply ?? '', mode: 'gateway' };
}

/**
 * Waits (long-polling `GET /v1/runs/:id?waitMs=`) until a run is `ok`, and returns it. A failed
 * run is `RUN_FAILED`, a gateway timeout or the local deadline `TIMEOUT`; Ctrl-C is
 * `INTERRUPTED` (exit 130) with the `pincer runs wait <id>` command that re-attaches, since the
 * run goes on on the gateway. A spinner shows on a TTY.
 */
export async function waitForRun(
  ctx: CommandContext,
  client: GatewayClient,
  run: { runId: string; sessionKey: string },
  timeoutMs: number,
  query: { sessionKey?: string | undefined } = {},
): Promise<RunView> {
  const spinner = createSpinner({ stream: ctx.io.stderr, text: `waiting for ${run.sessionKey} (run ${run.runId})` });
  spinner.start();
  try {
    const deadline = ctx.clock.now() + timeoutMs;
    // Bounded by the deadline: each pass either returns, throws, or moves time forward.
    for (;;) {
      if (ctx.io.signal?.aborted) throw interruptedRun(ctx, run);
      const remaining = deadline - ctx.clock.now();
      if (remaining <= 0) throw timeoutError(run.runId, timeoutMs);
      const waitMs = Math.min(remaining, MAX_POLL_WAIT_MS);
      let body: unknown;
      try {
        body = await client.request('GET', `/v1/runs/${encodeURIComponent(run.runId)}`, {
          query: { waitMs, sessionKey: query.sessionKey },
          timeoutMs: waitMs + 15_000,
        });
      } catch (error) {
        if (ctx.io.signal?.aborted) throw interruptedRun(ctx, run);
        throw error;
      }
      const state = parseBody(RunViewSchema, body, 'GET /v1/runs/:id');
      if (state.status === 'ok') return state;
      if (state.status === 'error') throw new CliError('RUN_FAILED', `Agent run ${state.runId} failed: ${describeRunError(state.error)}`);
      if (state.status === 'timeout') throw new CliError('TIMEOUT', `Agent run ${state.runId} timed out on the gateway.`);
      await ctx.sleep(Math.min(100, Math.max(0, deadline - ctx.clock.now())));
    }
  } finally {
    spinner.stop();
  }
}

/** The command that waits for `runId` again, with the global flags this invocation was given (never the token). */
export function runsWaitCommand(ctx: CommandContext, runId: string): string {
  const parts = ['pincer', 'runs', 'wait', runId];
  if (ctx.globals.stateDir !== undefined) parts.push('--state-dir', ctx.stateDir());
  if (ctx.globals.url !== undefined) parts.push('--url', ctx.globals.url);
  return parts.map(shellQuote).join(' ');
}

function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function interruptedRun(ctx: CommandContext, run: { runId: string; sessionKey: string }): CliError {
  const command = runsWaitCommand(ctx, run.runId);
  return new CliError(
    'INTERRUPTED',
    `Interrupted. Run ${run.runId} goes on on the gateway (session ${run.sessionKey}).\nWait for its reply with: ${command}`,
    { details: { runId: run.runId, sessionKey: run.sessionKey, hint: command } },
  );
}

async function runEmbedded(
  ctx: CommandContext,
  prepared: PreparedAgentTurn,
  where: { stateDir: string; configPath: string | undefined },
  mode: 'local' | 'fallback',
): Promise<AgentTurnOutcome> {
  const gateway = await ctx.loadGateway();
  let runtime: EmbeddedRuntime;
  try {
    runtime = await gateway.createGatewayRuntime({
      stateDir: where.stateDir,
      ...(where.configPath !== undefined ? { configPath: where.configPath } : {}),
      logLevel: ctx.io.env.PINCER_LOG_LEVEL ?? 'silent',
      isServer: false,
    });
  } catch (error) {
    // An invalid config is the runtime's `invalid_config` (400): a validation error, exit 2.
    throw embeddedError(error, 'Embedded runtime failed to start');
  }
  const spinner = createSpinner({
    stream: ctx.io.stderr,
    text: `running embedded turn${prepared.request.sessionKey ? ` in ${prepared.request.sessionKey}` : ''}`,
  });
  spinner.start();
  try {
    const { message, agentId, sessionKey, sessionId, to } = prepared.request;
    const result = await runtime.runAgentTurn({
      message,
      ...(agentId !== undefined ? { agentId } : {}),
      ...(sessionKey !== undefined ? { sessionKey } : {}),
      ...(sessionId !== undefined ? { sessionId } : {}),
      ...(to !== undefined ? { to } : {}),
      timeoutMs: prepared.timeoutMs,
    });
    if (result.status === 'error') throw new CliError('RUN_FAILED', `Agent run ${result.runId} failed: ${describeRunError(result.error)}`);
    if (result.status === 'timeout') throw timeoutError(result.runId, prepared.timeoutMs);
    return { runId: result.runId, sessionKey: result.sessionKey, reply: result.reply ?? '', mode };
  } catch (error) {
    throw embeddedError(error, 'Embedded agent run failed');
  } finally {
    spinner.stop();
    await runtime.close();
  }
}

/**
 * Maps what the embedded runtime throws to a `CliError`. The runtime throws the gateway's error
 * class (`GatewayError`: lower-case `code`, HTTP `status`); it is mapped exactly like the same
 * answer over HTTP, so `invalid_request` / `invalid_config` (400) exit 2 on both paths.
 */
export function embeddedError(error: unknown, what: string): CliError {
  if (CliError.isInstance(error)) return error;
  const status = (error as { status?: unknown } | undefined)?.status;
  const code = (error as { code?: unknown } | undefined)?.code;
  const httpStatus =
    typeof status === 'number'
      ? status
      : code === 'invalid_request' || code === 'invalid_config'
        ? 400
        : code === 'not_found'
          ? 404
          : undefined;
  if (httpStatus !== undefined && httpStatus >= 400 && httpStatus < 500) {
    const field = (error as { field?: unknown }).field;
    const message = error instanceof Error ? error.message : String(error);
    return errorFromResponse(
      httpStatus,
      { error: { code: typeof code === 'string' ? code : 'runtime', message, ...(typeof field === 'string' ? { field } : {}) } },
      'embedded run',
    );
  }
  return new CliError('RUN_FAILED', `${what}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}

function timeoutError(runId: string, timeoutMs: number): CliError {
  return new CliError(
    'TIMEOUT',
    `Timed out after ${timeoutMs / 1000}s waiting for agent run ${runId}. Raise --timeout or check "pincer sessions history".`,
  );
}

function describeRunError(error: unknown): string {
  if (typeof error === 'string' && error !== '') return error;
  if (typeof error === 'object' && error !== null) {
    const message = (error as { message?: unknown }).message;
    if (typeof message === 'string') return message;
  }
  return 'unknown error';
}
