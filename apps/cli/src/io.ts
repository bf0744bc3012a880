import { homedir } from 'node:os';

/** A stream the CLI writes to; `isTTY` switches the spinner on. */
export interface CliOutput {
  write(chunk: string): unknown;
  readonly isTTY?: boolean;
}

/** A clock in epoch milliseconds (injected so tests control time). */
export interface CliClock {
  now(): number;
}

/**
 * Everything the CLI touches outside itself. `runCli(argv, io)` never reads `process` directly,
 * so tests can run it in-process with captured output.
 */
export interface CliIo {
  /** Where results go (replies, tables, `--json` documents). */
  stdout: CliOutput;
  /** Where diagnostics go (errors, the spinner, the fallback notice). */
  stderr: CliOutput;
  /** Environment variables (`PINCER_STATE_DIR`, `PINCER_GATEWAY_URL`, `PINCER_GATEWAY_TOKEN`, `PINCER_CONFIG`, `PINCER_PORT`, `PINCER_DEBUG`). */
  env: Readonly<Record<string, string | undefined>>;
  /** Working directory for relative paths (`--message-file`, `--config`). */
  cwd: string;
  /** Home directory; the default state dir is `<homeDir>/.pincer`. */
  homeDir: string;
  /** HTTP client; defaults to the global `fetch`. */
  fetch?: typeof fetch;
  /** Clock; defaults to `Date`. */
  clock?: CliClock;
  /** Aborted on SIGINT/SIGTERM: ends `pincer gateway`, `logs --follow` and waits for replies. */
  signal?: AbortSignal;
  /** Sleep helper (ms); defaults to a timer that is cut short by `signal`. */
  sleep?: (ms: number) => Promise<void>;
}

/** Builds the `CliIo` for the real process (used by the `pincer` binary). */
export function createNodeIo(signal?: AbortSignal): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    homeDir: homedir(),
    fetch: globalThis.fetch,
    clock: Date,
    ...(signal ? { signal } : {}),
  };
}

/** Sleeps `ms` milliseconds, resolving early (without throwing) when `signal` aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Writes one line (adds the newline). */
export function writeLine(out: CliOutput, line = ''): void {
  out.write(`${line}\n`);
}

/** Prints a value as pretty JSON on one document (2-space indent). */
export function writeJson(out: CliOutput, value: unknown): void {
  out.write(`${JSON.stringify(value, null, 2)}\n`);
}
