import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createFakeRegistry } from '../test/fixtures/fake-registry.js';
import { loadBashSessions } from './bash-sessions.js';
import type { PluginApi, PluginHttpRequest, PluginLogger } from './plugin.js';
import { definePlugin } from './plugin.js';
import { createPluginHost, type PluginHost } from './host.js';

const hosts: PluginHost[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const host of hosts.splice(0)) await host.dispose();
});

function recordingLogger() {
  const lines: Array<{ level: string; message: string; fields: Readonly<Record<string, unknown>> | undefined }> = [];
  const make = (level: string) => (message: string, fields?: Readonly<Record<string, unknown>>) => {
    lines.push({ level, message, fields });
  };
  const logger: PluginLogger = { debug: make('debug'), info: make('info'), warn: make('warn'), error: make('error') };
  return { logger, lines };
}

function makeHost(options: Partial<Parameters<typeof createPluginHost>[0]> = {}) {
  const registry = createFakeRegistry();
  const { logger, lines } = recordingLogger();
  const host = createPluginHost({ registry, logger, ...options });
  hosts.push(host);
  return { host, registry, lines };
}

const noop = definePlugin({ id: 'noop', register() {} });

describe('createPluginHost', () => {
  it('rejects options without a usable registry, naming the field', () => {
    expect(() => createPluginHost({ registry: { snapshot() {} } as never })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', field: 'registry' }),
    );
    expect(() => createPluginHost({ registry: createFakeRegistry(), hookTimeoutMs: 0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', field: 'hookTimeoutMs' }),
    );
  });
});

describe('load', () => {
  it('runs register(api) and collects tools, routes, services and hooks', async () => {
    const { host } = makeHost();
    const info = await host.load(
      definePlugin({
        id: 'demo',
        name: 'Demo',
        version: '1.2.3',
        register(api) {
          api.registerTool({ name: 'demo_echo', description: 'Echo', parameters: z.object({ text: z.string() }), execute: (p) => p.text });
          api.registerHttpRoute({ method: 'GET', path: '/status', handler: () => ({ body: { ok: true } }) });
          api.registerService({ name: 'ticker', start() {} });
          api.on('session_start', () => undefined);
        },
      }),
    );
    expect(info).toEqual({
      id: 'demo',
      name: 'Demo',
      version: '1.2.3',
      description: undefined,
      tools: ['demo_echo'],
      routes: [{ method: 'GET', path: '/plugins/demo/status' }],
      services: ['ticker'],
      hooks: ['session_start'],
    });
    expect(host.plugins()).toEqual([info]);
    expect(host.routes()).toEqual([{ pluginId: 'demo', method: 'GET', path: '/plugins/demo/status', auth: 'gateway' }]);
    expect(host.tools().map((t) => t.name)).toEqual(['demo_echo']);
  });

  it('hands plugins a frozen api with config parsed by configSchema, clock and id', async () => {
    const { host } = makeHost({ clock: () => 42 });
    let seen: PluginApi<{ limitMs: number }> | undefined;
    await host.load(
      definePlugin({
        id: 'cfg',
        configSchema: z.object({ limitMs: z.number().int().positive().default(1000) }),
        register(api) {
          seen = api;
        },
      }),
      { config: {} },
    );
    expect(seen?.config).toEqual({ limitMs: 1000 });
    expect(seen?.clock()).toBe(42);
    expect(seen?.name).toBe('cfg');
    expect(Object.isFrozen(seen)).toBe(true);
  });

  it('rejects an invalid config with INVALID_CONFIG naming the JSON path, before register runs', async () => {
    const { host } = makeHost();
    const register = vi.fn();
    const plugin = definePlugin({ id: 'cfg', configSchema: z.object({ limitMs: z.number() }), register });
    await expect(host.load(plugin, { config: { limitMs: 'soon' } })).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      field: 'config.limitMs',
    });
    expect(register).not.toHaveBeenCalled();
  });

  it('rejects a second plugin with the same id', async () => {
    const { host } = makeHost();
    await host.load(noop);
    await expect(host.load(noop)).rejects.toMatchObject({ code: 'DUPLICATE_PLUGIN' });
  });

  it('rejects objects that did not come from a valid definition', async () => {
    const { host } = makeHost();
    await expect(host.load({ id: 'Bad Id', register() {} })).rejects.toMatchObject({ code: 'INVALID_PLUGIN', field: 'id' });
  });

  it('keeps nothing from a plugin whose register throws, and the id stays free', async () => {
    const { host } = makeHost();
    const failing = definePlugin({
      id: 'flaky',
      register(api) {
        api.registerHttpRoute({ method: 'GET', path: '/x', handler: () => ({}) });
        throw new Error('config missing');
      },
    });
    await expect(host.load(failing)).rejects.toMatchObject({
      code: 'PLUGIN_REGISTER_FAILED',
      message: expect.stringMatching(/config missing/),
    });
    expect(host.routes()).toEqual([]);
    expect(host.plugins()).toEqual([]);
    await expect(host.load(definePlugin({ id: 'flaky', register() {} }))).resolves.toMatchObject({ id: 'flaky' });
  });

  it('closes registration once register returns', async () => {
    const { host } = makeHost();
    let captured: PluginApi | undefined;
    await host.load(
      definePlugin({
        id: 'late',
        register: (api) => {
          captured = api;
        },
      }),
    );
    expect(() => captured?.registerHttpRoute({ method: 'GET', path: '/late', handler: () => ({}) })).toThrow(
      expect.objectContaining({ code: 'REGISTRATION_CLOSED' }),
    );
    expect(() => captured?.on('process_exit', () => undefined)).toThrow(expect.objectContaining({ code: 'REGISTRATION_CLOSED' }));
    expect(host.routes()).toEqual([]);
  });

  it('refuses a tool name another plugin already owns', async () => {
    const { host } = makeHost();
    const tool = { name: 'shared', description: 'd', parameters: z.object({}), execute: () => 'a' };
    await host.load(definePlugin({ id: 'a', register: (api) => api.registerTool(tool) }));
    await expect(host.load(definePlugin({ id: 'b', register: (api) => api.registerTool(tool) }))).rejects.toMatchObject({
      code: 'PLUGIN_REGISTER_FAILED',
      cause: expect.objectContaining({ code: 'DUPLICATE_TOOL' }),
    });
    expect(host.tools().map((t) => `${t.pluginId}:${t.name}`)).toEqual(['a:shared']);
  });

  it('validates registrations: bad tool names, escaping route paths, duplicate routes and services', async () => {
    const { host } = makeHost();
    const attempts: Array<(api: PluginApi) => void> = [
      (api) => api.registerTool({ name: 'bad name', description: 'd', parameters: z.object({}), execute: () => 1 }),
      (api) => api.registerTool({ name: 'ok', description: 'd', parameters: {} as never, execute: () => 1 }),
      (api) => api.registerHttpRoute({ method: 'GET', path: '/../../v1/sessions', handler: () => ({}) }),
      (api) => api.registerHttpRoute({ method: 'TRACE' as never, path: '/x', handler: () => ({}) }),
      (api) => api.registerHttpRoute({ method: 'GET', path: '/x', auth: 'none' as never, handler: () => ({}) }),
      (api) => {
        api.registerHttpRoute({ method: 'GET', path: '/x', handler: () => ({}) });
        api.registerHttpRoute({ method: 'GET', path: '/x', handler: () => ({}) });
      },
      (api) => {
        api.registerService({ name: 'svc', start() {} });
        api.registerService({ name: 'svc', start() {} });
      },
      (api) => api.on('tool_result' as 'session_start', () => undefined),
    ];
    const codes: string[] = [];
    for (const [index, attempt] of attempts.entries()) {
      const error = await host.load(definePlugin({ id: `p${index}`, register: attempt })).catch((e: unknown) => e);
      codes.push((error as { cause?: { code?: string } }).cause?.code ?? 'none');
    }
    expect(codes).toEqual([
      'INVALID_INPUT',
      'INVALID_INPUT',
      'INVALID_INPUT',
      'INVALID_INPUT',
      'INVALID_INPUT',
      'DUPLICATE_ROUTE',
      'DUPLICATE_SERVICE',
      'INVALID_INPUT',
    ]);
    expect(host.plugins()).toEqual([]);
  });
});

