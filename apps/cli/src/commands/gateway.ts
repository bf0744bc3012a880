import { type Command, Option } from 'commander';
import { type CommandContext, parsePortArg, parseSeconds } from '../context.js';
import { CliError } from '../errors.js';
import { createGatewayClient } from '../gateway-client.js';
import { createLogPrinter } from '../gateway-log.js';
import { writeJson, writeLine } from '../io.js';
import { createSpinner } from '../spinner.js';

/** Default `gateway stop --timeout`: the gateway's shutdown grace (≤ 10 min) plus the kill of its shells. */
const DEFAULT_STOP_TIMEOUT_SECONDS = 60;

/** How often `gateway stop` checks whether the pid is gone, in ms. */
const STOP_POLL_MS = 100;

interface GatewayRunOptions {
  port?: number;
  host?: string;
  stateDir?: string;
  config?: string;
  logLevel?: string;
  json?: boolean;
}

interface GatewayStatusOptions {
  stateDir?: string;
  json?: boolean;
}

/** Registers `pincer gateway` (foreground) and `pincer gateway status`. */
export function registerGatewayCommand(program: Command, ctx: CommandContext): void {
  const gateway = program
    .command('gateway')
    .description('Run the gateway in the foreground (Ctrl-C stops it cleanly)')
    .addOption(new Option('--port <port>', 'TCP port (0 picks a free one; default PINCER_PORT or 7787)').argParser(parsePortArg))
    .option('--host <host>', 'interface to listen on (default 127.0.0.1)')
    .option('--state-dir <dir>', 'state directory (default PINCER_STATE_DIR or ~/.pincer)')
    .option('--config <path>', 'config file (default PINCER_CONFIG or <state-dir>/pincer.config.json)')
    .addOption(new Option('--log-level <level>', 'log level').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']))
    .option('--json', 'print { ok, url, port, stateDir } as one JSON line once listening')
    .addHelpText(
      'after',
      `
Logs: readable lines on a terminal, JSON lines (pino) when stdout is not a TTY.

Examples:
  $ pincer gateway
  $ pincer gateway --port 0 --state-dir ./.pincer-state
  $ pincer gateway --config ./pincer.config.json --json
  $ pincer gateway status
  $ pincer gateway stop`,
    )
    .action(async (options: GatewayRunOptions) => {
      const stateDir = ctx.stateDir(options.stateDir);
      const configPath = ctx.configPath(stateDir, options.config);
      const module = await ctx.loadGateway();
      const envPort = ctx.io.env.PINCER_PORT;
      const port = options.port ?? (envPort !== undefined && envPort.trim() !== '' ? portFromEnv(envPort) : undefined);
      // Readable lines on a terminal, pino's JSON lines otherwise (supervisors, files, pipes).
      const logger =
        ctx.io.stdout.isTTY === true && options.json !== true
          ? await createLogPrinter(ctx.io.stdout, options.logLevel ?? ctx.io.env.PINCER_LOG_LEVEL ?? 'warn')
          : undefined;
      let started: Awaited<ReturnType<typeof module.startGateway>>;
      try {
        started = await module.startGateway({
          stateDir,
          ...(logger !== undefined ? { logger } : {}),
          ...(port !== undefined ? { port } : {}),
          ...(options.host !== undefined ? { host: options.host } : {}),
          ...(configPath !== undefined ? { configPath } : {}),
          ...(options.logLevel !== undefined ? { logLevel: options.logLevel } : {}),
        });
      } catch (cause) {
        if (CliError.isInstance(cause)) throw cause;
        const reason = cause instanceof Error ? cause.message : String(cause);
        const code = (cause as { code?: unknown } | undefined)?.code;
        const isConfig = typeof code === 'string' && /CONFIG/i.test(code);
        throw new CliError(isConfig ? 'VALIDATION' : 'INTERNAL', `Gateway failed to start: ${reason}`, { cause });
      }
      if (options.json === true) {
        // One line: a supervisor can read it as soon as the gateway listens.
        writeLine(ctx.io.stdout, JSON.stringify({ ok: true, url: started.url, port: started.port, stateDir: started.stateDir }));
      } else {
        writeLine(ctx.io.stdout, `Pincer gateway listening on ${started.url} (state dir ${started.stateDir}). Press Ctrl-C to stop.`);
      }
      await waitForAbort(ctx.io.signal);
      await started.close();
      if (options.json !== true) writeLine(ctx.io.stderr, 'Gateway stopped.');
    });

  gateway
    .command('status')
    .description('Report whether a gateway answers for the state dir, and where')
    .option('--state-dir <dir>', 'state directory (default PINCER_STATE_DIR or ~/.pincer)')
    .option('--json', 'print { ok, running, url, pid, stateDir } as JSON')
    .addHelpText(
      'after',
      `
Exit code 0 when a gateway answers, 1 when none does.

Examples:
  $ pincer gateway status
  $ PINCER_STATE_DIR=/srv/pincer pincer gateway status --json`,
    )
    .action(async (options: GatewayStatusOptions) => {
      const stateDir = ctx.stateDir(options.stateDir);
      const target = ctx.target(stateDir);
      const base = { stateDir, url: target.url ?? null, urlSource: target.urlSource, pid: target.info?.pid ?? null };
      let health: unknown;
      let problem: string | undefined;
      if (target.url === undefined) {
        problem = 'no gateway.json in the state dir and PINCER_GATEWAY_URL is not set';
      } else {
        try {
          health = await createGatewayClient({
            url: target.url,
            token: target.token,
            ...(ctx.io.fetch ? { fetch: ctx.io.fetch } : {}),
            ...(ctx.io.signal ? { signal: ctx.io.signal } : {}),
          }).health();
        } catch (error) {
          if (!CliError.isInstance(error)) throw error;
          problem = error.message;
        }
      }
      if (problem === undefined) {
        if (options.json === true) writeJson(ctx.io.stdout, { ok: true, running: true, ...base, health });
        else
          writeLine(
            ctx.io.stdout,
            `Gateway running at ${target.url}${base.pid !== null ? ` (pid ${base.pid})` : ''}; state dir ${stateDir}.`,
          );
        return;
      }
      throw new CliError('GATEWAY_UNAVAILABLE', `No gateway answering for state dir ${stateDir}: ${problem}`);
    });

  registerGatewayStop(gateway, ctx);
}

/** Registers `pincer gateway stop`. */
function registerGatewayStop(gateway: Command, ctx: CommandContext): void {
  gateway
    .command('stop')
    .description("Stop the state dir's running gateway (SIGTERM to the pid in gateway.json, then wait)")
    .option('--state-dir <dir>', 'state directory (default PINCER_STATE_DIR or ~/.pincer)')
    .addOption(
      new Option('--timeout <seconds>', `how long to wait for it to exit (default ${DEFAULT_STOP_TIMEOUT_SECONDS})`).argParser(
        parseSeconds,
      ),
    )
    .option('--json', 'print { ok, stopped, pid, url, stateDir, waitedMs } as JSON')
    .addHelpText(
      'after',
      `
Only a gateway that answers at the URL of gateway.json is signalled (a stale file's pid may
belong to another process by now). Exit 0 once it has exited, or when none is running;
1 when it does not exit in time.

Examples:
  $ pincer gateway stop
  $ pincer gateway stop --state-dir /srv/pincer --timeout 120 --json`,
    )
    .action(async (options: { stateDir?: string; timeout?: number; json?: boolean }) => {
      const stateDir = ctx.stateDir(options.stateDir);
      const target = ctx.target(stateDir);
      const pid = target.info?.pid;
      const url = target.info?.url;
      if (target.info === undefined || pid === undefined || url === undefined || !isAlive(pid)) {
        if (options.json === true)
          writeJson(ctx.io.stdout, { ok: true, stopped: false, running: false, pid: pid ?? null, url: url ?? null, stateDir });
        else writeLine(ctx.io.stdout, `No gateway is running for state dir ${stateDir}.`);
        return;
      }
      try {
        await createGatewayClient({
          url,
          token: undefined,
          ...(ctx.io.fetch ? { fetch: ctx.io.fetch } : {}),
          ...(ctx.io.signal ? { signal: ctx.io.signal } : {}),
        }).health();
      } catch (cause) {
        throw new CliError(
          'GATEWAY_UNAVAILABLE',
          `gateway.json in ${stateDir} names pid ${pid}, but no gateway answers at ${url}; not signalling a process that may not be the gateway.`,
          { cause },
        );
      }
      const startedAt = ctx.clock.now();
      process.kill(pid, 'SIGTERM');
      const timeoutMs = Math.round((options.timeout ?? DEFAULT_STOP_TIMEOUT_SECONDS) * 1000);
      const spinner = createSpinner({ stream: ctx.io.stderr, text: `stopping the gateway (pid ${pid})` });
      spinner.start();
      try {
        // Bounded by the deadline; Ctrl-C ends the wait (the gateway keeps shutting down).
        while (isAlive(pid)) {
          if (ctx.io.signal?.aborted)
            throw new CliError('INTERRUPTED', `Interrupted. The gateway (pid ${pid}) was sent SIGTERM and is still shutting down.`);
          if (ctx.clock.now() - startedAt > timeoutMs) {
            throw new CliError(
              'TIMEOUT',
              `The gateway (pid ${pid}) did not exit within ${timeoutMs / 1000}s of SIGTERM. Check "pincer gateway status", or kill -9 ${pid}.`,
            );
          }
          await ctx.sleep(STOP_POLL_MS);
        }
      } finally {
        spinner.stop();
      }
      const waitedMs = ctx.clock.now() - startedAt;
      if (options.json === true) writeJson(ctx.io.stdout, { ok: true, stopped: true, pid, url, stateDir, waitedMs });
      else writeLine(ctx.io.stdout, `Stopped the gateway (pid ${pid}, ${url}) in ${(waitedMs / 1000).toFixed(1)}s.`);
    });
}

/** True while `pid` exists (signal 0; EPERM means it exists but belongs to someone else). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `PINCER_PORT` as a port; an invalid value is a validation error naming the variable (exit 2). */
function portFromEnv(value: string): number {
  try {
    return parsePortArg(value);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new CliError('VALIDATION', `PINCER_PORT="${value}" is invalid: ${reason}`, { cause });
  }
}

function waitForAbort(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal === undefined) return; // runs until the process is killed
    if (signal.aborted) {
      resolve();
      return;
    }
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
