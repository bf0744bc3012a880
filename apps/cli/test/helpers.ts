import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

/** The built binary under test. */
export const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'bin.js');

export function assertBuilt(): void {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run "pnpm --filter @pincer/cli build" first.`);
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A temp dir removed by {@link TempDir.dispose}. */
export interface TempDir {
  path: string;
  dispose(): void;
}

export function tempDir(prefix = 'pincer-cli-'): TempDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, dispose: () => rmSync(path, { recursive: true, force: true }) };
}

/** A config with two agents, `main` (default) and `ops`. */
export function writeTwoAgentConfig(stateDir: string): string {
  const file = join(stateDir, 'pincer.config.json');
  writeFileSync(file, JSON.stringify({ agents: [{ id: 'main' }, { id: 'ops' }], defaultAgent: 'main' }));
  return file;
}

/** Runs `node dist/bin.js …args` with a clean environment (nothing inherited but PATH). */
export async function runPincer(
  args: string[],
  env: Record<string, string | undefined>,
  options: { cwd?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  const result = await execa(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', ...clean(env) },
    extendEnv: false,
    cwd: options.cwd ?? tmpdir(),
    timeout: options.timeoutMs ?? 30_000,
    maxBuffer: 16 * 1024 * 1024,
    stdin: 'ignore',
    stripFinalNewline: false,
    reject: false,
  });
  // A run killed by the timeout (or a signal) has no exit code, as before.
  return { code: result.exitCode ?? null, stdout: result.stdout, stderr: result.stderr };
}

function clean(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined) out[name] = value;
  return out;
}

/** A plain loopback HTTP server standing in for the gateway: records every request. */
export interface StubGateway {
  url: string;
  requests: Array<{ method: string; path: string; body: unknown }>;
  close(): Promise<void>;
}

/**
 * Answers like a gateway: `/healthz` ok, `POST /v1/agent` → 202 with the key it received
 * (or `stub:<agentId>`), `GET /v1/runs/:id` → ok with reply `stub reply` (still `running` for
 * the message `never finish`).
 */
export async function startStubGateway(): Promise<StubGateway> {
  const requests: StubGateway['requests'] = [];
  const server: Server = createServer((req, res) => {
    void readBody(req).then((text) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const body = text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>);
      requests.push({ method: req.method ?? 'GET', path: url.pathname, body });
      res.setHeader('content-type', 'application/json');
      if (url.pathname === '/healthz') return res.end(JSON.stringify({ ok: true }));
      if (req.method === 'POST' && url.pathname === '/v1/agent') {
        const key = typeof body?.sessionKey === 'string' ? body.sessionKey : `stub:${String(body?.agentId)}`;
        res.statusCode = 202;
        return res.end(JSON.stringify({ runId: 'stub-run', sessionKey: key }));
      }
      if (url.pathname.startsWith('/v1/runs/')) {
        const agent = requests.find((r) => r.path === '/v1/agent')?.body as Record<string, unknown> | undefined;
        const key = typeof agent?.sessionKey === 'string' ? agent.sessionKey : 'stub';
        // A message "never finish" keeps the run running (for timeout tests).
        const status = agent?.message === 'never finish' ? 'running' : 'ok';
        // A whole RunView (the CLI parses it with the gateway's RunViewSchema).
        const run = { runId: 'stub-run', sessionKey: key, agentId: 'main', kind: 'user', status, createdAt: 0 };
        return res.end(JSON.stringify({ ...run, ...(status === 'ok' ? { reply: 'stub reply' } : {}) }));
      }
      res.statusCode = 404;
      return res.end(JSON.stringify({ error: { code: 'not_found', message: 'nothing here' } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => resolve(text));
  });
}

/** A loopback URL where nothing listens (a port that was just closed). */
export async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** Spawns `pincer …args` as a long-running child (for `pincer gateway`). */
export function spawnPincer(args: string[], env: Record<string, string | undefined>): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', ...clean(env) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Resolves with the first stdout line of a child (bounded by `timeoutMs`). */
export function firstLine(child: ChildProcess, timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`no output within ${timeoutMs} ms; stderr: ${err}`)), timeoutMs);
    child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const newline = text.indexOf('\n');
      if (newline >= 0) {
        clearTimeout(timer);
        resolve(text.slice(0, newline));
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before printing; stderr: ${err}`));
    });
  });
}