describe('tools', () => {
  it('validates arguments with the zod schema and passes a frozen context', async () => {
    const { host } = makeHost();
    const execute = vi.fn((params: { count: number }, _context: unknown) => ({ doubled: params.count * 2 }));
    await host.load(
      definePlugin({
        id: 'math',
        register: (api) =>
          api.registerTool({ name: 'double', description: 'Doubles', parameters: z.object({ count: z.number() }), execute }),
      }),
    );
    const [tool] = host.tools();
    await expect(tool?.execute({ count: 'two' })).rejects.toMatchObject({ code: 'INVALID_INPUT', field: 'params.count' });
    expect(execute).not.toHaveBeenCalled();
    await expect(tool?.execute({ count: 2 }, { sessionKey: 'agent:ops:main' })).resolves.toEqual({ doubled: 4 });
    const context = execute.mock.calls[0]?.[1];
    expect(context).toEqual({ sessionKey: 'agent:ops:main', agentId: undefined, toolCallId: undefined, signal: undefined });
    expect(Object.isFrozen(context)).toBe(true);
  });
});

describe('routes', () => {
  async function hostWithRoutes() {
    const made = makeHost();
    const seen: unknown[] = [];
    await made.host.load(
      definePlugin({
        id: 'web',
        register(api) {
          api.registerHttpRoute({ method: 'GET', path: '/shells/:id', handler: (req) => ({ body: { param: req.params.id } }) });
          api.registerHttpRoute({ method: 'GET', path: '/shells/all', handler: () => ({ body: 'static' }) });
          api.registerHttpRoute({
            method: 'POST',
            path: '/echo',
            handler: (req) => {
              seen.push(req);
              return { status: 201, headers: { 'x-plugin': 'web' }, body: req.body };
            },
          });
          api.registerHttpRoute({ method: 'POST', path: '/own-auth', auth: 'plugin', handler: (req) => ({ body: req.headers }) });
          api.registerHttpRoute({
            method: 'GET',
            path: '/boom',
            handler: () => {
              throw new Error('secret detail');
            },
          });
          api.registerHttpRoute({ method: 'GET', path: '/bad', handler: () => ({ status: 99 }) });
        },
      }),
    );
    await made.host.load(
      definePlugin({
        id: 'other',
        register: (api) => api.registerHttpRoute({ method: 'GET', path: '/', handler: () => ({ body: 'other' }) }),
      }),
    );
    return { ...made, seen };
  }

  it('matches static routes before parameterised ones and ignores the query string', async () => {
    const { host } = await hostWithRoutes();
    expect(await host.matchRoute('GET', '/plugins/web/shells/all?x=1')?.handle()).toMatchObject({ status: 200, body: 'static' });
    expect(await host.matchRoute('get', '/plugins/web/shells/abc')?.handle()).toMatchObject({ body: { param: 'abc' } });
    expect(host.matchRoute('DELETE', '/plugins/web/shells/abc')).toBeUndefined();
  });

  it("never routes one plugin's paths to another plugin", async () => {
    const { host } = await hostWithRoutes();
    expect(host.matchRoute('GET', '/plugins/other/shells/all')).toBeUndefined();
    expect(host.matchRoute('GET', '/plugins/web/../other/')).toBeUndefined();
    expect(host.matchRoute('GET', '/plugins/web/shells/%2E%2E')).toBeUndefined();
    expect(host.matchRoute('GET', '/plugins/other/')?.route.pluginId).toBe('other');
  });

  it('hides gateway credentials from gateway-auth routes and passes a frozen request copy', async () => {
    const { host, seen } = await hostWithRoutes();
    const body = { nested: { value: 1 } };
    const response = await host.matchRoute('POST', '/plugins/web/echo')?.handle({
      headers: { Authorization: 'Bearer gateway-token', Cookie: 'c=1', 'X-Trace': ['a', 'b'] },
      query: { q: 'x' },
      body,
    });
    expect(response).toEqual({ status: 201, headers: { 'x-plugin': 'web' }, body: { nested: { value: 1 } } });
    const request = seen[0] as { headers: Record<string, string>; body: typeof body };
    expect(request.headers).toEqual({ 'x-trace': 'a, b' });
    expect(Object.isFrozen(request.body.nested)).toBe(true);
    expect(request.body).not.toBe(body);
    expect(Object.isFrozen(body)).toBe(false);
  });

  it('passes headers intact to routes that authenticate themselves', async () => {
    const { host } = await hostWithRoutes();
    const response = await host.matchRoute('POST', '/plugins/web/own-auth')?.handle({ headers: { authorization: 'Bearer plugin-key' } });
    expect(response?.body).toEqual({ authorization: 'Bearer plugin-key' });
  });

  it('turns a throwing or malformed handler into a 500 plugin_error without leaking details', async () => {
    const { host, lines } = await hostWithRoutes();
    for (const path of ['/plugins/web/boom', '/plugins/web/bad']) {
      const response = await host.matchRoute('GET', path)?.handle();
      expect(response?.status).toBe(500);
      expect(response?.body).toEqual({ error: { code: 'plugin_error', message: 'Plugin "web" failed to handle the request.' } });
      expect(JSON.stringify(response)).not.toContain('secret detail');
    }
    expect(lines.filter((l) => l.level === 'error').map((l) => l.fields?.plugin)).toEqual(['web', 'web']);
  });
});

