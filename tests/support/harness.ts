/**
 * Shared harness of the end-to-end, reliability and load suites: a real gateway as a child
 * process (`apps/gateway/dist/main.js`) on a temp state dir and an ephemeral loopback port, the
 * real `pincer` binary (`apps/cli/dist/bin.js`), bounded polling, and a /proc scan that finds
 * every process a gateway started (each gateway child carries a unique `PINCER_TEST_MARK`; its
 * shells, which get a clean environment without any `PINCER_*`, carry it as `TEST_SHELL_MARK`
 * through the config's `exec.passEnv`), so a test can prove no orphan survives.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

/** Repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The built gateway entry point. */
export const GATEWAY_MAIN = join(ROOT, 'apps', 'gateway', 'dist', 'main.js');
/** The built `pincer` binary. */
export const CLI_BIN = join(ROOT, 'apps', 'cli', 'dist', 'bin.js');

/** Fails with a clear message when the apps are not built (never skips). */
export function requireBuiltApps(): void {
  const missing = [GATEWAY_MAIN, CLI_BIN].filter((p) => !existsSync(p));
  if (missing.length > 0) {
    throw new Error(`Build the apps first (pnpm build): missing ${missing.map((p) => p.slice(ROOT.length + 1)).join(', ')}`);
  }
}

/** The environment without any PINCER_* variable of the caller (tests must not see a real gateway). */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('PINCER_')) env[k] = v;
  return { ...env, ...extra };
}

/** Fast wakes: no coalescing or cool-down, so notices land within milliseconds. */
export const FAST_WAKE = { eventCooldownMs: 0, coalesceMs: 0, busyRetryMs: 100 } as const;

/** The config every story uses: `main` (dmScope=main, one owner), `ops` (per-channel-peer DMs), `research`. */
export const STORY_CONFIG = {
  wake: FAST_WAKE,
  // Several agents: turns that name none go to `main` (issue 14 item 3 refuses them otherwise).
  defaultAgent: 'main',
  // The group stories run shells for a non-owner sender (issue 14 item 8 denies them by default).
  security: { guestTools: ['exec', 'process'] },
  agents: [
    { id: 'main', owners: ['owner-1'], session: { dmScope: 'main' }, allowAgents: ['research'] },
    { id: 'ops', owners: ['alice'], session: { dmScope: 'per-channel-peer' } },
    { id: 'research' },
  ],
  // Chat messages from the `telegram` channel go to `ops`; everything else to the default agent (`main`).
  bindings: [{ agentId: 'ops', match: { channel: 'telegram' } }],
} as const;

/** A temp state dir with `pincer.config.json` written into it. */
export interface StateDir {
  dir: string;
  configPath: string;
  remove(): void;
}

