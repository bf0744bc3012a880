import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayError } from '@pincer/gateway';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GatewayModule } from './gateway-module.js';
import type { CliIo } from './io.js';
import { runCli } from './program.js';

interface Harness {
  io: CliIo;
  stdout: () => string;
  stderr: () => string;
  requests: string[];
}

function harness(stateDir: string, env: Record<string, string> = {}, answer?: (url: string, init?: RequestInit) => Response): Harness {
  const out: string[] = [];
  const err: string[] = [];
  const requests: string[] = [];
  const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
    requests.push(`${init?.method ?? 'GET'} ${new URL(String(input)).pathname}`);
    if (answer) return answer(String(input), init);
    throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
  }) as typeof fetch;
  return {
    io: {
      stdout: { write: (c: string) => out.push(c) },
      stderr: { write: (c: string) => err.push(c) },
      env: { PINCER_STATE_DIR: stateDir, PINCER_GATEWAY_URL: 'http://127.0.0.1:9', ...env },
      cwd: stateDir,
      homeDir: stateDir,
      fetch: fetchImpl,
      sleep: async () => undefined,
    },
    stdout: () => out.join(''),
    stderr: () => err.join(''),
    requests,
  };
}

function fakeGateway(calls: unknown[]): () => Promise<GatewayModule> {
  return async () => ({
    startGateway: () => Promise.reject(new Error('not used')),
    loadConfig: () => ({ agents: [{ id: 'main' }], defaultAgent: 'main' }),
    createGatewayRuntime: () => ({
      runAgentTurn: async (input) => {
        calls.push(input);
        return { runId: 'run-local', sessionKey: input.sessionKey ?? 'agent:main:main', reply: `echo: ${input.message}`, status: 'ok' };
      },
      close: async () => undefined,
    }),
  });
}