describe('route caller (issue 15 item 4)', () => {
  const scoped = {
    credentialId: 'tok_dashboard',
    kind: 'scoped',
    scope: { sessionKey: 'agent:ops:main' },
    capabilities: ['sessions:read', 'processes:read'],
  } as const;

  async function hostWithCallerRoutes() {
    const made = makeHost();
    const seen: Array<PluginHttpRequest['caller']> = [];
    await made.host.load(
      definePlugin({
        id: 'who',
        register(api) {
          api.registerHttpRoute({
            method: 'GET',
            path: '/me',
            handler: (request) => (seen.push(request.caller), { body: request.caller }),
          });
          api.registerHttpRoute({
            method: 'GET',
            path: '/public',
            auth: 'plugin',
            handler: (request) => (seen.push(request.caller), { body: 'ok' }),
          });
          // A route that enforces the caller's scope itself: a foreign session reads as missing.
          api.registerHttpRoute({
            method: 'GET',
            path: '/sessions/:key',
            handler: (request) => {
              const scope = request.caller?.scope;
              if (request.caller === null || (scope?.sessionKey !== undefined && scope.sessionKey !== request.params.key)) {
                return { status: 404, body: { error: 'not found' } };
              }
              return { body: { key: request.params.key } };
            },
          });
        },
      }),
    );
    return { ...made, seen };
  }

  it('hands a gateway-auth route the caller (frozen) and a plugin-auth route null', async () => {
    const { host, seen } = await hostWithCallerRoutes();
    expect((await host.matchRoute('GET', '/plugins/who/me')?.handle({ caller: scoped }))?.body).toEqual(scoped);
    expect(Object.isFrozen(seen[0])).toBe(true);
    expect(Object.isFrozen(seen[0]?.capabilities)).toBe(true);
    await host.matchRoute('GET', '/plugins/who/public')?.handle({ caller: scoped });
    expect(seen[1]).toBeNull();
    expect(
      host
        .routes()
        .filter((route) => route.auth === 'plugin')
        .map((route) => route.path),
    ).toEqual(['/plugins/who/public']);
  });

  it('keeps working for gateways that pass no caller (null)', async () => {
    const { host, seen } = await hostWithCallerRoutes();
    expect((await host.matchRoute('GET', '/plugins/who/me')?.handle({}))?.status).toBe(200);
    expect(seen[0]).toBeNull();
  });

  it('lets a plugin answer a foreign session exactly like a missing one', async () => {
    const { host } = await hostWithCallerRoutes();
    const own = await host.matchRoute('GET', '/plugins/who/sessions/agent:ops:main')?.handle({ caller: scoped });
    const foreign = await host.matchRoute('GET', '/plugins/who/sessions/agent:main:main')?.handle({ caller: scoped });
    const missing = await host.matchRoute('GET', '/plugins/who/sessions/agent:ops:nope')?.handle({ caller: scoped });
    expect(own?.status).toBe(200);
    expect(foreign).toEqual(missing);
  });

  it('fails closed (500, handler not run) on a malformed caller', async () => {
    const { host, seen } = await hostWithCallerRoutes();
    for (const caller of [{ ...scoped, kind: 'root' }, { ...scoped, scope: { tenant: 'x' } }, { credentialId: '' }]) {
      const response = await host.matchRoute('GET', '/plugins/who/me')?.handle({ caller: caller as never });
      expect(response?.status).toBe(500);
    }
    expect(seen).toEqual([]);
  });
});