/** Create a temp state dir holding `config` as `pincer.config.json`. */
export function makeStateDir(config: unknown, prefix = 'pincer-tests-'): StateDir {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const configPath = join(dir, 'pincer.config.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  return { dir, configPath, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A JSON answer. */
export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
  text: string;
}

/** Calls the gateway's HTTP API (JSON in, JSON out; `token: null` sends no Authorization). */
export async function callApi<T = Record<string, unknown>>(
  url: string,
  token: string | null,
  method: string,
  path: string,
  body?: unknown,
  opts: { rawBody?: string; timeoutMs?: number; contentType?: string } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const payload = opts.rawBody ?? (body !== undefined ? JSON.stringify(body) : undefined);
  if (payload !== undefined) headers['content-type'] = opts.contentType ?? 'application/json';
  const res = await fetch(`${url}${path}`, {
    method,
    headers,
    ...(payload !== undefined ? { body: payload } : {}),
    signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON (metrics, SSE)
  }
  return { status: res.status, body: parsed as T, text };
}

/** Polls `check` every `intervalMs` until it returns a truthy value; throws after `timeoutMs`. */
export async function until<T>(
  check: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  what: string,
  timeoutMs = 20_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v) return v;
    } catch (e) {
      lastError = e;
    }
    await sleep(intervalMs);
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`,
  );
}

/** Plain delay. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Is a pid alive (and not a zombie)? */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z';
  } catch {
    return false;
  }
}

/** The variable a gateway's shells carry the test mark in (passed through `exec.passEnv`; `PINCER_*` never reaches a shell). */
export const SHELL_MARK_ENV = 'TEST_SHELL_MARK';

/** Pids of live processes whose environment carries `PINCER_TEST_MARK=<mark>` or `TEST_SHELL_MARK=<mark>` (excluding `except`). */
export function markedPids(mark: string, except: ReadonlyArray<number> = []): number[] {
  const needles = [`\0PINCER_TEST_MARK=${mark}\0`, `\0${SHELL_MARK_ENV}=${mark}\0`];
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (except.includes(pid) || pid === process.pid) continue;
    let env: string;
    try {
      env = readFileSync(`/proc/${pid}/environ`, 'latin1');
    } catch {
      continue;
    }
    const padded = `\0${env}\0`;
    if (needles.some((needle) => padded.includes(needle)) && isAlive(pid)) out.push(pid);
  }
  return out;
}

/** Resident set size of a pid in KiB (from /proc/<pid>/status), or undefined. */
export function rssKiB(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** A gateway running as a child process. */
export interface ChildGateway {
  readonly proc: ChildProcess;
  readonly pid: number;
  readonly url: string;
  readonly token: string;
  readonly stateDir: string;
  /** The `PINCER_TEST_MARK` its processes carry. */
  readonly mark: string;
  api<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    opts?: { rawBody?: string; timeoutMs?: number },
  ): Promise<ApiResponse<T>>;
  /** Everything it printed. */
  output(): string;
  /** SIGKILL and wait for the exit. */
  kill9(): Promise<void>;
  /** SIGTERM, wait for a clean exit (SIGKILL after `graceMs`). Resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

/** Add {@link SHELL_MARK_ENV} to the config's `exec.passEnv` (once), so the gateway's shells carry the mark. */
function passShellMark(configPath: string): void {
  const config = JSON.parse(readFileSync(configPath, 'utf8')) as { exec?: { passEnv?: string[] } };
  const passEnv = config.exec?.passEnv ?? [];
  if (passEnv.includes(SHELL_MARK_ENV)) return;
  config.exec = { ...(config.exec ?? {}), passEnv: [...passEnv, SHELL_MARK_ENV] };
  writeFileSync(configPath, JSON.stringify(config, null, 2));
}

/** Start `node apps/gateway/dist/main.js --port 0 --state-dir <dir>` and wait until it listens. */
export async function startChildGateway(
  state: StateDir,
  opts: { mark?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<ChildGateway> {
  requireBuiltApps();
  const mark = opts.mark ?? randomUUID();
  passShellMark(state.configPath);
  const proc = spawn(
    process.execPath,
    [GATEWAY_MAIN, '--port', '0', '--host', '127.0.0.1', '--state-dir', state.dir, '--config', state.configPath],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: cleanEnv({ PINCER_TEST_MARK: mark, [SHELL_MARK_ENV]: mark, ...(opts.env ?? {}) }),
    },
  );
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  while (!/listening on (\S+)/.test(out)) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`gateway exited before listening: ${out}`);
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`gateway did not listen within ${opts.timeoutMs ?? 30_000} ms: ${out}`);
    }
    await sleep(25);
  }
  const url = /listening on (\S+)/.exec(out)![1]!;
  // A token given by variable is not written to the state dir (several gateways may share one).
  const token = opts.env?.PINCER_GATEWAY_TOKEN ?? readFileSync(join(state.dir, 'token'), 'utf8').trim();
  const isRunning = () => proc.exitCode === null && proc.signalCode === null;
  return {
    proc,
    pid: proc.pid!,
    url,
    token,
    stateDir: state.dir,
    mark,
    api: (method, path, body, o) => callApi(url, token, method, path, body, o ?? {}),
    output: () => out,
    async kill9() {
      if (isRunning()) proc.kill('SIGKILL');
      await exited;
    },
    async stop(graceMs = 20_000) {
      if (!isRunning()) return proc.exitCode;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (isRunning()) proc.kill('SIGKILL');
      }, graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/**
 * Last-resort cleanup: SIGKILL the gateway if still running, then every process carrying its
 * mark (by pid), then remove the state dir. Returns the pids it had to kill (should be none).
 */
export async function disposeGateway(gw: ChildGateway | undefined, state?: StateDir): Promise<number[]> {
  const killed: number[] = [];
  if (gw) {
    await gw.kill9();
    for (const pid of markedPids(gw.mark)) {
      try {
        process.kill(pid, 'SIGKILL');
        killed.push(pid);
      } catch {
        // gone already
      }
    }
  }
  state?.remove();
  return killed;
}

/** The result of one `pincer` invocation. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Run the real `pincer` binary with `PINCER_STATE_DIR=<stateDir>` (bounded by `timeoutMs`). */
export async function pincer(
  args: ReadonlyArray<string>,
  opts: { stateDir: string; env?: Record<string, string>; timeoutMs?: number },
): Promise<CliResult> {
  requireBuiltApps();
  const started = Date.now();
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const result = await execa(process.execPath, [CLI_BIN, ...args], {
    stdin: 'ignore',
    env: cleanEnv({ PINCER_STATE_DIR: opts.stateDir, ...(opts.env ?? {}) }),
    extendEnv: false,
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    stripFinalNewline: false,
    reject: false,
  });
  if (result.timedOut)
    throw new Error(`pincer ${args.join(' ')} did not finish within ${timeoutMs} ms\n${result.stdout}\n${result.stderr}`);
  if (result.failed && result.exitCode === undefined && result.signal === undefined) throw result;
  return { code: result.exitCode ?? null, stdout: result.stdout, stderr: result.stderr, ms: Date.now() - started };
}

/** A transcript entry as `GET /v1/sessions/:key/transcript` answers. */
export interface TranscriptEntry {
  seq: number;
  role: string;
  text: string;
  runId: string | null;
}

/** Helpers over a gateway's API used by every story. */
export function storyApi(gw: Pick<ChildGateway, 'api'>) {
  const enc = encodeURIComponent;
  return {
    /** POST /v1/agent and wait for the run to finish. */
    async turn(body: Record<string, unknown>, waitMs = 20_000) {
      const r = await gw.api<{ runId: string; sessionKey: string }>('POST', '/v1/agent', body);
      if (r.status !== 202 && r.status !== 200) throw new Error(`POST /v1/agent ${r.status}: ${r.text}`);
      const w = await gw.api<{ status: string; reply?: string; error?: string }>(
        'GET',
        `/v1/runs/${r.body.runId}?waitMs=${waitMs}`,
        undefined,
        {
          timeoutMs: waitMs + 10_000,
        },
      );
      return { runId: r.body.runId, sessionKey: r.body.sessionKey, status: w.body.status, reply: w.body.reply ?? '', error: w.body.error };
    },
    /** POST /v1/inbound and wait for the run. */
    async inbound(body: Record<string, unknown>, waitMs = 20_000) {
      const r = await gw.api<{ runId: string; sessionKey: string; agentId: string }>('POST', '/v1/inbound', body);
      if (r.status !== 202) return { status: r.status, body: r.body as unknown, sessionKey: '', reply: '', runStatus: '' };
      const w = await gw.api<{ status: string; reply?: string }>('GET', `/v1/runs/${r.body.runId}?waitMs=${waitMs}`, undefined, {
        timeoutMs: waitMs + 10_000,
      });
      return {
        status: r.status,
        body: r.body as unknown,
        sessionKey: r.body.sessionKey,
        reply: w.body.reply ?? '',
        runStatus: w.body.status,
      };
    },
    async transcript(key: string): Promise<TranscriptEntry[]> {
      const r = await gw.api<{ entries?: TranscriptEntry[] }>('GET', `/v1/sessions/${enc(key)}/transcript?limit=2000`);
      return r.status === 200 ? (r.body.entries ?? []) : [];
    },
    async session(key: string) {
      return gw.api<{ key: string; queuedEvents: number; sessionId: string }>('GET', `/v1/sessions/${enc(key)}`);
    },
    async processes(sessionKey?: string) {
      const r = await gw.api<{ processes: ProcessView[] }>('GET', `/v1/processes${sessionKey ? `?sessionKey=${enc(sessionKey)}` : ''}`);
      if (r.status !== 200) throw new Error(`GET /v1/processes ${r.status}: ${r.text}`);
      return r.body.processes;
    },
    /** POST /v1/tools/invoke. */
    async tool(tool: string, args: Record<string, unknown>, sessionKey: string) {
      return gw.api<{ ok?: boolean; result?: Record<string, unknown>; error?: { code: string; message: string } }>(
        'POST',
        '/v1/tools/invoke',
        { tool, args, sessionKey },
      );
    },
  };
}

/** A process as `GET /v1/processes` lists it. */
export interface ProcessView {
  id: string;
  pid?: number;
  status: string;
  sessionKey?: string;
  scopeKey?: string;
  command?: string;
  tail?: string;
  exitCode?: number | null;
  source?: string;
}

/** The process id the scripted model reports for `run in background: …` (`… as <id> (running)`). */
export function startedId(reply: string): string {
  const m = /in the background as (\S+) \(/.exec(reply);
  if (!m) throw new Error(`no process id in reply: ${reply}`);
  return m[1]!;
}

/** Percentile (nearest rank) of a list of numbers. */
export function percentile(values: ReadonlyArray<number>, p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