describe('runCli', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pincer-cli-prog-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('shows --session-key in agent --help and exits 0', async () => {
    const h = harness(dir);
    expect(await runCli(['agent', '--help'], h.io)).toBe(0);
    expect(h.stdout()).toContain('--session-key <key>');
    expect(h.stdout()).toContain('Examples:');
  });

  it('has --help with examples on every command', async () => {
    const commands = [
      ['gateway'],
      ['gateway', 'status'],
      ['agent'],
      ['sessions'],
      ['sessions', 'list'],
      ['sessions', 'show'],
      ['sessions', 'history'],
      ['sessions', 'reset'],
      ['ps'],
      ['logs'],
      ['kill'],
      ['cron'],
      ['cron', 'list'],
      ['cron', 'add'],
      ['cron', 'rm'],
      ['cron', 'runs'],
      ['cron', 'run'],
      ['config'],
      ['config', 'validate'],
    ];
    for (const argv of commands) {
      const h = harness(dir);
      expect(await runCli([...argv, '--help'], h.io), argv.join(' ')).toBe(0);
      expect(h.stdout(), argv.join(' ')).toContain('Examples:');
      expect(h.stdout(), argv.join(' ')).toContain('$ pincer');
    }
  });

  it('rejects malformed and mismatched keys with exit 2 and sends nothing', async () => {
    const h = harness(dir);
    expect(await runCli(['agent', '-m', 'hi', '--session-key', 'agent:main'], h.io)).toBe(2);
    expect(h.stderr()).toBe(
      'Error: Invalid --session-key "agent:main". Agent-prefixed session keys must use agent:<agent-id>:<session-key>.\n',
    );
    const h2 = harness(dir);
    expect(await runCli(['agent', '-m', 'hi', '--agent', 'main', '--session-key', 'agent:ops:incident-42', '--json'], h2.io)).toBe(2);
    expect(JSON.parse(h2.stdout())).toEqual({
      ok: false,
      error: { type: 'validation', code: 'AGENT_MISMATCH', message: 'Agent id "main" does not match session key agent "ops".' },
    });
    expect(h.requests).toEqual([]);
    expect(h2.requests).toEqual([]);
  });

  it('exits 0 for pincer help <command> and 2 for a bare command group', async () => {
    const h = harness(dir);
    expect(await runCli(['help', 'agent'], h.io)).toBe(0);
    expect(h.stdout()).toContain('--session-key <key>');
    const bare = harness(dir);
    expect(await runCli(['cron'], bare.io)).toBe(2);
    expect(bare.stderr()).toContain('Usage: pincer cron');
  });

  it('rejects usage errors with exit 2 and one line', async () => {
    const h = harness(dir);
    expect(await runCli(['agent', '--bogus'], h.io)).toBe(2);
    expect(h.stderr()).toBe("Error: Unknown option '--bogus' (see --help)\n");
    const h2 = harness(dir);
    expect(await runCli(['logs', 'p1', '--offset', '-3', '--json'], h2.io)).toBe(2);
    expect(JSON.parse(h2.stdout()).error.type).toBe('usage');
  });

  it('names the argument a blank session value came from, and refuses --agent without --session (exit 2, nothing sent)', async () => {
    const cases: Array<[string[], number, string]> = [
      [['ps', '--session', ' '], 2, 'Error: --session must not be blank\n'],
      [['logs', 'p1', '--session', ''], 2, 'Error: --session must not be blank\n'],
      [['kill', 'p1', '--session', ' '], 2, 'Error: --session must not be blank\n'],
      [['cron', 'list', '--session', ' '], 2, 'Error: --session must not be blank\n'],
      [['sessions', 'show', ' '], 2, 'Error: session key must not be blank\n'],
      [['sessions', 'history', ''], 2, 'Error: session key must not be blank\n'],
      [['cron', 'add', '--every', '1h', '-m', 'x', '--session-key', ' '], 2, 'Error: --session-key must not be blank\n'],
      [['ps', '--agent', 'main'], 2, 'Error: --agent only scopes a --session key here; pass --session too.\n'],
      [['logs', 'p1', '--agent', 'main'], 2, 'Error: --agent only scopes a --session key here; pass --session too.\n'],
      [['kill', 'p1', '--agent', 'main'], 2, 'Error: --agent only scopes a --session key here; pass --session too.\n'],
      [
        ['logs', 'p1', '--limit', 'x'],
        2,
        "Error: Option '--limit <n>' argument 'x' is invalid. Expected a whole number greater than 0. (see --help)\n",
      ],
    ];
    for (const [argv, exit, stderr] of cases) {
      const h = harness(dir);
      expect(await runCli(argv, h.io), argv.join(' ')).toBe(exit);
      expect(h.stderr(), argv.join(' ')).toBe(stderr);
      expect(h.requests, argv.join(' ')).toEqual([]);
    }
  });

  it('refuses a bad --log-level or PINCER_PORT for pincer gateway before starting anything (exit 2, named)', async () => {
    let starts = 0;
    const loadGateway = async (): Promise<GatewayModule> => ({
      startGateway: () => {
        starts += 1;
        return Promise.reject(new Error('not expected'));
      },
      loadConfig: () => ({}),
      createGatewayRuntime: () => Promise.reject(new Error('not used')),
    });
    const level = harness(dir);
    expect(await runCli(['gateway', '--log-level', 'bogus', '--port', '0'], level.io, { loadGateway })).toBe(2);
    expect(level.stderr()).toBe(
      "Error: Option '--log-level <level>' argument 'bogus' is invalid. Allowed choices are fatal, error, warn, info, debug, trace, silent. (see --help)\n",
    );
    const port = harness(dir, { PINCER_PORT: 'abc' });
    expect(await runCli(['gateway', '--json'], port.io, { loadGateway })).toBe(2);
    expect(JSON.parse(port.stdout())).toEqual({
      ok: false,
      error: { type: 'validation', code: 'VALIDATION', message: 'PINCER_PORT="abc" is invalid: Expected a whole number (0 or more).' },
    });
    expect(starts).toBe(0);
  });

  it('falls back to an embedded run when no gateway answers, and says so on stderr', async () => {
    const calls: unknown[] = [];
    const h = harness(dir);
    const code = await runCli(['agent', '-m', 'hi', '--session-key', 'incident-42', '--json'], h.io, { loadGateway: fakeGateway(calls) });
    expect(code).toBe(0);
    expect(h.requests).toEqual(['GET /healthz']);
    expect(h.stderr()).toMatch(/No gateway answered at http:\/\/127\.0\.0\.1:9 \(ECONNREFUSED\)\. Running the turn embedded/);
    expect(JSON.parse(h.stdout())).toEqual({ ok: true, runId: 'run-local', sessionKey: 'agent:main:incident-42', reply: 'echo: hi' });
    expect(calls).toEqual([{ message: 'hi', agentId: 'main', sessionKey: 'agent:main:incident-42', timeoutMs: 600_000 }]);
  });

  it('runs embedded with --local without touching the network', async () => {
    const calls: unknown[] = [];
    const h = harness(dir);
    expect(await runCli(['agent', '-m', 'hi', '--local'], h.io, { loadGateway: fakeGateway(calls) })).toBe(0);
    expect(h.requests).toEqual([]);
    expect(h.stdout()).toBe('echo: hi\n');
    expect(h.stderr()).toBe('');
  });

  it('dispatches over HTTP and waits for the reply', async () => {
    const h = harness(dir, {}, (url, init) => {
      const path = new URL(url).pathname;
      if (path === '/healthz') return Response.json({ ok: true });
      if (path === '/v1/agent') {
        expect(JSON.parse(String(init?.body))).toEqual({ message: 'hi', agentId: 'main', sessionKey: 'agent:main:main', timeoutMs: 5000 });
        return Response.json({ runId: 'r1', sessionKey: 'agent:main:main' }, { status: 202 });
      }
      return Response.json({
        runId: 'r1',
        sessionKey: 'agent:main:main',
        agentId: 'main',
        kind: 'user',
        createdAt: 0,
        status: 'ok',
        reply: 'pong',
      });
    });
    expect(await runCli(['agent', '-m', 'hi', '--session-key', 'main', '--timeout', '5'], h.io)).toBe(0);
    expect(h.stdout()).toBe('pong\n');
    expect(h.requests).toEqual(['GET /healthz', 'POST /v1/agent', 'GET /v1/runs/r1']);
  });

  it('maps a failed run to exit 1 and a gateway 404 to not_found', async () => {
    const failing = harness(dir, {}, (url) => {
      const path = new URL(url).pathname;
      if (path === '/healthz') return Response.json({ ok: true });
      if (path === '/v1/agent') return Response.json({ runId: 'r1', sessionKey: 'agent:main:main' }, { status: 202 });
      return Response.json({
        runId: 'r1',
        sessionKey: 'agent:main:main',
        agentId: 'main',
        kind: 'user',
        createdAt: 0,
        status: 'error',
        error: 'model exploded',
      });
    });
    expect(await runCli(['agent', '-m', 'hi', '--json'], failing.io)).toBe(1);
    expect(JSON.parse(failing.stdout())).toEqual({
      ok: false,
      error: { type: 'run_failed', code: 'RUN_FAILED', message: 'Agent run r1 failed: model exploded' },
    });

    const missing = harness(dir, {}, () => Response.json({ error: { code: 'not_found', message: 'process not found' } }, { status: 404 }));
    expect(await runCli(['kill', 'p-404', '--json'], missing.io)).toBe(1);
    expect(JSON.parse(missing.stdout()).error).toEqual({ type: 'not_found', code: 'NOT_FOUND', message: 'process not found' });
  });

  it('prints the stack only with PINCER_DEBUG=1', async () => {
    const h = harness(dir, { PINCER_DEBUG: '1' });
    expect(await runCli(['agent', '-m', 'hi', '--session-key', 'agent:x'], h.io)).toBe(2);
    expect(h.stderr().split('\n').length).toBeGreaterThan(3);
    expect(h.stderr()).toContain('    at ');
  });

  it('exits 130 with an interrupted document when aborted while waiting', async () => {
    const controller = new AbortController();
    const h = harness(dir, {}, (url) => {
      const path = new URL(url).pathname;
      if (path === '/healthz') return Response.json({ ok: true });
      if (path === '/v1/agent') return Response.json({ runId: 'r1', sessionKey: 'agent:main:main' }, { status: 202 });
      controller.abort();
      throw new DOMException('aborted', 'AbortError');
    });
    const code = await runCli(['agent', '-m', 'hi', '--json'], { ...h.io, signal: controller.signal });
    expect(code).toBe(130);
    expect(h.stderr()).toBe('Interrupted.\n');
    expect(JSON.parse(h.stdout())).toEqual({
      ok: false,
      error: {
        type: 'interrupted',
        code: 'INTERRUPTED',
        message: 'Interrupted. Run r1 goes on on the gateway (session agent:main:main).\nWait for its reply with: pincer runs wait r1',
        runId: 'r1',
        sessionKey: 'agent:main:main',
        hint: 'pincer runs wait r1',
      },
    });
  });

  it('maps an embedded runtime 4xx error by its status (400 → validation, exit 2)', async () => {
    const h = harness(dir);
    const loadGateway = async (): Promise<GatewayModule> => ({
      startGateway: () => Promise.reject(new Error('not used')),
      loadConfig: () => ({}),
      createGatewayRuntime: () => ({
        runAgentTurn: async () => {
          throw Object.assign(new Error('message must not be blank'), { status: 400, field: 'message' });
        },
        close: async () => undefined,
      }),
    });
    expect(await runCli(['agent', '-m', 'hi', '--local', '--json'], h.io, { loadGateway })).toBe(2);
    expect(JSON.parse(h.stdout())).toEqual({
      ok: false,
      error: { type: 'validation', code: 'VALIDATION', message: 'message must not be blank', field: 'message' },
    });
  });

  it("maps the runtime's own GatewayError codes (lower-case) like the HTTP answers: invalid_request/invalid_config → 2, not_found → 1", async () => {
    const cases: Array<{ where: 'start' | 'turn'; error: GatewayError; exit: number; type: string }> = [
      {
        where: 'turn',
        error: new GatewayError('invalid_request', 'Unknown agent id "ghost".', { field: 'agentId' }),
        exit: 2,
        type: 'validation',
      },
      { where: 'start', error: new GatewayError('invalid_config', 'Invalid config at agents[0].model'), exit: 2, type: 'validation' },
      { where: 'turn', error: new GatewayError('not_found', 'Session agent:main:x not found'), exit: 1, type: 'not_found' },
      { where: 'turn', error: new GatewayError('internal', 'disk full'), exit: 1, type: 'run_failed' },
    ];
    for (const c of cases) {
      const h = harness(dir);
      let closed = false;
      const loadGateway = async (): Promise<GatewayModule> => ({
        startGateway: () => Promise.reject(new Error('not used')),
        loadConfig: () => ({}),
        createGatewayRuntime: () => {
          if (c.where === 'start') throw c.error;
          return {
            runAgentTurn: () => Promise.reject(c.error),
            close: async () => {
              closed = true;
            },
          };
        },
      });
      expect(await runCli(['agent', '-m', 'hi', '--local', '--json'], h.io, { loadGateway }), c.error.code).toBe(c.exit);
      const doc = JSON.parse(h.stdout()) as { ok: boolean; error: { type: string; message: string } };
      expect(doc.ok).toBe(false);
      expect(doc.error.type, c.error.code).toBe(c.type);
      expect(doc.error.message).toContain(c.error.message);
      expect(h.stderr().trim().split('\n')).toHaveLength(1);
      expect(closed).toBe(c.where === 'turn');
    }
  });
});