describe('runBeforeToolCall', () => {
  const event = { toolName: 'exec', params: { command: 'rm -rf /' }, sessionKey: 'agent:ops:main' };

  it('does not block without handlers', async () => {
    const { host } = makeHost();
    await expect(host.runBeforeToolCall(event)).resolves.toEqual({ blocked: false });
  });

  it('the first blocking plugin wins and later handlers do not run', async () => {
    const { host } = makeHost();
    const later = vi.fn();
    await host.load(definePlugin({ id: 'allow', register: (api) => api.on('before_tool_call', () => ({ block: false })) }));
    await host.load(
      definePlugin({
        id: 'guard',
        register: (api) =>
          api.on('before_tool_call', (e) => (e.toolName === 'exec' ? { block: true, reason: 'exec is disabled' } : undefined)),
      }),
    );
    await host.load(definePlugin({ id: 'later', register: (api) => api.on('before_tool_call', later) }));
    await expect(host.runBeforeToolCall(event)).resolves.toEqual({ blocked: true, reason: 'exec is disabled', pluginId: 'guard' });
    expect(later).not.toHaveBeenCalled();
    await expect(host.runBeforeToolCall({ ...event, toolName: 'read' })).resolves.toEqual({ blocked: false });
  });

  it('fails closed when a handler throws or answers garbage', async () => {
    for (const handler of [
      () => {
        throw new Error('x');
      },
      () => ({ block: 'yes' }),
    ]) {
      const { host } = makeHost();
      await host.load(definePlugin({ id: 'broken', register: (api) => api.on('before_tool_call', handler as never) }));
      await expect(host.runBeforeToolCall(event)).resolves.toMatchObject({ blocked: true, pluginId: 'broken' });
    }
  });

  it('fails closed when a handler exceeds the hook timeout', async () => {
    vi.useFakeTimers();
    const { host } = makeHost({ hookTimeoutMs: 1_000 });
    await host.load(definePlugin({ id: 'slow', register: (api) => api.on('before_tool_call', () => new Promise<undefined>(() => {})) }));
    const decision = host.runBeforeToolCall(event);
    await vi.advanceTimersByTimeAsync(1_000);
    await expect(decision).resolves.toMatchObject({ blocked: true, reason: expect.stringMatching(/timed out after 1000 ms/) });
  });

  it('hands each handler a frozen copy: one plugin cannot rewrite what the next sees', async () => {
    const { host } = makeHost();
    const seen: unknown[] = [];
    await host.load(
      definePlugin({
        id: 'mutator',
        register: (api) =>
          api.on('before_tool_call', (e) => {
            (e.params as { command: string }).command = 'echo safe';
          }),
      }),
    );
    await host.load(definePlugin({ id: 'observer', register: (api) => api.on('before_tool_call', (e) => void seen.push(e.params)) }));
    const input = { ...event, params: { command: 'rm -rf /' } };
    const decision = await host.runBeforeToolCall(input);
    expect(decision).toMatchObject({ blocked: true, pluginId: 'mutator' });
    expect(input.params.command).toBe('rm -rf /');
    expect(seen).toEqual([]);
  });

  it('rejects a malformed event with INVALID_INPUT', async () => {
    const { host } = makeHost();
    await expect(host.runBeforeToolCall({ toolName: '', params: {}, sessionKey: 'k' })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      field: 'event.toolName',
    });
  });
});