/** Resolves with the exit code once the child exits. */
export function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Parses stdout as one JSON document. */
export function json(result: RunResult): Record<string, unknown> {
  try {
    return JSON.parse(result.stdout) as Record<string, unknown>;
  } catch {
    throw new Error(`stdout is not JSON (exit ${result.code}):\n${result.stdout}\nstderr:\n${result.stderr}`);
  }
}

/** The part of a started `@pincer/gateway` the tests look into (its store and process view). */
export interface TestGateway {
  url: string;
  port: number;
  stateDir: string;
  close(): Promise<void>;
  runtime: {
    store: {
      listRunsByStatus(statuses: ReadonlyArray<string>): unknown[];
      listSessions(filter?: { agentId?: string }): unknown[];
      getSession(key: string): unknown;
    };
    subsystems: { operatorLog(id: string, opts: { offset?: number; limit?: number }): Promise<{ output: string } | undefined> };
  };
}

// Loaded by a variable specifier so this file's types do not depend on the gateway's build output.
const GATEWAY_MODULE: string = '@pincer/gateway';

/** Starts a real gateway in this process (loopback, the given port/state dir; logs silenced). */
export async function startTestGateway(options: { stateDir: string; configPath?: string; port?: number }): Promise<TestGateway> {
  const mod = (await import(GATEWAY_MODULE)) as { startGateway(o: Record<string, unknown>): Promise<StartedTestGateway> };
  const gateway = await mod.startGateway({ port: options.port ?? 0, logLevel: 'silent', ...options });
  const { store, processes } = gateway.runtime;
  return {
    url: gateway.url,
    port: gateway.port,
    stateDir: gateway.stateDir,
    close: () => gateway.close(),
    runtime: {
      store: {
        listRunsByStatus: (statuses) => store.runs.listByStatus(statuses),
        listSessions: (filter) => store.sessions.list(filter),
        getSession: (key) => store.sessions.get(key),
      },
      subsystems: {
        async operatorLog(id, paging) {
          try {
            return await processes.log(id, undefined, paging);
          } catch {
            return undefined;
          }
        },
      },
    },
  };
}

/** The started gateway's services the adapter above reads. */
interface StartedTestGateway {
  url: string;
  port: number;
  stateDir: string;
  close(): Promise<void>;
  runtime: {
    store: {
      runs: { listByStatus(statuses: ReadonlyArray<string>): unknown[] };
      sessions: { list(filter?: { agentId?: string }): unknown[]; get(key: string): unknown };
    };
    processes: { log(id: string, scope: undefined, paging: { offset?: number; limit?: number }): { output: string } };
  };
}

/** A `pincer` child on a pseudo-terminal (stdin, stdout and stderr are the same TTY). */
export interface PtyChild {
  /** Everything the terminal showed so far (stdout and stderr interleaved, `\r\n` line ends). */
  output(): string;
  /** Types into the terminal (`\x03` is Ctrl-C: SIGINT to the foreground process group). */
  write(data: string): void;
  /** Resolves once `pattern` has appeared in the output (bounded by `timeoutMs`). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit code once the child exits. */
  exited: Promise<number>;
  kill(): void;
}

/** Runs `node dist/bin.js …args` on a real pseudo-terminal of `cols` × `rows` (clean environment, as {@link runPincer}). */
export async function spawnPincerPty(
  args: string[],
  env: Record<string, string | undefined>,
  size: { cols?: number; rows?: number } = {},
): Promise<PtyChild> {
  const pty = await import('@lydell/node-pty');
  const term = pty.spawn(process.execPath, [BIN, ...args], {
    name: 'xterm-256color',
    cols: size.cols ?? 200,
    rows: size.rows ?? 50,
    cwd: tmpdir(),
    env: { PATH: process.env.PATH ?? '', TERM: 'xterm-256color', ...clean(env) },
  });
  let text = '';
  let isDone = false;
  term.onData((chunk) => {
    text += chunk;
  });
  const exited = new Promise<number>((resolve) => {
    term.onExit(({ exitCode }) => {
      isDone = true;
      resolve(exitCode);
    });
  });
  return {
    output: () => text,
    write: (data) => term.write(data),
    async waitFor(pattern, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(text)) {
        if (Date.now() > deadline)
          throw new Error(`${String(pattern)} did not appear within ${timeoutMs} ms; output:\n${JSON.stringify(text)}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    exited,
    kill: () => {
      if (!isDone) term.kill('SIGKILL');
    },
  };
}
