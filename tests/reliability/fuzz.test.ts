/**
 * Fuzz (fast-check) over session keys, CLI selectors and every HTTP body and query: the gateway
 * never answers 500, never crashes, and every non-2xx answer is the typed error JSON
 * `{ error: { code, message, field? } }`; the `pincer` binary exits 0/1/2 with one clear line,
 * refusing exactly the selectors `normalizeExplicitSessionKey` refuses.
 * The fuzzed gateway's agents may not use exec/process/spawn/cron, so a fuzzed message that
 * happens to look like "run: …" cannot run anything.
 */
import fc from 'fast-check';
import { normalizeAgentId, normalizeExplicitSessionKey } from '@pincer/session-key';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAST_WAKE, type ApiResponse, pincer } from '../support/harness.js';
import { type InprocGateway, startInprocGateway } from '../support/inproc.js';

const DENY = ['exec', 'process', 'sessions_spawn', 'cron'];
const AGENTS = ['main', 'ops'];
const HTTP_RUNS = Number(process.env.PINCER_FUZZ_RUNS ?? 120);
const CLI_RUNS = Number(process.env.PINCER_FUZZ_CLI_RUNS ?? 20);

let gw: InprocGateway;
beforeAll(async () => {
  gw = await startInprocGateway({
    wake: FAST_WAKE,
    gateway: { authMaxAttempts: 1_000_000 },
    agents: AGENTS.map((id) => ({ id, tools: { deny: DENY } })),
    defaultAgent: 'main',
  });
});
afterAll(async () => {
  await gw?.close();
});

const ErrorShape = {
  error: expect.objectContaining({ code: expect.any(String), message: expect.any(String) }),
};

/** The invariant every answer must hold. */
function assertTyped(r: ApiResponse, what: string): void {
  expect(r.status, `${what} → ${r.status} ${r.text.slice(0, 300)}`).not.toBe(500);
  expect(r.status, what).toBeLessThan(500);
  if (r.status >= 400) {
    expect(r.body, `${what} → ${r.text.slice(0, 300)}`).toMatchObject(ErrorShape);
    const e = (r.body as { error: Record<string, unknown> }).error;
    expect(
      Object.keys(e).every((k) => ['code', 'message', 'field'].includes(k)),
      `${what}: ${r.text}`,
    ).toBe(true);
    if (e.field !== undefined) expect(typeof e.field).toBe('string');
  }
}

/** Session-key-like strings: grammar fragments, separators, case, unicode, whitespace, long. */
const sessionKeyArb = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc
    .array(
      fc.oneof(
        fc.constantFrom(
          'agent',
          'main',
          'ops',
          'MAIN',
          'subagent',
          'cron',
          'run',
          'global',
          'unknown',
          '',
          ' ',
          '..',
          '%2F',
          'thread',
          'direct',
          'group',
        ),
        fc.string({ maxLength: 6 }),
      ),
      {
        maxLength: 7,
      },
    )
    .map((parts) => parts.join(':')),
  fc.constantFrom(
    'agent:',
    'agent:main',
    'agent::x',
    'agent:main:',
    ':',
    ' agent:main:x ',
    'AGENT:OPS:X',
    'global',
    'unknown',
    'agent:nope:x',
    'a'.repeat(5000),
  ),
);

const jsonish = fc.jsonValue({ maxDepth: 3 });
/** A body for a route: arbitrary JSON, or the route's own fields with arbitrary values (to get past the strict schema). */
const bodyFor = (fields: ReadonlyArray<string>) =>
  fc.oneof(
    jsonish,
    fc.dictionary(fc.constantFrom(...fields), fc.oneof(jsonish, sessionKeyArb), { maxKeys: fields.length }),
    fc.record(Object.fromEntries(fields.map((f) => [f, fc.oneof(jsonish, sessionKeyArb)])), { requiredKeys: [] }),
  );