describe('emit', () => {
  it('delivers observer hooks and logs (never throws) handler failures', async () => {
    const { host, lines } = makeHost();
    const seen: unknown[] = [];
    await host.load(definePlugin({ id: 'watch', register: (api) => api.on('session_start', (e) => void seen.push(e)) }));
    await host.load(
      definePlugin({
        id: 'crash',
        register: (api) =>
          api.on('session_start', () => {
            throw new Error('nope');
          }),
      }),
    );
    await host.emit('session_start', { sessionKey: 'agent:ops:main', agentId: 'ops' });
    expect(seen).toEqual([{ sessionKey: 'agent:ops:main', agentId: 'ops' }]);
    expect(lines).toContainEqual(expect.objectContaining({ level: 'warn', fields: expect.objectContaining({ plugin: 'crash' }) }));
  });

  it('rejects before_tool_call (use runBeforeToolCall) and malformed events', async () => {
    const { host } = makeHost();
    await expect(host.emit('before_tool_call' as never, {} as never)).rejects.toMatchObject({ code: 'INVALID_INPUT', field: 'hook' });
    await expect(host.emit('after_tool_call', { toolName: 'x', params: 1, sessionKey: 'k', durationMs: -1 })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      field: 'event.durationMs',
    });
  });

  it('feeds process_exit from registry exit events as stripped copies, and unsubscribes on dispose', async () => {
    const { host, registry } = makeHost();
    const seen: unknown[] = [];
    await host.load(definePlugin({ id: 'exits', register: (api) => api.on('process_exit', (e) => void seen.push(e)) }));
    const exit = {
      id: 'p1',
      scopeKey: 'agent:ops:main',
      sessionKey: undefined,
      status: 'exited' as const,
      exitCode: 0,
      signal: null,
      durationMs: 5,
      tail: 'done',
      shouldNotify: true,
    };
    registry.emitExit(exit);
    await vi.waitFor(() => expect(seen).toHaveLength(1));
    expect(seen[0]).toEqual({
      id: 'p1',
      scopeKey: 'agent:ops:main',
      sessionKey: undefined,
      status: 'exited',
      exitCode: 0,
      signal: null,
      durationMs: 5,
      tail: 'done',
    });
    expect(registry.listenerCount).toBe(1);
    await host.dispose();
    expect(registry.listenerCount).toBe(0);
  });
});

