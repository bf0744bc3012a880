import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import { buildAgentPeerSessionKey, resolveThreadSessionKeys } from '@pincer/session-key';
import { agentOwners, agentSessionConfig, type BindingConfig } from '../config.js';
import { GatewayError, notFound } from '../errors.js';
import type { GatewayRuntime } from '../runtime.js';
import type { GatewayEvent } from '../runtime-types.js';
import { tokensEqual } from '../state.js';
import type { SessionRecord } from '../store/store.js';
import { buildOpenApi } from './openapi.js';
import { consolePlugin, isPublicConsoleRequest } from '../console/console-plugin.js';
import { parse } from '../validate.js';
import {
  AgentRequestSchema,
  CronCreateSchema,
  EventsQuerySchema,
  InboundRequestSchema,
  ProcessLogQuerySchema,
  ProcessesQuerySchema,
  RunQuerySchema,
  ScopedQuerySchema,
  SessionsQuerySchema,
  ToolInvokeSchema,
  TranscriptQuerySchema,
} from './schemas.js';

/** Default of `gateway.maxEventStreams`: open SSE streams before `GET /v1/events` answers 503. */
export const DEFAULT_MAX_EVENT_STREAMS = 64;
/** An SSE client this far behind (bytes buffered, unread) is disconnected rather than buffered without bound. */
export const SSE_MAX_BUFFERED_BYTES = 1_048_576;

/** Failed-auth limiter settings. */
export interface AuthLimitOptions {
  /** Failed attempts allowed per window. Default 10. */
  maxAttempts?: number;
  /** Window, ms. Default 60 000. */
  windowMs?: number;
  /** Lockout after the limit, ms. Default 300 000. */
  lockoutMs?: number;
  /** Clock (epoch ms) the limiter reads. Default `Date.now`. */
  now?: () => number;
}


function sessionView(rt: GatewayRuntime, s: SessionRecord) {
  return {
    key: s.key,
    agentId: s.agentId,
    sessionId: s.sessionId,
    kind: s.kind,
    label: s.label,
    spawnedBy: s.spawnedBy,
    spawnDepth: s.spawnDepth,
    channel: s.channel,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
    lastRunId: s.lastRunId,
    queuedEvents: rt.subsystems.queue.peek(s.key).length,
  };
}

function pickBinding(bindings: ReadonlyArray<BindingConfig>, b: z.output<typeof InboundRequestSchema>): BindingConfig | undefined {
  let best: { score: number; binding: BindingConfig } | undefined;
  const channel = b.channel.toLowerCase();
  for (const binding of bindings) {
    const m = binding.match;
    if (m.channel.toLowerCase() !== channel) continue;
    if (m.accountId !== undefined && m.accountId.toLowerCase() !== (b.accountId ?? 'default').toLowerCase()) continue;
    if (m.peer && (m.peer.kind !== b.peer.kind || m.peer.id.toLowerCase() !== b.peer.id.toLowerCase())) continue;
    const score = (m.peer ? 4 : 0) + (m.accountId !== undefined ? 2 : 0) + 1;
    if (!best || score > best.score) best = { score, binding };
  }
  return best?.binding;
}

