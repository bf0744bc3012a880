import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { generateText, jsonSchema, stepCountIs, tool, type ModelMessage, type ToolSet } from 'ai';
import pino, { type Logger } from 'pino';
import { z } from 'zod';
import {
  buildAgentMainSessionKey,
  deriveProcessScopeKey,
  getSubagentDepth,
  isUnscopedSessionKeySentinel,
  normalizeAgentId,
  normalizeExplicitSessionKey,
  parseAgentSessionKey,
  SessionKeyError,
} from '@pincer/session-key';
import {
  agentOwners,
  agentSessionConfig,
  findAgent,
  loadConfig,
  type GatewayConfig,
} from './config.js';
import { GatewayError, formatPath, notFound } from './errors.js';
import { createMetrics, type GatewayMetrics } from './metrics.js';
import { HEARTBEAT_PROMPT } from './model/default-rules.js';
import { createModelResolver, type ModelResolver } from './model/providers.js';
import { createLanes, type Lanes } from './runner/lanes.js';
import type { AgentTurnInput, AgentTurnResult, EnqueueRunInput, GatewayEvent, RunView } from './runtime-types.js';
import { ensureStateDir, resolveConfigPath, resolveStateDir } from './state.js';
import { createGatewayStore, type GatewayStore, type RunKind, type RunRecord } from './store/store.js';
import { createBuiltinTools } from './tools/builtin.js';
import type { GatewayTool, ToolContext } from './tools/types.js';
import { HTTP_REFUSED_TOOLS, PROCESS_INPUT_ACTIONS } from './tools/types.js';
import { createSubsystems, type Subsystems } from './wiring.js';
import { AgentRequestSchema } from './http/schemas.js';
import { parse } from './validate.js';

/** Options of {@link createGatewayRuntime}. */
export interface GatewayRuntimeOptions {
  /** State directory (default env `PINCER_STATE_DIR`, else `~/.pincer`). */
  stateDir?: string;
  /** Config path (default env `PINCER_CONFIG`, else `<stateDir>/pincer.config.json` if present). */
  configPath?: string;
  /** A config object instead of a file (tests). */
  config?: GatewayConfig;
  /** pino logger; default a silent-ish logger at `logLevel`. */
  logger?: Logger;
  /** pino level (default `warn`; env `PINCER_LOG_LEVEL`). */
  logLevel?: string;
  /** Injected clock (epoch ms). Default `Date.now`. */
  now?: () => number;
  /** Id generator. Default `crypto.randomUUID`. */
  newId?: () => string;
  /**
   * Own the state dir as the server: finalize interrupted runs, reap orphans, resume sub-agent
   * announcements, run cron and interval heartbeats. Default false (the embedded runtime of
   * `pincer agent --local`, which may share the state dir with a running gateway); `startGateway` sets it.
   */
  isServer?: boolean;
}

/** The composed gateway: store, runner, tools, wiring. HTTP sits on top of it. */
export interface GatewayRuntime {
  readonly config: GatewayConfig;
  readonly stateDir: string;
  readonly store: GatewayStore;
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
  readonly bus: EventEmitter;
  readonly subsystems: Subsystems;
  /** Resolve the session key of a turn request (seed-003 rules). Throws GatewayError 400. */
  resolveTurnTarget(input: Pick<AgentTurnInput, 'agentId' | 'sessionKey' | 'sessionId' | 'to'>): { sessionKey: string; agentId: string };
  /** Queue a turn; resolves at once with the run id and the session key. */
  submitTurn(input: AgentTurnInput & { kind?: RunKind }): { runId: string; sessionKey: string; isDuplicate: boolean };
  /** Queue a turn in an already-resolved session (internal callers). */
  enqueueRun(input: EnqueueRunInput): { run: RunRecord; done: Promise<RunRecord> };
  /** Run a turn to completion (the embedded `pincer agent --local` path). */
  runAgentTurn(input: AgentTurnInput): Promise<AgentTurnResult>;
  /** A run's public view, waiting up to `waitMs` for it to finish. */
  getRun(runId: string, waitMs?: number): Promise<RunView | undefined>;
  /** Invoke a tool over HTTP (refusals applied). */
  invokeTool(name: string, args: unknown, sessionKey: string): Promise<unknown>;
  /** True while a session has a queued or running turn. */
  isBusy(sessionKey: string): boolean;
  /** Emit an event to SSE subscribers. */
  publishEvent(e: GatewayEvent): void;
  /** Stop: refuse new runs, finish/cancel running ones, stop processes by policy, close the DB. */
  close(): Promise<void>;
}