const POST_ROUTES: ReadonlyArray<{ path: string; fields: string[] }> = [
  { path: '/v1/agent', fields: ['message', 'agentId', 'sessionKey', 'sessionId', 'to', 'idempotencyKey', 'timeoutMs'] },
  { path: '/v1/inbound', fields: ['channel', 'accountId', 'peer', 'sender', 'text', 'threadId'] },
  { path: '/v1/tools/invoke', fields: ['tool', 'args', 'sessionKey'] },
  { path: '/v1/cron', fields: ['sessionKey', 'text', 'every', 'at', 'in', 'kind', 'target', 'name'] },
  { path: '/v1/sessions/agent%3Amain%3Amain/reset', fields: ['x'] },
  { path: '/v1/processes/nope/kill', fields: ['x'] },
  { path: '/v1/cron/nope/run', fields: ['x'] },
];

describe('HTTP fuzz: never a 500, always a typed error', () => {
  for (const route of POST_ROUTES) {
    it(`POST ${route.path} with arbitrary JSON bodies`, async () => {
      await fc.assert(
        fc.asyncProperty(bodyFor(route.fields), async (body) => {
          assertTyped(await gw.api('POST', route.path, body), `POST ${route.path} ${JSON.stringify(body).slice(0, 200)}`);
        }),
        { numRuns: HTTP_RUNS },
      );
    });
  }

  it('POST routes with malformed JSON, wrong content types and oversized bodies', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...POST_ROUTES.map((r) => r.path)),
        fc.oneof(
          fc.string({ maxLength: 60 }),
          fc.constantFrom('{', '{"message":', '[1,2', 'null', '"str"', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}'),
        ),
        fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=utf-16'),
        async (path, raw, contentType) => {
          assertTyped(
            await gw.api('POST', path, undefined, { rawBody: raw, contentType }),
            `POST ${path} raw ${JSON.stringify(raw)} (${contentType})`,
          );
        },
      ),
      { numRuns: HTTP_RUNS },
    );
    assertTyped(
      await gw.api('POST', '/v1/agent', undefined, { rawBody: JSON.stringify({ message: 'x'.repeat(1_100_000) }) }),
      'oversized body',
    );
  });

  it('every GET/DELETE route with arbitrary path segments and query strings', async () => {
    const templates = [
      (k: string) => `/v1/sessions/${k}`,
      (k: string) => `/v1/sessions/${k}/transcript`,
      (k: string) => `/v1/runs/${k}`,
      (k: string) => `/v1/processes/${k}/log`,
      (k: string) => `/v1/cron/${k}`,
      (k: string) => `/v1/cron/${k}/runs`,
      () => '/v1/sessions',
      () => '/v1/processes',
      () => '/v1/cron',
    ];
    const queryArb = fc.dictionary(
      fc.constantFrom('sessionKey', 'limit', 'offset', 'waitMs', 'afterSeq', 'agentId', 'x', 'limit[]'),
      fc.oneof(sessionKeyArb, fc.integer().map(String), fc.constantFrom('-1', '1e99', 'NaN', '0x10', '', '120001', '99999999999999999999')),
      { maxKeys: 3 },
    );
    await fc.assert(
      // Path segments up to 100 encoded chars here; longer ones have their own test below.
      fc.asyncProperty(
        fc.nat(templates.length - 1),
        sessionKeyArb.filter((k) => encodeURIComponent(k).length <= 100),
        queryArb,
        fc.constantFrom('GET', 'DELETE'),
        async (t, key, query, method) => {
          const path = templates[t]!(encodeURIComponent(key) || '%20');
          const qs = new URLSearchParams(query).toString();
          const url = `${path}${qs ? `?${qs}` : ''}`;
          // waitMs on a real run could block: bound it.
          assertTyped(await gw.api(method, url, undefined, { timeoutMs: 130_000 }), `${method} ${url.slice(0, 200)}`);
        },
      ),
      { numRuns: HTTP_RUNS },
    );
  });

  it('a session key with a literal "%" (accepted by POST /v1/agent) reads back through GET /v1/sessions/:key', async () => {
    const key = 'agent:main:100%-done';
    const created = await gw.api<{ sessionKey: string }>('POST', '/v1/agent', { message: 'percent', sessionKey: key });
    expect(created.status).toBe(202);
    for (const path of [
      `/v1/sessions/${encodeURIComponent(created.body.sessionKey)}`,
      `/v1/sessions/${encodeURIComponent(created.body.sessionKey)}/transcript`,
    ]) {
      const r = await gw.api('GET', path);
      assertTyped(r, `GET ${path}`);
      expect(r.status, `GET ${path} → ${r.text}`).toBe(200);
    }
  });

  it('a long session key (accepted by POST /v1/agent, up to 4096 chars) is addressable by every :key route, and long ids get typed errors', async () => {
    const key = `agent:main:${'k'.repeat(300)}`;
    const created = await gw.api<{ sessionKey: string; runId: string }>('POST', '/v1/agent', { message: 'long key', sessionKey: key });
    expect(created.status).toBe(202);
    await gw.api('GET', `/v1/runs/${created.body.runId}?waitMs=10000`);
    const enc = encodeURIComponent(key);
    for (const path of [`/v1/sessions/${enc}`, `/v1/sessions/${enc}/transcript`]) {
      const r = await gw.api('GET', path);
      assertTyped(r, `GET ${path.slice(0, 60)}…`);
      expect(r.status, `GET ${path.slice(0, 60)}… → ${r.text.slice(0, 200)}`).toBe(200);
    }
    for (const path of [`/v1/runs/${'r'.repeat(300)}`, `/v1/processes/${'p'.repeat(300)}/log`, `/v1/cron/${'c'.repeat(300)}`]) {
      const r = await gw.api('GET', path);
      assertTyped(r, `GET ${path.slice(0, 40)}…`);
      expect(r.status).toBe(404);
    }
  });

  it('session keys through POST /v1/agent, scoped queries and GET /v1/events', async () => {
    await fc.assert(
      fc.asyncProperty(
        sessionKeyArb,
        fc.option(fc.oneof(fc.constantFrom(...AGENTS, 'MAIN', 'nope', ' ', ''), fc.string({ maxLength: 8 })), { nil: undefined }),
        async (sessionKey, agentId) => {
          const r = await gw.api('POST', '/v1/agent', { message: 'fuzz', sessionKey, ...(agentId !== undefined ? { agentId } : {}) });
          assertTyped(r, `agent ${JSON.stringify({ sessionKey, agentId }).slice(0, 200)}`);
          if (r.status === 202) expect((r.body as { sessionKey: string }).sessionKey).toMatch(/^agent:[a-z0-9_-]+:.+/i);
          assertTyped(await gw.api('GET', `/v1/processes?sessionKey=${encodeURIComponent(sessionKey)}`), `processes ${sessionKey}`);
          assertTyped(await gw.api('GET', `/v1/cron?sessionKey=${encodeURIComponent(sessionKey)}`), `cron ${sessionKey}`);
          // SSE: either a typed 400 or a stream we close at once.
          const controller = new AbortController();
          const res = await fetch(`${gw.url}/v1/events?sessionKey=${encodeURIComponent(sessionKey)}`, {
            headers: { authorization: `Bearer ${gw.token}` },
            signal: controller.signal,
          });
          if (res.status === 200) {
            expect(res.headers.get('content-type')).toContain('text/event-stream');
            controller.abort();
          } else {
            const text = await res.text();
            assertTyped({ status: res.status, body: JSON.parse(text), text }, `events ${sessionKey}`);
          }
        },
      ),
      { numRuns: HTTP_RUNS },
    );
  });

  it('tools/invoke with arbitrary tools and arguments', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.constantFrom(
            'process',
            'sessions_list',
            'sessions_history',
            'exec',
            'cron',
            'sessions_spawn',
            'sessions_send',
            'nope',
            '__proto__',
            'constructor',
          ),
          fc.string({ maxLength: 12 }),
        ),
        fc.dictionary(
          fc.constantFrom('action', 'id', 'sessionKey', 'limit', 'offset', 'waitMs', 'data', 'keys', 'command'),
          fc.oneof(jsonish, sessionKeyArb),
          { maxKeys: 4 },
        ),
        sessionKeyArb,
        async (tool, args, sessionKey) => {
          const r = await gw.api('POST', '/v1/tools/invoke', { tool, args, sessionKey });
          assertTyped(r, `tools/invoke ${JSON.stringify({ tool, args, sessionKey }).slice(0, 200)}`);
          if (['exec', 'sessions_spawn', 'sessions_send', 'cron'].includes(tool)) expect(r.status).not.toBe(200);
        },
      ),
      { numRuns: HTTP_RUNS },
    );
  });

  it('is still healthy and consistent afterwards', async () => {
    expect((await gw.api('GET', '/healthz')).status).toBe(200);
    const s = await gw.api<{ count: number }>('GET', '/v1/sessions?limit=1000');
    expect(s.status).toBe(200);
    const m = await gw.api('GET', '/metrics');
    expect(m.text).not.toMatch(/pincer_http_requests_total\{[^}]*status="5\d\d"/);
  });
});