describe('services and dispose', () => {
  it('starts services in load order, starts late loads immediately, stops in reverse on dispose', async () => {
    const { host, lines } = makeHost();
    const order: string[] = [];
    const plugin = (id: string) =>
      definePlugin({
        id,
        register: (api) =>
          api.registerService({ name: 'svc', start: () => void order.push(`start ${id}`), stop: () => void order.push(`stop ${id}`) }),
      });
    await host.load(plugin('a'));
    await host.load(
      definePlugin({
        id: 'bad',
        register: (api) =>
          api.registerService({
            name: 'svc',
            start: () => {
              throw new Error('no');
            },
          }),
      }),
    );
    await host.load(plugin('b'));
    await host.start();
    await host.start();
    await host.load(plugin('c'));
    await host.dispose();
    await host.dispose();
    expect(order).toEqual(['start a', 'start b', 'start c', 'stop c', 'stop b', 'stop a']);
    expect(lines).toContainEqual(expect.objectContaining({ level: 'error', fields: expect.objectContaining({ plugin: 'bad' }) }));
  });

  it('after dispose, a retained api answers NO_HOST and the host refuses work', async () => {
    const { host, registry } = makeHost();
    registry.add({ id: 'x' });
    let captured: PluginApi | undefined;
    await host.load(
      definePlugin({
        id: 'keep',
        register(api) {
          captured = api;
          api.registerHttpRoute({ method: 'GET', path: '/', handler: () => ({}) });
        },
      }),
    );
    expect(captured?.bashSessions.loadBashSessions().running).toHaveLength(1);
    await host.dispose();
    expect(() => captured?.bashSessions.loadBashSessions()).toThrow(expect.objectContaining({ code: 'NO_HOST' }));
    await expect(captured?.bashSessions.killBashSession('x')).rejects.toMatchObject({ code: 'NO_HOST' });
    expect(registry.killCalls).toEqual([]);
    expect(host.matchRoute('GET', '/plugins/keep/')).toBeUndefined();
    expect(host.tools()).toEqual([]);
    await expect(host.load(noop)).rejects.toMatchObject({ code: 'HOST_DISPOSED' });
    await expect(host.runBeforeToolCall({ toolName: 't', params: {}, sessionKey: 'k' })).rejects.toMatchObject({ code: 'HOST_DISPOSED' });
  });
});

describe('api.bashSessions', () => {
  it('is bound to its own host registry, needs no global binding, and cannot reach another host', async () => {
    const a = makeHost();
    const b = makeHost();
    a.registry.add({ id: 'in-a' });
    b.registry.add({ id: 'in-b' });
    let apiA: PluginApi | undefined;
    await a.host.load(
      definePlugin({
        id: 'probe',
        register: (api) => {
          apiA = api;
        },
      }),
    );
    expect(() => loadBashSessions()).toThrow(expect.objectContaining({ code: 'NO_HOST' }));
    expect(apiA?.bashSessions.loadBashSessions().running.map((s) => s.id)).toEqual(['in-a']);
    const foreign = await apiA?.bashSessions.killBashSession('in-b');
    const unknown = await apiA?.bashSessions.killBashSession('never-existed');
    expect(foreign).toEqual(unknown);
    expect(foreign).toEqual({ status: 'not-found' });
    expect(b.registry.snapshot().running.map((s) => s.id)).toEqual(['in-b']);
    expect(b.registry.killCalls).toEqual([]);
  });

  it('tags plugin log lines with the plugin id', async () => {
    const { host, lines } = makeHost();
    await host.load(definePlugin({ id: 'talker', register: (api) => api.logger.info('hello', { n: 1 }) }));
    expect(lines).toContainEqual({ level: 'info', message: 'hello', fields: { n: 1, plugin: 'talker' } });
  });
});