const DEFAULT_RUN_TIMEOUT_MS = 600_000;
/** Default of `gateway.maxQueuedRuns`: turns queued or running before HTTP submissions get 503. */
export const DEFAULT_MAX_QUEUED_RUNS = 1_000;
const HISTORY_MESSAGES = 40;

function toRunView(r: RunRecord): RunView {
  return {
    runId: r.id,
    sessionKey: r.sessionKey,
    agentId: r.agentId,
    kind: r.kind,
    status: r.status,
    ...(r.reply !== null ? { reply: r.reply } : {}),
    ...(r.error !== null ? { error: r.error } : {}),
    createdAt: r.createdAt,
    ...(r.startedAt !== null ? { startedAt: r.startedAt } : {}),
    ...(r.endedAt !== null ? { endedAt: r.endedAt } : {}),
  };
}

/** Map a SessionKeyError to a 400 with the same message. */
export function sessionKeyErrorToGateway(e: unknown, field: string): never {
  if (SessionKeyError.isInstance(e)) throw new GatewayError('invalid_request', e.message, { field, cause: e });
  throw e;
}

/**
 * Create the runtime on a state dir: opens (and migrates) `pincer.db`, loads the config,
 * builds the process registry, queues, schedulers and plugin host.
 */
export async function createGatewayRuntime(options: GatewayRuntimeOptions = {}): Promise<GatewayRuntime> {
  const stateDir = resolveStateDir(options.stateDir);
  ensureStateDir(stateDir);
  const config = options.config ?? loadConfig(resolveConfigPath(stateDir, options.configPath));
  const logger =
    options.logger ?? pino({ level: options.logLevel ?? process.env.PINCER_LOG_LEVEL ?? 'warn', base: { app: 'pincer-gateway' } });
  const now = options.now ?? Date.now;
  const newId = options.newId ?? randomUUID;
  const store = createGatewayStore(join(stateDir, 'pincer.db'));
  const metrics = createMetrics();
  const bus = new EventEmitter();
  bus.setMaxListeners(0);
  const models: ModelResolver = createModelResolver(config);
  const lanes: Lanes = createLanes({ maxConcurrent: config.gateway?.maxConcurrentRuns ?? 4 });
  const knownAgentIds = config.agents.map((a) => a.id);
  const waiters = new Map<string, Promise<RunRecord>>();
  const controllers = new Map<string, AbortController>();
  let isClosing = false;
  let closing: Promise<void> | undefined;

  const publishEvent = (e: GatewayEvent): void => {
    bus.emit('event', e);
  };

  const isServer = options.isServer ?? false;
  // Runs left queued/running by a dead gateway are finalized as interrupted (never silently replayed).
  for (const r of isServer ? store.listRunsByStatus(['queued', 'running']) : []) {
    store.updateRun(r.id, { status: 'error', error: 'interrupted: the gateway restarted before this run finished', endedAt: now() });
  }

  const ensureSession = (sessionKey: string, agentId: string, extra?: { kind?: string; spawnedBy?: string; depth?: number; channel?: string; peerKind?: string; peerId?: string; label?: string }) => {
    const existing = store.getSession(sessionKey);
    if (existing) return existing;
    const created = store.upsertSession({
      key: sessionKey,
      agentId,
      sessionId: newId(),
      kind: extra?.kind ?? 'direct',
      label: extra?.label ?? null,
      spawnedBy: extra?.spawnedBy ?? null,
      spawnDepth: extra?.depth ?? getSubagentDepth(sessionKey),
      channel: extra?.channel ?? null,
      peerKind: extra?.peerKind ?? null,
      peerId: extra?.peerId ?? null,
      now: now(),
    });
    if (isWired) {
      void subsystems.plugins.emit('session_start', { sessionKey, agentId, sessionId: created.sessionId }).catch(() => undefined);
    }
    return created;
  };

  /** sessions_list / sessions_history visibility: `tree` (self + spawned descendants) or `agent`. */
  const canSee = (ctx: ToolContext, key: string): boolean => {
    const target = store.getSession(key);
    if (!target || target.agentId === undefined) return false;
    if (key === ctx.sessionKey) return true;
    if (findAgent(config, ctx.agentId)?.tools?.sessionsVisibility === 'agent') return target.agentId === ctx.agentId;
    let cur: string | null = target.spawnedBy;
    for (let i = 0; cur !== null && i < 16; i++) {
      if (cur === ctx.sessionKey) return true;
      cur = store.getSession(cur)?.spawnedBy ?? null;
    }
    return false;
  };

  // Late-bound: the wiring needs enqueueRun and the tools need the wiring.
  let subsystems!: Subsystems;
  let isWired = false;

  const builtin = createBuiltinTools({
    exec: (ctx, args) => subsystems.execTool(ctx, args),
    process: (ctx, args) => subsystems.processTool(ctx, args),
    spawn: (ctx, args) => subsystems.spawnTool(ctx, args),
    cron: (ctx, args) => subsystems.cronTool(ctx, args),
    listSessions: async (ctx, args) => {
      const visible = store
        .listSessions({ limit: 1000 })
        .filter((s) => canSee(ctx, s.key))
        .slice(0, args.limit ?? 100)
        .map((s) => ({ key: s.key, agentId: s.agentId, kind: s.kind, label: s.label, spawnedBy: s.spawnedBy, updatedAt: s.updatedAt }));
      return { count: visible.length, sessions: visible };
    },
    history: async (ctx, args) => {
      const s = store.getSession(args.sessionKey.trim());
      // Sessions outside the caller's visibility answer exactly like missing ones.
      if (!s || !canSee(ctx, s.key)) return { status: 'error', error: `Session ${args.sessionKey} not found.` };
      const entries = store.transcript(s.key, { sessionId: s.sessionId, limit: args.limit ?? 50 });
      return {
        sessionKey: s.key,
        messages: entries.filter((e) => e.role !== 'tool').map((e) => ({ role: e.role, text: e.text.slice(0, 4000), at: e.createdAt })),
      };
    },
  });

  const toolsFor = (ctx: ToolContext, denied: ReadonlySet<string>): ToolSet => {
    const agent = findAgent(config, ctx.agentId);
    const allow = agent?.tools?.allow ? new Set(agent.tools.allow) : undefined;
    const deny = new Set([...(agent?.tools?.deny ?? []), ...denied]);
    const set: ToolSet = {};
    const all: GatewayTool[] = [...builtin.values(), ...subsystems.pluginTools()];
    for (const t of all) {
      if (deny.has(t.name)) continue;
      if (allow && !allow.has(t.name)) continue;
      set[t.name] = tool({
        description: t.description,
        inputSchema: jsonSchema(z.toJSONSchema(t.input, { io: 'input' }) as Parameters<typeof jsonSchema>[0]),
        execute: async (input: unknown) => {
          const parsed = t.input.safeParse(input);
          if (!parsed.success) {
            const issue = parsed.error.issues[0];
            return { status: 'error', error: `Invalid ${t.name} arguments at ${issue ? formatPath(issue.path) : '(root)'}: ${issue?.message}` };
          }
          try {
            metrics.toolCalls.inc({ tool: t.name });
            return await subsystems.beforeAfterTool(t.name, parsed.data, ctx, () => t.execute(parsed.data, ctx));
          } catch (e) {
            metrics.errors.inc({ where: 'tool' });
            return { status: 'error', error: (e as Error).message };
          }
        },
      });
    }
    return set;
  };

  const executeRun = async (
    run: RunRecord,
    opts: { timeoutMs: number; depth: number; denied: ReadonlySet<string>; signal?: AbortSignal; eventsFrom?: string },
  ): Promise<RunRecord> => {
    if (isClosing) {
      store.updateRun(run.id, { status: 'error', error: 'gateway is shutting down', endedAt: now() });
      return store.getRun(run.id)!;
    }
    const startedAt = now();
    store.updateRun(run.id, { status: 'running', startedAt });
    publishEvent({ type: 'run.started', sessionKey: run.sessionKey, runId: run.id, kind: run.kind });
    metrics.runsActive.inc();
    const session = ensureSession(run.sessionKey, run.agentId);
    const controller = new AbortController();
    controllers.set(run.id, controller);
    const timer = setTimeout(() => controller.abort(new Error('timeout')), opts.timeoutMs);
    timer.unref?.();
    const onOuterAbort = () => controller.abort(opts.signal?.reason ?? new Error('aborted'));
    opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
    // Peek (not drain): events are removed only after the turn is persisted, so a crash mid-run keeps them queued.
    const eventsKey = opts.eventsFrom ?? run.sessionKey;
    const events = subsystems.peekEvents(eventsKey);
    const eventsBlock = subsystems.formatEvents(events);
    const userText = eventsBlock ? `${eventsBlock}\n\n${run.message}` : run.message;
    try {
      const history = store
        .transcript(run.sessionKey, { sessionId: session.sessionId, limit: HISTORY_MESSAGES })
        .map((e) => e.message)
        .filter((m): m is ModelMessage => m !== null && typeof m === 'object');
      // A history slice must not start in the middle of a tool exchange.
      while (history.length > 0 && history[0]!.role !== 'user') history.shift();
      const userMessage: ModelMessage = { role: 'user', content: userText };
      const agent = findAgent(config, run.agentId);
      const ctx: ToolContext = {
        agentId: run.agentId,
        sessionKey: run.sessionKey,
        sessionId: session.sessionId,
        depth: opts.depth,
        via: 'model',
        signal: controller.signal,
      };
      const result = await generateText({
        model: models.forAgent(run.agentId),
        system:
          agent?.system ??
          `You are Pincer agent "${run.agentId}" in session ${run.sessionKey}. Use tools when they help. Reply HEARTBEAT_OK to a heartbeat when nothing needs attention.`,
        messages: [...history, userMessage],
        tools: toolsFor(ctx, opts.denied),
        stopWhen: stepCountIs(agent?.maxSteps ?? 8),
        abortSignal: controller.signal,
        maxRetries: 0,
      });
      const reply = result.text;
      const isSilentHeartbeat = run.kind === 'heartbeat' && events.length === 0 && /^\s*HEARTBEAT_OK\s*$/.test(reply);
      const t = now();
      store.db.transaction(() => {
        if (!isSilentHeartbeat) {
          store.appendTranscript({ sessionKey: run.sessionKey, sessionId: session.sessionId, runId: run.id, role: 'user', text: userText, message: userMessage, createdAt: t });
          for (const m of result.response.messages) {
            const text =
              typeof m.content === 'string'
                ? m.content
                : m.content
                    .map((p) => (p.type === 'text' ? p.text : p.type === 'tool-call' ? `[tool-call ${p.toolName}] ${JSON.stringify(p.input)}` : p.type === 'tool-result' ? `[tool-result ${p.toolName}] ${JSON.stringify(p.output).slice(0, 2000)}` : ''))
                    .filter((s) => s !== '')
                    .join('\n');
            store.appendTranscript({ sessionKey: run.sessionKey, sessionId: session.sessionId, runId: run.id, role: m.role as 'assistant' | 'tool', text, message: m, createdAt: t });
          }
        }
        subsystems.consumeEvents(eventsKey, events.map((e) => e.id));
        store.updateRun(run.id, { status: 'ok', reply, endedAt: t });
        store.touchSession(run.sessionKey, t, run.id);
      })();
      if (!isSilentHeartbeat) publishEvent({ type: 'transcript', sessionKey: run.sessionKey, role: 'assistant', text: reply });
    } catch (e) {
      const isTimeout = controller.signal.aborted && (controller.signal.reason as Error | undefined)?.message === 'timeout';
      metrics.errors.inc({ where: 'run' });
      logger.warn({ err: e, runId: run.id }, 'run failed');
      if (store.db.open) store.updateRun(run.id, {
        status: isTimeout ? 'timeout' : 'error',
        error: isTimeout ? `run timed out after ${opts.timeoutMs} ms` : (e as Error).message,
        endedAt: now(),
      });
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onOuterAbort);
      controllers.delete(run.id);
      metrics.runsActive.dec();
    }
    if (!store.db.open) return { ...run, status: 'error', error: 'gateway closed during the run' };
    const finished = store.getRun(run.id)!;
    metrics.runs.inc({ kind: finished.kind, status: finished.status });
    publishEvent({
      type: 'run.finished',
      sessionKey: finished.sessionKey,
      runId: finished.id,
      kind: finished.kind,
      status: finished.status,
      ...(finished.reply !== null ? { reply: finished.reply } : {}),
      ...(finished.error !== null ? { error: finished.error } : {}),
    });
    return finished;
  };

  const maxQueuedRuns = config.gateway?.maxQueuedRuns ?? DEFAULT_MAX_QUEUED_RUNS;
  const enqueueRun: GatewayRuntime['enqueueRun'] = (input) => {
    if (isClosing) throw new GatewayError('unavailable', 'The gateway is shutting down; retry against the restarted gateway.');
    // Bound the in-memory lanes against callers from outside; internal wakes, cron and sub-agents are bounded by their own caps.
    if ((input.kind === 'user' || input.kind === 'inbound') && lanes.pending() >= maxQueuedRuns) {
      throw new GatewayError('unavailable', `Too many turns queued or running (${maxQueuedRuns}, gateway.maxQueuedRuns); retry later.`);
    }
    const agentId = normalizeAgentId(input.agentId);
    ensureSession(input.sessionKey, agentId);
    const run: RunRecord = {
      id: newId(),
      sessionKey: input.sessionKey,
      agentId,
      kind: input.kind,
      status: 'queued',
      message: input.message,
      reply: null,
      error: null,
      idempotencyKey: input.idempotencyKey ?? null,
      createdAt: now(),
      startedAt: null,
      endedAt: null,
    };
    store.insertRun(run);
    publishEvent({ type: 'run.queued', sessionKey: run.sessionKey, runId: run.id, kind: run.kind });
    const depth = input.depth ?? getSubagentDepth(input.sessionKey);
    const denied = new Set([...(input.deniedTools ?? []), ...subsystems.deniedToolsForDepth(depth)]);
    const done = lanes.run(input.sessionKey, () =>
      executeRun(run, {
        timeoutMs: input.timeoutMs ?? config.gateway?.runTimeoutMs ?? DEFAULT_RUN_TIMEOUT_MS,
        depth,
        denied,
        ...(input.signal ? { signal: input.signal } : {}),
        ...(input.eventsFrom ? { eventsFrom: input.eventsFrom } : {}),
      }),
    );
    waiters.set(run.id, done);
    void done.finally(() => waiters.delete(run.id)).catch(() => undefined);
    return { run, done };
  };

  const resolveTurnTarget: GatewayRuntime['resolveTurnTarget'] = (input) => {
    let agentId: string | undefined;
    // With a session key, normalizeExplicitSessionKey checks the agent (seed-003 order: blank, malformed, mismatch, unknown).
    if (input.agentId !== undefined && input.sessionKey === undefined) {
      if (input.agentId.trim() === '') throw new GatewayError('invalid_request', '--agent must not be blank', { field: 'agentId' });
      agentId = normalizeAgentId(input.agentId);
      if (!knownAgentIds.includes(agentId)) {
        throw new GatewayError('invalid_request', `Unknown agent id "${input.agentId.trim()}".`, { field: 'agentId' });
      }
    }
    if (input.sessionKey !== undefined) {
      let r: { sessionKey: string; agentId: string | undefined };
      try {
        r = normalizeExplicitSessionKey({
          sessionKey: input.sessionKey,
          ...(input.agentId !== undefined ? { agentId: input.agentId } : {}),
          defaultAgentId: config.defaultAgent,
          knownAgentIds,
        });
      } catch (e) {
        sessionKeyErrorToGateway(e, 'sessionKey');
      }
      const owner = r.agentId ?? config.defaultAgent;
      if (!knownAgentIds.includes(owner)) {
        throw new GatewayError('invalid_request', `Unknown agent id "${owner}".`, { field: 'sessionKey' });
      }
      // Unscoped sentinels (`global`, `unknown`) run in the owner's namespace so every queue key is agent-qualified.
      const key = isUnscopedSessionKeySentinel(r.sessionKey) ? `agent:${owner}:${r.sessionKey.toLowerCase()}` : r.sessionKey;
      return { sessionKey: key, agentId: owner };
    }
    const owner = agentId ?? config.defaultAgent;
    if (input.sessionId !== undefined) {
      const sid = input.sessionId.trim();
      if (sid === '') throw new GatewayError('invalid_request', '--session-id must not be blank', { field: 'sessionId' });
      const existing = store.findSessionBySessionId(owner, sid);
      if (existing) return { sessionKey: existing.key, agentId: owner };
      return { sessionKey: `agent:${owner}:explicit:${sid.toLowerCase()}`, agentId: owner };
    }
    // `to` without a channel targets the agent's main session (dmScope is not applied), as in OpenClaw.
    const mainKey = agentSessionConfig(config, owner).mainKey;
    return { sessionKey: buildAgentMainSessionKey({ agentId: owner, ...(mainKey ? { mainKey } : {}) }), agentId: owner };
  };

  const submitTurn: GatewayRuntime['submitTurn'] = (input) => {
    if (input.message.trim() === '') throw new GatewayError('invalid_request', 'message must not be blank', { field: 'message' });
    const target = resolveTurnTarget(input);
    if (input.idempotencyKey) {
      // Scoped per session: a key another session used is invisible here (no cross-session oracle).
      const prior = store.getRunByIdempotencyKey(input.idempotencyKey, target.sessionKey);
      if (prior) return { runId: prior.id, sessionKey: prior.sessionKey, isDuplicate: true };
    }
    const { run } = enqueueRun({
      sessionKey: target.sessionKey,
      agentId: target.agentId,
      message: input.message,
      kind: input.kind ?? 'user',
      ...(input.timeoutMs !== undefined ? { timeoutMs: input.timeoutMs } : {}),
      ...(input.idempotencyKey ? { idempotencyKey: input.idempotencyKey } : {}),
    });
    return { runId: run.id, sessionKey: run.sessionKey, isDuplicate: false };
  };

  const getRun: GatewayRuntime['getRun'] = async (runId, waitMs) => {
    const r = store.getRun(runId);
    if (!r) return undefined;
    if ((r.status === 'queued' || r.status === 'running') && waitMs && waitMs > 0) {
      const w = waiters.get(runId);
      if (w) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          w.catch(() => undefined),
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, Math.min(waitMs, 120_000));
          }),
        ]);
        if (timer) clearTimeout(timer);
      }
    }
    const latest = store.getRun(runId);
    return latest ? toRunView(latest) : undefined;
  };

  try {
    subsystems = await createSubsystems({
    config,
    stateDir,
    store,
    logger,
    metrics,
    now,
    newId,
    lanes,
    enqueueRun,
    ensureSession,
    publishEvent,
    isServer,
    heartbeatPrompt: HEARTBEAT_PROMPT,
    owners: (agentId) => agentOwners(config, agentId),
    sessionConfig: (agentId) => agentSessionConfig(config, agentId),
    });
  } catch (e) {
    store.close();
    throw e;
  }
  isWired = true;

  const runtime: GatewayRuntime = {
    config,
    stateDir,
    store,
    logger,
    metrics,
    bus,
    subsystems,
    resolveTurnTarget,
    submitTurn,
    enqueueRun,
    async runAgentTurn(input) {
      // The embedded path (`pincer agent --local`) accepts exactly what POST /v1/agent accepts.
      const { runId, sessionKey } = submitTurn(parse(AgentRequestSchema, input, ''));
      const w = waiters.get(runId);
      const r = w ? await w : store.getRun(runId);
      return {
        runId,
        sessionKey,
        reply: r?.reply ?? '',
        status: r?.status ?? 'error',
        ...(r?.error ? { error: r.error } : {}),
      };
    },
    getRun,
    async invokeTool(name, args, sessionKey) {
      const refusal = HTTP_REFUSED_TOOLS[name];
      if (refusal) throw new GatewayError('forbidden', refusal, { field: 'tool' });
      const t = builtin.get(name) ?? subsystems.pluginTools().find((p) => p.name === name);
      if (!t) throw notFound(`Tool "${name}"`);
      let target: { sessionKey: string; agentId: string };
      try {
        target = resolveTurnTarget({ sessionKey });
      } catch (e) {
        throw GatewayError.isInstance(e) ? new GatewayError(e.code, e.message, { field: 'sessionKey' }) : e;
      }
      const parsed = t.input.safeParse(args ?? {});
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const field = `args${issue && issue.path.length > 0 ? `.${formatPath(issue.path)}` : ''}`;
        throw new GatewayError('invalid_request', `Invalid ${name} arguments at ${field}: ${issue?.message}`, { field });
      }
      if (name === 'process') {
        const action = String(parsed.data.action);
        if (PROCESS_INPUT_ACTIONS.has(action)) {
          throw new GatewayError(
            'forbidden',
            `process action "${action}" is refused over HTTP: writing to a process's stdin is only available to the agent that owns it.`,
            { field: 'args.action' },
          );
        }
      }
      const session = store.getSession(target.sessionKey);
      const ctx: ToolContext = {
        agentId: target.agentId,
        sessionKey: target.sessionKey,
        sessionId: session?.sessionId ?? '',
        depth: getSubagentDepth(target.sessionKey),
        via: 'http',
      };
      const denied = subsystems.deniedToolsForDepth(ctx.depth);
      const agent = findAgent(config, target.agentId);
      if (denied.includes(name) || agent?.tools?.deny?.includes(name) || (agent?.tools?.allow && !agent.tools.allow.includes(name))) {
        throw new GatewayError('forbidden', `Tool "${name}" is not allowed for session ${target.sessionKey} by its tool policy.`, { field: 'tool' });
      }
      metrics.toolCalls.inc({ tool: name });
      // Plugin hooks see HTTP invocations too: a before_tool_call block is a 403, not a bypass.
      const result = await subsystems.beforeAfterTool(name, parsed.data, ctx, () => t.execute(parsed.data, ctx));
      const blocked = result as { status?: unknown; error?: unknown } | null;
      if (blocked && typeof blocked === 'object' && blocked.status === 'blocked' && typeof blocked.error === 'string' && blocked.error.startsWith('Blocked by plugin ')) {
        throw new GatewayError('forbidden', blocked.error, { field: 'tool' });
      }
      return result;
    },
    isBusy: (sessionKey) => lanes.isBusy(sessionKey),
    publishEvent,
    async close() {
      if (closing) return closing;
      isClosing = true;
      closing = (async () => {
        const graceMs = config.gateway?.shutdownGraceMs ?? 5_000;
        const idleWithin = (ms: number) =>
          Promise.race([lanes.idle(), new Promise<void>((r) => setTimeout(r, ms).unref?.())]);
        // Queued runs are refused (isClosing); running ones get the grace period to finish…
        await idleWithin(graceMs);
        // …then are aborted, and stopping the subsystems kills their processes so blocked tools return.
        for (const c of controllers.values()) c.abort(new Error('gateway shutting down'));
        await subsystems.close();
        await idleWithin(5_000);
        store.close();
      })();
      return closing;
    },
  };
  return runtime;
}

/** Is `key` a plausible agent-qualified key (used by route validation). */
export function isAgentKey(key: string): boolean {
  return parseAgentSessionKey(key) !== null;
}