describe('CLI selector fuzz (the real pincer binary)', () => {
  const env = () => ({ PINCER_GATEWAY_URL: gw.url, PINCER_GATEWAY_TOKEN: gw.token });
  // commander treats a leading "-" as an option: pass values as --opt=value; argv cannot hold NUL.
  const argArb = sessionKeyArb.filter((s) => !s.includes('\0') && s.length < 2000);

  it(`pincer agent --session-key/--agent: exit 0 or 2 as the seed-003 rules say, one clear line, never a crash (${CLI_RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(
        argArb,
        fc.option(
          fc.oneof(
            fc.constantFrom(...AGENTS, 'OPS', 'nope', ' '),
            fc.string({ maxLength: 6 }).filter((s) => !s.includes('\0')),
          ),
          { nil: undefined },
        ),
        async (key, agent) => {
          const args = [
            'agent',
            `--session-key=${key}`,
            ...(agent !== undefined ? [`--agent=${agent}`] : []),
            '-m',
            'fuzz',
            '--json',
            '--timeout',
            '30',
          ];
          const r = await pincer(args, { stateDir: gw.state.dir, env: env() });
          const what = `pincer ${JSON.stringify(args)} → ${r.code}\n${r.stdout}\n${r.stderr}`;
          expect([0, 2], what).toContain(r.code);
          expect(r.stderr, what).not.toMatch(/^\s+at /m);
          const out = JSON.parse(r.stdout) as { ok: boolean; sessionKey?: string; error?: { type: string; message: string } };
          let oracle: { sessionKey: string } | undefined;
          try {
            if (key.trim() === '' || (agent !== undefined && agent.trim() === '')) throw new Error('blank');
            const r = normalizeExplicitSessionKey({
              sessionKey: key,
              ...(agent !== undefined ? { agentId: agent } : {}),
              defaultAgentId: 'main',
              knownAgentIds: AGENTS,
            });
            // Keys and --agent values naming an agent the config does not know are refused too.
            // (--agent values are normalized as session-key does: `OPS ` → ops, `!` → main.)
            const named = agent !== undefined ? normalizeAgentId(agent) : undefined;
            const owner = r.agentId ?? named ?? 'main';
            oracle = AGENTS.includes(owner) && (named === undefined || AGENTS.includes(named)) ? r : undefined;
          } catch {
            oracle = undefined;
          }
          if (oracle === undefined) {
            expect(r.code, what).toBe(2);
            expect(out, what).toMatchObject({ ok: false, error: { type: expect.any(String), message: expect.any(String) } });
          } else {
            expect(r.code, what).toBe(0);
            expect(out.ok, what).toBe(true);
          }
        },
      ),
      { numRuns: CLI_RUNS },
    );
  }, 300_000);

  it(`pincer ps --session / sessions show: typed failures only (${Math.ceil(CLI_RUNS / 2)} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(argArb, fc.constantFrom('ps', 'sessions show', 'sessions history'), async (key, cmd) => {
        const args = cmd === 'ps' ? ['ps', `--session=${key}`, '--json'] : [...cmd.split(' '), '--json', '--', key];
        const r = await pincer(args, { stateDir: gw.state.dir, env: env() });
        const what = `pincer ${JSON.stringify(args)} → ${r.code}\n${r.stdout}\n${r.stderr}`;
        expect([0, 1, 2], what).toContain(r.code);
        expect(r.stderr, what).not.toMatch(/^\s+at /m);
        const out = JSON.parse(r.stdout) as { ok: boolean; error?: { type: string; message: string } };
        if (r.code !== 0) expect(out, what).toMatchObject({ ok: false, error: { type: expect.any(String), message: expect.any(String) } });
        if (r.code === 1) expect(out.error?.type.toLowerCase(), what).toBe('not_found');
      }),
      { numRuns: Math.ceil(CLI_RUNS / 2) },
    );
  }, 300_000);
});