/** Build the Fastify app over a runtime (routes, auth, errors). Not listening yet. */
export function buildHttpApp(rt: GatewayRuntime, opts: { token: string; authLimit?: AuthLimitOptions }): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: rt.config.gateway?.bodyLimitBytes ?? 1_048_576,
    forceCloseConnections: true,
    // Session keys travel in path segments and may be long (POST /v1/agent accepts up to 4096 chars).
    routerOptions: { maxParamLength: 16_384 },
    // Router-level failures (bad URL encoding, over-long params) answer in the uniform error shape.
    frameworkErrors: (error, _req, reply) => {
      void (reply as unknown as FastifyReply).status(400).send({ error: { code: 'invalid_request', message: error.message, field: 'path' } });
    },
  });
  const maxAttempts = opts.authLimit?.maxAttempts ?? rt.config.gateway?.authMaxAttempts ?? 10;
  const windowMs = opts.authLimit?.windowMs ?? 60_000;
  const lockoutMs = opts.authLimit?.lockoutMs ?? 300_000;
  const clock = opts.authLimit?.now ?? Date.now;
  const failures = new Map<string, { at: number[]; lockedUntil: number }>();
  const sseClients = new Set<FastifyReply>();
  const maxEventStreams = rt.config.gateway?.maxEventStreams ?? DEFAULT_MAX_EVENT_STREAMS;

  app.addHook('onRequest', async (req, reply) => {
    const path = req.url.split('?')[0] ?? '';
    if (path === '/healthz' || isPublicConsoleRequest(req.method, path)) return;
    const match = path.startsWith('/plugins/') ? rt.subsystems.plugins.matchRoute(req.method, path) : undefined;
    if (match && match.route.auth === 'plugin') return;
    const ip = req.ip;
    const now = clock();
    const entry = failures.get(ip);
    if (entry && entry.lockedUntil > now) {
      const retry = Math.ceil((entry.lockedUntil - now) / 1000);
      void reply.header('retry-after', String(retry));
      throw new GatewayError('rate_limited', `Too many failed authentication attempts; retry in ${retry} s.`);
    }
    const header = req.headers.authorization ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(header);
    if (m && tokensEqual(m[1]!.trim(), opts.token)) return;
    rt.metrics.authFailures.inc();
    const e = entry ?? { at: [], lockedUntil: 0 };
    e.at = e.at.filter((t) => now - t < windowMs);
    e.at.push(now);
    if (e.at.length >= maxAttempts) {
      e.lockedUntil = now + lockoutMs;
      e.at = [];
    }
    failures.set(ip, e);
    // Bound the limiter's memory.
    if (failures.size > 10_000) for (const k of failures.keys()) if (failures.size > 5_000) failures.delete(k);
    throw new GatewayError('unauthorized', header === '' ? 'Missing bearer token (Authorization: Bearer <token>).' : 'Invalid bearer token.');
  });

  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    rt.metrics.httpRequests.inc({ method: req.method, route, status: String(reply.statusCode) });
    rt.logger.debug({ method: req.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'http');
  });

  app.setErrorHandler((err: unknown, _req, reply) => {
    if (GatewayError.isInstance(err)) {
      void reply.status(err.status).send(err.toBody());
      return;
    }
    const fe = err as { statusCode?: number; code?: string; message?: string };
    if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
      const code = fe.statusCode === 413 ? 'invalid_request' : fe.statusCode === 404 ? 'not_found' : 'invalid_request';
      void reply.status(fe.statusCode).send({ error: { code, message: fe.message ?? 'Bad request', field: 'body' } });
      return;
    }
    rt.metrics.errors.inc({ where: 'http' });
    rt.logger.error({ err }, 'unhandled HTTP error');
    void reply.status(500).send({ error: { code: 'internal', message: 'Internal error; see the gateway log.' } });
  });

  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send(notFound(`Route ${req.method} ${req.url.split('?')[0]}`).toBody());
  });

  // `scope` (a caller's own session, from `?sessionKey=`): any other session answers exactly like a missing one.
  const sessionOr404 = (raw: string, scope?: string): SessionRecord => {
    const key = raw.trim(); // Fastify already percent-decoded the path parameter
    const s = rt.store.getSession(key) ?? rt.store.getSession(key.toLowerCase());
    if (!s || (scope !== undefined && s.key !== scope)) throw notFound(`Session ${key}`);
    return s;
  };
  // When a caller scopes a request to a session, objects of any other session answer exactly like missing ones.
  const scopeKeyOf = (sessionKey: string | undefined): string | undefined => {
    if (sessionKey === undefined) return undefined;
    try {
      return rt.resolveTurnTarget({ sessionKey }).sessionKey;
    } catch (e) {
      if (GatewayError.isInstance(e)) throw new GatewayError(e.code, e.message, { field: 'sessionKey' });
      throw e;
    }
  };

  void app.register(consolePlugin);
  app.get('/healthz', async () => ({ ok: true, version: 1 }));

  app.get('/openapi.json', async () => buildOpenApi());

  app.get('/metrics', async (_req, reply) => {
    rt.metrics.queueDepth.set(rt.subsystems.queue.stats().events);
    rt.metrics.processesRunning.set(rt.subsystems.registry.stats().running);
    void reply.header('content-type', rt.metrics.registry.contentType);
    return rt.metrics.registry.metrics();
  });

  app.post('/v1/agent', async (req, reply) => {
    const body = parse(AgentRequestSchema, req.body, '');
    const r = rt.submitTurn(body);
    void reply.status(r.isDuplicate ? 200 : 202);
    return { runId: r.runId, sessionKey: r.sessionKey };
  });

  app.get<{ Params: { id: string } }>('/v1/runs/:id', async (req) => {
    const q = parse(RunQuerySchema, req.query, 'query');
    const scope = scopeKeyOf(q.sessionKey);
    const pre = rt.store.getRun(req.params.id);
    if (!pre || (scope !== undefined && pre.sessionKey !== scope)) throw notFound(`Run ${req.params.id}`);
    const view = await rt.getRun(req.params.id, q.waitMs);
    if (!view) throw notFound(`Run ${req.params.id}`);
    return view;
  });

  app.post('/v1/inbound', async (req, reply) => {
    const b = parse(InboundRequestSchema, req.body, '');
    const binding = pickBinding(rt.config.bindings ?? [], b);
    const agentId = binding ? binding.agentId.toLowerCase() : rt.config.defaultAgent;
    const sess = { ...agentSessionConfig(rt.config, agentId), ...(binding?.session ?? {}) };
    if (b.peer.kind === 'direct') {
      const owners = agentOwners(rt.config, agentId).map((o) => o.trim().toLowerCase());
      if (owners.length > 0 && !owners.includes('*') && !owners.includes(b.sender.trim().toLowerCase())) {
        throw new GatewayError('forbidden', `Sender "${b.sender}" is not on agent "${agentId}"'s owner allowlist; direct messages are refused.`, {
          field: 'sender',
        });
      }
    }
    const base = buildAgentPeerSessionKey({
      agentId,
      channel: b.channel,
      accountId: b.accountId ?? null,
      peerKind: b.peer.kind,
      peerId: b.peer.id,
      ...(sess.mainKey ? { mainKey: sess.mainKey } : {}),
      ...(sess.dmScope ? { dmScope: sess.dmScope } : {}),
      ...(sess.groupScope ? { groupScope: sess.groupScope } : {}),
      ...(sess.identityLinks ? { identityLinks: sess.identityLinks } : {}),
    });
    const sessionKey = b.threadId ? resolveThreadSessionKeys({ baseSessionKey: base, threadId: b.threadId }).sessionKey : base;
    const { run } = rt.enqueueRun({ sessionKey, agentId, message: b.text, kind: 'inbound' });
    const s = rt.store.getSession(sessionKey);
    if (s && s.channel === null) {
      rt.store.upsertSession({ ...s, channel: b.channel.toLowerCase(), peerKind: b.peer.kind, peerId: b.peer.id, now: Date.now() });
    }
    void reply.status(202);
    return { runId: run.id, sessionKey, agentId };
  });

  app.get('/v1/sessions', async (req) => {
    const q = parse(SessionsQuerySchema, req.query, 'query');
    const scope = scopeKeyOf(q.sessionKey);
    const sessions = (
      scope !== undefined
        ? [rt.store.getSession(scope)].filter((s): s is SessionRecord => s !== undefined && (!q.agentId || s.agentId === q.agentId.toLowerCase()))
        : rt.store.listSessions({ ...(q.agentId ? { agentId: q.agentId.toLowerCase() } : {}), ...(q.limit ? { limit: q.limit } : {}) })
    ).map((s) => sessionView(rt, s));
    return { count: sessions.length, sessions };
  });

  app.get<{ Params: { key: string } }>('/v1/sessions/:key', async (req) => {
    const q = parse(ScopedQuerySchema, req.query, 'query');
    return sessionView(rt, sessionOr404(req.params.key, scopeKeyOf(q.sessionKey)));
  });

  app.get<{ Params: { key: string } }>('/v1/sessions/:key/transcript', async (req) => {
    const q = parse(TranscriptQuerySchema, req.query, 'query');
    const s = sessionOr404(req.params.key, scopeKeyOf(q.sessionKey));
    const entries = rt.store
      .transcript(s.key, { sessionId: s.sessionId, ...(q.limit ? { limit: q.limit } : {}), ...(q.afterSeq ? { afterSeq: q.afterSeq } : {}) })
      .map((e) => ({ seq: e.seq, role: e.role, text: e.text, runId: e.runId, createdAt: e.createdAt }));
    return { sessionKey: s.key, sessionId: s.sessionId, entries };
  });

  app.post<{ Params: { key: string } }>('/v1/sessions/:key/reset', async (req) => {
    const s = sessionOr404(req.params.key, scopeKeyOf(parse(ScopedQuerySchema, req.query, 'query').sessionKey));
    const ids = rt.subsystems.queue.peek(s.key).map((e) => e.id);
    if (ids.length > 0) rt.subsystems.queue.remove(s.key, ids);
    const sessionId = crypto.randomUUID();
    rt.store.resetSession(s.key, sessionId, Date.now());
    return { sessionKey: s.key, sessionId, previousSessionId: s.sessionId };
  });

  app.delete<{ Params: { key: string } }>('/v1/sessions/:key', async (req) => {
    const s = sessionOr404(req.params.key, scopeKeyOf(parse(ScopedQuerySchema, req.query, 'query').sessionKey));
    if (rt.isBusy(s.key)) throw new GatewayError('conflict', `Session ${s.key} has a turn in progress; delete it once the run ends.`);
    if (rt.subsystems.queue.has(s.key)) {
      const ids = rt.subsystems.queue.peek(s.key).map((e) => e.id);
      rt.subsystems.queue.remove(s.key, ids);
    }
    rt.store.deleteSession(s.key);
    return { deleted: true, sessionKey: s.key };
  });

  const processView = (p: Record<string, unknown>) => p;
  app.get('/v1/processes', async (req) => {
    const q = parse(ProcessesQuerySchema, req.query, 'query');
    const scope = scopeKeyOf(q.sessionKey);
    const live = rt.subsystems.shells.loadBashSessions();
    const liveIds = new Set([...live.running, ...live.finished].map((p) => p.id));
    const all = [
      ...live.running.map((p) => ({ ...p, source: 'registry' })),
      ...live.finished.map((p) => ({ ...p, source: 'registry' })),
      ...rt.subsystems.operatorList().filter((p) => !liveIds.has(String(p.id))),
    ].filter((p) => scope === undefined || p.sessionKey === scope || p.scopeKey === scope);
    return { count: all.length, processes: all.map(processView) };
  });

  app.get<{ Params: { id: string } }>('/v1/processes/:id/log', async (req) => {
    const q = parse(ProcessLogQuerySchema, req.query, 'query');
    const scope = scopeKeyOf(q.sessionKey);
    const known = rt.subsystems.operatorGet(req.params.id);
    if (!known || (scope !== undefined && known.sessionKey !== scope && known.scopeKey !== scope)) throw notFound(`Process ${req.params.id}`);
    const r = rt.subsystems.operatorLog(req.params.id, {
      ...(q.offset !== undefined ? { offset: q.offset } : {}),
      ...(q.limit !== undefined ? { limit: q.limit } : {}),
    });
    if (!r) throw notFound(`Process ${req.params.id}`);
    return r;
  });

  app.post<{ Params: { id: string } }>('/v1/processes/:id/kill', async (req) => {
    const q = parse(ScopedQuerySchema, req.query, 'query');
    const scope = scopeKeyOf(q.sessionKey);
    const known = rt.subsystems.operatorGet(req.params.id);
    if (!known || (scope !== undefined && known.sessionKey !== scope && known.scopeKey !== scope)) throw notFound(`Process ${req.params.id}`);
    const r = await rt.subsystems.shells.killBashSession(req.params.id);
    if (r.status === 'not-found') {
      // Known only from the journal (a previous gateway's process, already reaped or exited).
      return { id: req.params.id, status: 'already-exited' };
    }
    return { id: req.params.id, ...r };
  });

  app.post('/v1/tools/invoke', async (req) => {
    const b = parse(ToolInvokeSchema, req.body, '');
    const result = await rt.invokeTool(b.tool, b.args ?? {}, b.sessionKey);
    return { ok: true, result };
  });

  app.get('/v1/cron', async (req) => {
    const q = parse(ScopedQuerySchema, req.query, 'query');
    const scope = scopeKeyOf(q.sessionKey);
    const jobs = rt.subsystems.cron
      .list()
      .filter((j) => scope === undefined || rt.subsystems.cronOwner(j) === scope)
      .map((j) => ({ ...j, ownerSessionKey: rt.subsystems.cronOwner(j) ?? null }));
    return { count: jobs.length, jobs };
  });

  app.post('/v1/cron', async (req, reply) => {
    const b = parse(CronCreateSchema, req.body, '');
    const target = scopeKeyOf(b.sessionKey)!;
    const agentId = target.split(':')[1]!;
    const r = (await rt.subsystems.cronTool(
      { agentId, sessionKey: target, sessionId: '', depth: 0, via: 'http' },
      {
        action: 'add',
        text: b.text,
        ...(b.every !== undefined ? { every: b.every } : {}),
        ...(b.at !== undefined ? { at: b.at } : {}),
        ...(b.in !== undefined ? { in: b.in } : {}),
        ...(b.cron !== undefined ? { cron: b.cron } : {}),
        ...(b.tz !== undefined ? { tz: b.tz } : {}),
        ...(b.kind ? { kind: b.kind } : {}),
        ...(b.target ? { target: b.target } : {}),
        ...(b.name ? { name: b.name } : {}),
      },
    )) as { status: string; id?: string; error?: string };
    if (r.status !== 'added' || !r.id) {
      const field = b.every !== undefined ? 'every' : b.at !== undefined ? 'at' : b.in !== undefined ? 'in' : 'cron';
      throw new GatewayError('invalid_request', r.error ?? 'could not add the job', { field });
    }
    void reply.status(201);
    const job = rt.subsystems.cron.get(r.id)!;
    return { ...job, ownerSessionKey: target };
  });

  const cronOr404 = (id: string, sessionKey: string | undefined) => {
    const scope = scopeKeyOf(sessionKey);
    const job = rt.subsystems.cron.get(id);
    if (!job || (scope !== undefined && rt.subsystems.cronOwner(job) !== scope)) throw notFound(`Cron job ${id}`);
    return job;
  };
  app.get<{ Params: { id: string } }>('/v1/cron/:id', async (req) => {
    const job = cronOr404(req.params.id, parse(ScopedQuerySchema, req.query, 'query').sessionKey);
    return { ...job, ownerSessionKey: rt.subsystems.cronOwner(job) ?? null };
  });
  app.get<{ Params: { id: string } }>('/v1/cron/:id/runs', async (req) => {
    const job = cronOr404(req.params.id, parse(ScopedQuerySchema, req.query, 'query').sessionKey);
    return { id: job.id, runs: rt.subsystems.cron.runs(job.id) };
  });
  app.post<{ Params: { id: string } }>('/v1/cron/:id/run', async (req) => {
    const job = cronOr404(req.params.id, parse(ScopedQuerySchema, req.query, 'query').sessionKey);
    const run = await rt.subsystems.cron.runNow(job.id);
    return { id: job.id, run };
  });
  app.delete<{ Params: { id: string } }>('/v1/cron/:id', async (req) => {
    const job = cronOr404(req.params.id, parse(ScopedQuerySchema, req.query, 'query').sessionKey);
    await rt.subsystems.cron.remove(job.id);
    return { deleted: true, id: job.id };
  });

  app.get('/v1/events', async (req: FastifyRequest, reply: FastifyReply) => {
    const q = parse(EventsQuerySchema, req.query, 'query');
    const keys = new Set((Array.isArray(q.sessionKey) ? q.sessionKey : [q.sessionKey]).map((k) => scopeKeyOf(k)!));
    if (sseClients.size >= maxEventStreams) {
      throw new GatewayError('unavailable', `Too many open event streams (${maxEventStreams}, gateway.maxEventStreams); close one and retry.`);
    }
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    raw.write(`: subscribed ${[...keys].join(' ')}\n\n`);
    let seq = 0;
    const onEvent = (e: GatewayEvent) => {
      if (!keys.has(e.sessionKey)) return;
      // A reader that stopped reading is dropped, not buffered without bound.
      if (raw.writableLength > SSE_MAX_BUFFERED_BYTES) {
        raw.destroy();
        return;
      }
      seq += 1;
      raw.write(`id: ${seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
    };
    rt.bus.on('event', onEvent);
    const ping = setInterval(() => raw.write(': ping\n\n'), 15_000);
    ping.unref?.();
    sseClients.add(reply);
    const cleanup = () => {
      clearInterval(ping);
      rt.bus.off('event', onEvent);
      sseClients.delete(reply);
    };
    raw.on('close', cleanup);
  });

  // Plugin routes under /plugins/<id>/…
  const pluginHandler = async (req: FastifyRequest, reply: FastifyReply) => {
    const path = req.url.split('?')[0] ?? '';
    const match = rt.subsystems.plugins.matchRoute(req.method, path);
    if (!match) throw notFound(`Route ${req.method} ${path}`);
    const headers: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    const res = await match.handle({ headers, query: req.query as Record<string, string>, body: req.body });
    void reply.status(res.status).headers(res.headers);
    return res.body;
  };
  app.route({ method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], url: '/plugins/*', handler: pluginHandler });

  app.addHook('onClose', async () => {
    for (const r of sseClients) r.raw.end();
    sseClients.clear();
  });
  return app;
}
