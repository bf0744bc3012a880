import { dirname, isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Logger } from 'pino';
import {
  createCronScheduler,
  createHeartbeatRunner,
  createSystemEventQueue,
  createWakeScheduler,
  parseDurationMs,
  type CronJob,
  type CronJobInput,
  type CronScheduler,
  type HeartbeatRunner,
  formatForPrompt,
  resolveEventSession,
  resolveHeartbeatSession,
  type SystemEvent,
  type SystemEventQueue,
  type WakeScheduler,
  type EventSource,
  type WakeReason,
} from '@pincer/heartbeat-router';
import {
  createProcessRegistry,
  formatExitNotice,
  ProcessRegistryError,
  type ExitEvent,
  type ProcessJournalRecord,
  type ProcessRegistry,
} from '@pincer/process-registry';
import { deriveProcessScopeKey, normalizeAgentId } from '@pincer/session-key';
import { childToolPolicy, createSubagentSpawner, type SubagentSpawner } from '@pincer/subagent-spawn';
import { definePlugin, type BashSessionsApi } from '@pincer/plugin-sdk';
import { bindPluginHost, createPluginHost, type PluginHost } from '@pincer/plugin-sdk/host';
import type { GatewayConfig, SessionConfig } from './config.js';
import { findAgent } from './config.js';
import { createSqliteCronStore, cronOwnerOf } from './cron.js';
import type { GatewayMetrics } from './metrics.js';
import type { EnqueueRunInput, GatewayEvent } from './runtime-types.js';
import {
  JOURNAL_MAX_FINISHED,
  PROCESS_LIST_TAIL_CHARS,
  type GatewayStore,
  type ProcessRecord,
  type RunRecord,
  type SessionRecord,
} from './store/store.js';
import { createSqliteRunStore } from './subagent-store.js';
import type { CronArgs, ExecArgs, ProcessArgs, SpawnArgs } from './tools/builtin.js';
import type { GatewayTool, ToolContext } from './tools/types.js';
import type { Lanes } from './runner/lanes.js';

/** A journaled process (a previous gateway's, or evicted from the registry) as the operator sees it. */
function journalView(j: ProcessRecord): Record<string, unknown> {
  return {
    id: j.id,
    pid: j.pid ?? undefined,
    scopeKey: j.scopeKey,
    sessionKey: j.sessionKey ?? undefined,
    command: j.command,
    cwd: j.cwd,
    startedAt: j.startedAt,
    endedAt: j.endedAt ?? undefined,
    status: j.status,
    exitCode: j.exitCode,
    signal: j.signal,
    tail: j.output.slice(-PROCESS_LIST_TAIL_CHARS),
    truncated: j.truncated,
    source: 'journal',
  };
}

/** Dependencies handed to {@link createSubsystems} by the runtime. */
export interface SubsystemDeps {
  config: GatewayConfig;
  stateDir: string;
  store: GatewayStore;
  logger: Logger;
  metrics: GatewayMetrics;
  now: () => number;
  newId: () => string;
  lanes: Lanes;
  enqueueRun(input: EnqueueRunInput): { run: RunRecord; done: Promise<RunRecord> };
  ensureSession(key: string, agentId: string, extra?: { kind?: string; spawnedBy?: string; depth?: number; label?: string }): SessionRecord;
  publishEvent(e: GatewayEvent): void;
  isServer: boolean;
  heartbeatPrompt: string;
  owners(agentId: string): string[];
  sessionConfig(agentId: string): SessionConfig;
}

/** The packages, wired: process registry, event queue, wakes, spawner, cron, plugins. */
export interface Subsystems {
  readonly registry: ProcessRegistry;
  readonly queue: SystemEventQueue;
  readonly wake: WakeScheduler;
  readonly heartbeat: HeartbeatRunner;
  readonly spawner: SubagentSpawner;
  readonly cron: CronScheduler;
  /** The session that owns a cron job (other sessions see it as not found). */
  cronOwner(job: CronJob): string | undefined;
  readonly plugins: PluginHost;
  /** The operator's read-only shell view + kill helper (plugin-sdk bash-sessions, bound to this host). */
  readonly shells: BashSessionsApi;
  peekEvents(sessionKey: string): SystemEvent[];
  consumeEvents(sessionKey: string, ids: ReadonlyArray<string>): void;
  formatEvents(events: ReadonlyArray<SystemEvent>): string;
  /** Route + enqueue a system event and wake the target session. Returns the target key. */
  notify(input: { sessionKey: string; text: string; source: EventSource; contextKey?: string; reason: WakeReason; isWake?: boolean }): string;
  deniedToolsForDepth(depth: number): string[];
  pluginTools(): GatewayTool[];
  beforeAfterTool(name: string, args: Record<string, unknown>, ctx: ToolContext, run: () => Promise<unknown>): Promise<unknown>;
  execTool(ctx: ToolContext, args: ExecArgs): Promise<unknown>;
  processTool(ctx: ToolContext, args: ProcessArgs): Promise<unknown>;
  spawnTool(ctx: ToolContext, args: SpawnArgs): Promise<unknown>;
  cronTool(ctx: ToolContext, args: CronArgs): Promise<unknown>;
  /** Read a process's log for an operator (registry first, then the journal). */
  operatorLog(id: string, opts: { offset?: number; limit?: number }): { id: string; status: string; output: string; source: 'registry' | 'journal' } | undefined;
  /** Every known process for operators: live snapshot merged with the journal. */
  operatorList(): Array<Record<string, unknown>>;
  /** One process as `operatorList` shows it (live registry first, then the journal), without listing all. */
  operatorGet(id: string): Record<string, unknown> | undefined;
  /** Results of orphan reaping at startup. */
  readonly reaped: ReadonlyArray<Record<string, unknown>>;
  close(): Promise<void>;
}

const MAX_TOOL_OUTPUT_CHARS = 8_000;
const clip = (s: string, n = MAX_TOOL_OUTPUT_CHARS) => (s.length > n ? `…${s.slice(s.length - n)}` : s);

function journalRow(rec: ProcessJournalRecord, gatewayPid: number) {
  return {
    id: rec.id,
    pid: rec.pid ?? null,
    scopeKey: rec.scopeKey,
    sessionKey: rec.sessionKey ?? null,
    command: rec.command,
    cwd: rec.cwd,
    startedAt: rec.startedAt,
    status: rec.status,
    record: { procStartTime: rec.procStartTime, bootId: rec.bootId, isBackgrounded: rec.isBackgrounded },
    gatewayPid,
  };
}

/** Build and wire every subsystem; resumes durable state (events, announcements, cron, orphans). */
export async function createSubsystems(d: SubsystemDeps): Promise<Subsystems> {
  const { config, store, logger, metrics, now } = d;
  const log = logger.child({ component: 'wiring' });

  // ---- process registry with the SQLite journal
  // The journal keeps the newest JOURNAL_MAX_FINISHED finished processes: pruned at start and every PRUNE_EVERY exits.
  const PRUNE_EVERY = 50;
  let exitsSincePrune = 0;
  const registry = createProcessRegistry({
    ...(config.exec?.cwd ? { cwd: config.exec.cwd } : {}),
    ...(config.exec?.yieldMs !== undefined ? { defaultYieldMs: Math.max(10, config.exec.yieldMs) } : {}),
    ...(config.exec?.timeoutMs !== undefined ? { defaultTimeoutMs: config.exec.timeoutMs } : {}),
    ...(config.exec?.notifyOnExit !== undefined ? { notifyOnExit: config.exec.notifyOnExit } : {}),
    ...(config.exec?.maxRunning !== undefined ? { maxRunning: config.exec.maxRunning } : {}),
    ...(config.exec?.maxOutputChars !== undefined ? { maxOutputChars: config.exec.maxOutputChars } : {}),
    ...(config.exec?.finishedTtlMs !== undefined ? { finishedTtlMs: config.exec.finishedTtlMs } : {}),
    ...(config.exec?.killGraceMs !== undefined ? { killGraceMs: config.exec.killGraceMs } : {}),
    journal: {
      onStart(rec) {
        store.journalStart(journalRow(rec, process.pid));
        metrics.processesStarted.inc();
        if (rec.sessionKey) d.publishEvent({ type: 'process.started', sessionKey: rec.sessionKey, id: rec.id, command: rec.command });
      },
      onOutput(id, batch) {
        const text = batch.map((c) => c.text).join('');
        if (text !== '') store.journalOutput(id, text);
      },
      onExit(rec) {
        store.journalExit(rec.id, {
          status: rec.status,
          exitCode: rec.exitCode,
          signal: rec.signal,
          endedAt: rec.endedAt ?? now(),
          tail: rec.tail,
          truncated: rec.truncated,
        });
        if (++exitsSincePrune >= PRUNE_EVERY) {
          exitsSincePrune = 0;
          store.pruneProcesses(JOURNAL_MAX_FINISHED);
        }
        if (rec.sessionKey) {
          d.publishEvent({ type: 'process.exited', sessionKey: rec.sessionKey, id: rec.id, status: rec.status, exitCode: rec.exitCode, signal: rec.signal });
        }
      },
    },
    logger: { warn: (m, meta) => log.warn(meta ?? {}, m) },
  });

  // ---- durable system-event queue
  const queue = createSystemEventQueue({
    store: {
      load: () =>
        store
          .eventsAll()
          .map((e) => e.body as SystemEvent)
          .filter((e) => e && typeof e.id === 'string'),
      append: (event) => store.eventsAppend(event.sessionKey, event.id, event, event.ts),
      remove: (sessionKey, ids) => store.eventsRemove(sessionKey, ids),
    },
    clock: { now },
    idGenerator: d.newId,
    onStoreError: (e) => log.error({ err: e }, 'system-event store write failed'),
  });
  await queue.restore();
  const updateQueueDepth = () => metrics.queueDepth.set(queue.stats().events);
  updateQueueDepth();

  // ---- heartbeat runner + wake scheduler: a wake runs a heartbeat turn on the session's lane.
  // The runner gets no `queue`: the run itself peeks the events and consumes them in the same
  // transaction that writes the transcript, so a crash mid-turn leaves them queued.
  const wakeCfg = config.wake ?? {};
  const EVENT_REASONS = new Set<WakeReason>(['exec-event', 'cron-event', 'subagent-event']);
  let heartbeat!: HeartbeatRunner;
  const wake = createWakeScheduler({
    runHeartbeat: (run) => heartbeat.runHeartbeat(run),
    isBusy: (t) => d.lanes.isBusy(t.sessionKey),
    ...(wakeCfg.coalesceMs !== undefined ? { coalesceMs: wakeCfg.coalesceMs } : {}),
    ...(wakeCfg.eventCooldownMs !== undefined ? { minEventSpacingMs: wakeCfg.eventCooldownMs } : {}),
    ...(wakeCfg.busyRetryMs !== undefined ? { busyRetryMs: wakeCfg.busyRetryMs } : {}),
    onError: (e) => {
      metrics.errors.inc({ where: 'wake' });
      log.warn({ err: e }, 'heartbeat wake failed');
    },
  });
  heartbeat = createHeartbeatRunner({
    agents: config.agents
      .filter((a) => a.heartbeat !== undefined)
      .map((a) => ({
        agentId: a.id,
        every: a.heartbeat?.every ?? '30m',
        prompt: a.heartbeat?.prompt ?? d.heartbeatPrompt,
        ...(a.heartbeat?.session ? { heartbeatSession: a.heartbeat.session } : {}),
        ...(a.heartbeat?.activeHours ? { activeHours: a.heartbeat.activeHours } : {}),
        sessionConfig: d.sessionConfig(a.id),
        allowFrom: d.owners(a.id),
      })),
    scheduler: wake,
    timeZone: config.timeZone ?? 'UTC',
    runTurn: async (req) => {
      const hasEvents = queue.has(req.queueKey);
      if (!hasEvents && req.reasons.every((r) => EVENT_REASONS.has(r))) return null;
      const prompt = findAgent(config, req.agentId)?.heartbeat?.prompt ?? d.heartbeatPrompt;
      const { done } = d.enqueueRun({ sessionKey: req.sessionKey, agentId: req.agentId, message: prompt, kind: 'heartbeat', eventsFrom: req.queueKey });
      const r = await done;
      updateQueueDepth();
      if (r.status !== 'ok') throw new Error(r.error ?? r.status);
      return r.reply;
    },
    onResult: (r) => {
      if (r.status === 'failed') {
        metrics.errors.inc({ where: 'heartbeat' });
        log.warn({ agentId: r.agentId, sessionKey: r.sessionKey, error: r.error }, 'heartbeat failed');
      }
    },
  });

  const notify: Subsystems['notify'] = (input) => {
    const agentId = normalizeAgentId(input.sessionKey.split(':')[1] ?? config.defaultAgent);
    const target = resolveEventSession({
      sessionKey: input.sessionKey,
      source: input.source,
      session: d.sessionConfig(agentId),
      allowFrom: d.owners(agentId),
    });
    d.ensureSession(target.sessionKey, target.agentId);
    const res = queue.enqueue({ sessionKey: target.sessionKey, text: input.text, ...(input.contextKey ? { contextKey: input.contextKey } : {}) });
    if (res.accepted) d.publishEvent({ type: 'system.event', sessionKey: target.sessionKey, text: input.text });
    updateQueueDepth();
    if (input.isWake !== false) {
      metrics.wakes.inc({ reason: input.reason });
      wake.requestHeartbeatNow({ sessionKey: target.sessionKey, agentId: target.agentId, reason: input.reason });
    }
    return target.sessionKey;
  };

  // ---- exit notices → routed queue → wake (seed 001)
  const unsubscribeExit = registry.on('exit', (ev: ExitEvent) => {
    metrics.processesRunning.set(registry.stats().running);
    if (!ev.shouldNotify || !ev.sessionKey) return;
    try {
      notify({ sessionKey: ev.sessionKey, text: formatExitNotice(ev), source: 'exec', contextKey: `exec:${ev.id}`, reason: 'exec-event' });
    } catch (e) {
      metrics.errors.inc({ where: 'exit-notice' });
      log.error({ err: e, id: ev.id }, 'could not queue exit notice');
    }
  });

  // ---- sub-agent spawner
  const agents = config.agents.map((a) => a.id);
  const perAgent: Record<string, { allowAgents?: string[] }> = {};
  for (const a of config.agents) if (a.allowAgents) perAgent[a.id] = { allowAgents: a.allowAgents };
  const spawner = createSubagentSpawner({
    policy: {
      agents,
      perAgent,
      ...(config.subagents?.maxSpawnDepth !== undefined ? { maxSpawnDepth: config.subagents.maxSpawnDepth } : {}),
      ...(config.subagents?.maxChildrenPerSession !== undefined ? { maxChildrenPerSession: config.subagents.maxChildrenPerSession } : {}),
      ...(config.subagents?.maxConcurrentRuns !== undefined ? { maxConcurrentRuns: config.subagents.maxConcurrentRuns } : {}),
    },
    runs: createSqliteRunStore(store),
    newId: d.newId,
    launch: async (req) => {
      d.ensureSession(req.childSessionKey, req.agentId, { kind: 'subagent', spawnedBy: req.requesterSessionKey, depth: req.depth, ...(req.label ? { label: req.label } : {}) });
      const { done } = d.enqueueRun({
        sessionKey: req.childSessionKey,
        agentId: req.agentId,
        message: req.task,
        kind: 'subagent',
        depth: req.depth,
        deniedTools: req.toolPolicy.deny,
        signal: req.signal,
        ...(req.runTimeoutSeconds > 0 ? { timeoutMs: req.runTimeoutSeconds * 1000 } : {}),
      });
      const r = await done;
      return {
        status: r.status === 'ok' ? 'ok' : r.status === 'timeout' ? 'timeout' : 'error',
        ...(r.reply ? { result: r.reply } : {}),
        ...(r.error ? { error: r.error } : {}),
      };
    },
    announce: async (a) => {
      // Exactly once per run id: the announcements table is the gateway-side idempotency record.
      const isFirst = store.announcementPut({
        runId: a.runId,
        requesterSessionKey: a.requesterSessionKey,
        payload: { childSessionKey: a.childSessionKey, status: a.status },
        state: 'pending',
        attempts: 0,
        createdAt: now(),
        deliveredAt: null,
      });
      const prior = store.announcementGet(a.runId);
      if (!isFirst && prior?.state === 'delivered') return;
      const body = a.status === 'ok' ? (a.result ?? '(no reply)') : (a.error ?? a.status);
      const text = `Sub-agent ${a.status === 'ok' ? 'completed' : a.status === 'timeout' ? 'timed out' : 'failed'} (${a.childSessionKey}, run ${a.runId}) :: ${body.replace(/\s+/g, ' ').slice(0, 2000)}`;
      // The durable enqueue and the "delivered" mark commit together: a crash never yields a second notice.
      store.db.transaction(() => {
        notify({ sessionKey: a.requesterSessionKey, text, source: 'subagent', contextKey: `subagent:${a.runId}`, reason: 'subagent-event' });
        store.announcementMark(a.runId, 'delivered', now());
      })();
      if (a.cleanup === 'delete') store.deleteSession(a.childSessionKey);
    },
    onError: (e) => {
      metrics.errors.inc({ where: 'subagent' });
      log.warn({ err: e }, 'sub-agent background failure');
    },
  });

  // ---- cron (heartbeat-router's scheduler over SQLite)
  const cron = createCronScheduler({
    store: createSqliteCronStore(store, now),
    clock: { now, setTimeout: (cb, ms) => { const t = setTimeout(cb, ms); t.unref?.(); return t; }, clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) },
    idGenerator: d.newId,
    timeZone: config.timeZone ?? 'UTC',
    mainSessionKey: (agentId) => resolveHeartbeatSession({ agentId, session: d.sessionConfig(agentId) }).queueKey,
    onFire: async (fire) => {
      const job = fire.job;
      if (job.payload.kind === 'systemEvent') {
        notify({
          sessionKey: fire.sessionKey,
          text: `Cron (${job.name}): ${job.payload.text}`,
          source: 'cron',
          contextKey: `cron:${job.id}`,
          reason: 'cron-event',
          isWake: job.wakeMode !== 'next-heartbeat',
        });
        return { status: 'ok' };
      }
      d.ensureSession(fire.sessionKey, job.agentId, { kind: 'cron' });
      const { done } = d.enqueueRun({
        sessionKey: fire.sessionKey,
        agentId: job.agentId,
        message: job.payload.message,
        kind: 'cron',
        ...(job.payload.timeoutSeconds ? { timeoutMs: job.payload.timeoutSeconds * 1000 } : {}),
      });
      const r = await done;
      return r.status === 'ok' ? { status: 'ok' } : { status: 'error', error: r.error ?? r.status };
    },
    onError: (e) => {
      metrics.errors.inc({ where: 'cron' });
      log.warn({ err: e }, 'cron store write failed');
    },
    onJobDisabled: (job, reason) => log.warn({ jobId: job.id, reason }, 'cron job disabled'),
  });

  // ---- plugin host
  const plugins = createPluginHost({
    registry,
    logger: {
      debug: (m, f) => log.debug(f ?? {}, m),
      info: (m, f) => log.info(f ?? {}, m),
      warn: (m, f) => log.warn(f ?? {}, m),
      error: (m, f) => log.error(f ?? {}, m),
    },
    clock: now,
  });
  const unbind = bindPluginHost({ registry });
  // A built-in plugin gives the operator routes this host's own bash-sessions API (list/kill only).
  let shells: BashSessionsApi | undefined;
  await plugins.load(
    definePlugin({
      id: 'pincer-operator',
      name: 'Pincer operator shells',
      register(api) {
        shells = api.bashSessions;
      },
    }),
  );
  const operatorShells = shells!;
  const base = config.sourcePath ? dirname(config.sourcePath) : process.cwd();
  for (const [i, p] of (config.plugins ?? []).entries()) {
    if (p.enabled === false) continue;
    const spec = p.module.startsWith('.') || isAbsolute(p.module) ? pathToFileURL(resolve(base, p.module)).href : p.module;
    try {
      const mod = (await import(spec)) as { default?: unknown; plugin?: unknown };
      const def = (mod.default ?? mod.plugin) as Parameters<PluginHost['load']>[0];
      await plugins.load(def, { config: p.options ?? {} });
    } catch (e) {
      log.error({ err: e, plugin: p.module }, 'plugin failed to load');
      await plugins.dispose().catch(() => undefined);
      unbind();
      wake.dispose();
      spawner.dispose();
      cron.stop();
      await registry.dispose();
      throw new Error(`plugins[${i}] (${p.module}) failed to load: ${(e as Error).message}`);
    }
  }

  // ---- restart recovery: reap orphans, resume announcements, start cron
  const reaped: Array<Record<string, unknown>> = [];
  if (d.isServer) {
    // Rows of another live gateway process (same state dir) are not ours to reap.
    const leftovers = store
      .listProcesses({ status: 'running' })
      .filter((p) => p.gatewayPid === null || p.gatewayPid === process.pid || !isPidAlive(p.gatewayPid));
    const records = leftovers
      .map((p) => {
        const r = (p.record ?? {}) as { procStartTime?: number; bootId?: string };
        return p.pid && r.procStartTime !== undefined
          ? { id: p.id, pid: p.pid, procStartTime: r.procStartTime, scopeKey: p.scopeKey, ...(r.bootId ? { bootId: r.bootId } : {}) }
          : undefined;
      })
      .filter((r): r is NonNullable<typeof r> => r !== undefined);
    const outcomes = records.length > 0 ? await registry.reapOrphans(records) : [];
    const byId = new Map(outcomes.map((o) => [o.id, o]));
    for (const p of leftovers) {
      const o = byId.get(p.id);
      store.journalExit(p.id, {
        status: o?.outcome === 'killed' ? 'killed' : 'failed',
        exitCode: null,
        signal: o?.signal ?? null,
        endedAt: now(),
      });
      reaped.push({ id: p.id, pid: p.pid, outcome: o?.outcome ?? 'no-record' });
    }
    if (reaped.length > 0) log.warn({ reaped }, 'reaped processes left by a previous gateway');
    store.pruneProcesses(JOURNAL_MAX_FINISHED);
    await spawner.resumePending();
    // Events that survived a restart wake their sessions again (deferred, never dropped).
    for (const key of queue.sessionKeys()) {
      try {
        wake.requestHeartbeatNow({ sessionKey: key, reason: 'retry' });
      } catch (e) {
        log.warn({ err: e, sessionKey: key }, 'could not wake a restored session');
      }
    }
    await cron.start();
    await plugins.start();
  }

  // ---- interval heartbeats (agents with a `heartbeat` block; default every 30m, 0 disables)
  if (d.isServer) heartbeat.start();

  const scopeOf = (ctx: ToolContext) => deriveProcessScopeKey({ sessionKey: ctx.sessionKey, agentId: ctx.agentId });
  const notFoundResult = (id: string | undefined) => ({ status: 'error', error: `No process "${id ?? ''}" in this session.` });

  const subsystems: Subsystems = {
    registry,
    queue,
    wake,
    heartbeat,
    spawner,
    cron,
    plugins,
    cronOwner: (job) => cronOwnerOf(store, job),
    shells: operatorShells,
    reaped,
    peekEvents: (k) => queue.peek(k),
    consumeEvents: (k, ids) => {
      if (ids.length > 0) queue.remove(k, ids);
      updateQueueDepth();
    },
    formatEvents: (events) => (events.length > 0 ? formatForPrompt(events, { timeZone: config.timeZone ?? 'UTC' }) : ''),
    notify,
    deniedToolsForDepth: (depth) => (depth > 0 ? [...childToolPolicy(depth, { maxSpawnDepth: spawner.policy.maxSpawnDepth }).deny] : []),
    pluginTools: () =>
      plugins.tools().map((t) => ({
        name: t.name,
        description: t.description,
        input: t.parameters as GatewayTool['input'],
        execute: (args, ctx) => t.execute(args, { sessionKey: ctx.sessionKey, agentId: ctx.agentId }),
      })),
    async beforeAfterTool(name, args, ctx, run) {
      const decision = await plugins.runBeforeToolCall({ toolName: name, params: args, sessionKey: ctx.sessionKey, agentId: ctx.agentId } as Parameters<PluginHost['runBeforeToolCall']>[0]);
      if (decision.blocked) return { status: 'blocked', error: `Blocked by plugin ${decision.pluginId}: ${decision.reason}` };
      const startedAt = now();
      const result = await run();
      void plugins
        .emit('after_tool_call', { toolName: name, params: args, result, sessionKey: ctx.sessionKey, agentId: ctx.agentId, durationMs: Math.max(0, now() - startedAt) })
        .catch(() => undefined);
      return result;
    },
    async execTool(ctx, args) {
      try {
        const r = await registry.exec({
          command: args.command,
          scopeKey: scopeOf(ctx),
          sessionKey: ctx.sessionKey,
          ...(args.background !== undefined ? { background: args.background } : {}),
          ...(args.yieldMs !== undefined ? { yieldMs: args.yieldMs } : {}),
          ...(args.timeoutMs !== undefined ? { timeoutMs: args.timeoutMs } : {}),
          ...(args.cwd !== undefined ? { cwd: args.cwd } : {}),
        });
        metrics.processesRunning.set(registry.stats().running);
        if (r.status === 'running') return { status: 'running', id: r.id, pid: r.pid, tail: clip(r.tail, 2000) };
        return { ...r, output: clip(r.output) };
      } catch (e) {
        if (ProcessRegistryError.isInstance(e)) return { status: 'error', code: e.code, error: e.message };
        throw e;
      }
    },
    async processTool(ctx, args) {
      const scopeKey = scopeOf(ctx);
      const id = args.id ?? '';
      try {
        switch (args.action) {
          case 'list':
            return { processes: registry.list({ scopeKey }).map((p) => ({ id: p.id, status: p.status, command: p.command, pid: p.pid, exitCode: p.exitCode, startedAt: p.startedAt, endedAt: p.endedAt })) };
          case 'poll': {
            const r = await registry.poll({ scopeKey, id, ...(args.waitMs !== undefined ? { waitMs: args.waitMs } : {}) });
            return { ...r, output: clip(r.output) };
          }
          case 'log': {
            try {
              const r = registry.log({ scopeKey, id, ...(args.offset !== undefined ? { offset: args.offset } : {}), ...(args.limit !== undefined ? { limit: args.limit } : {}) });
              return { ...r, output: clip(r.output) };
            } catch (e) {
              // Evicted from memory (or from before a restart): the journal still has it — same scope only.
              const j = store.getProcess(id);
              if (ProcessRegistryError.isInstance(e) && j && j.scopeKey === scopeKey) {
                return { id, status: j.status, exitCode: j.exitCode, output: clip(sliceLines(j.output, args.offset, args.limit)), source: 'journal' };
              }
              throw e;
            }
          }
          case 'write':
            return registry.write({ scopeKey, id, data: args.data ?? '', ...(args.eof !== undefined ? { eof: args.eof } : {}) });
          case 'send-keys':
            return registry.sendKeys({ scopeKey, id, ...(args.keys ? { keys: args.keys } : {}), ...(args.text ? { literal: args.text } : {}) });
          case 'paste':
            return registry.paste({ scopeKey, id, text: args.text ?? args.data ?? '' });
          case 'submit':
            return registry.submit({ scopeKey, id });
          case 'kill':
            return await registry.kill({ scopeKey, id });
          case 'clear':
            registry.clear({ scopeKey, id });
            return { status: 'cleared', id };
          case 'remove':
            await registry.remove({ scopeKey, id });
            return { status: 'removed', id };
        }
      } catch (e) {
        if (ProcessRegistryError.isInstance(e)) {
          return e.code === 'PROCESS_NOT_FOUND' ? notFoundResult(id) : { status: 'error', code: e.code, error: e.message };
        }
        throw e;
      }
      return { status: 'error', error: 'unknown action' };
    },
    async spawnTool(ctx, args) {
      return spawner.spawn({
        requester: { agentId: ctx.agentId, sessionKey: ctx.sessionKey },
        task: args.task,
        ...(args.agentId !== undefined ? { agentId: args.agentId } : {}),
        ...(args.sessionKey !== undefined ? { sessionKey: args.sessionKey } : {}),
        ...(args.label !== undefined ? { label: args.label } : {}),
        ...(args.runTimeoutSeconds !== undefined ? { runTimeoutSeconds: args.runTimeoutSeconds } : {}),
        ...(args.cleanup !== undefined ? { cleanup: args.cleanup } : {}),
      });
    },
    async cronTool(ctx, args) {
      const owned = (job: CronJob | undefined) => job !== undefined && cronOwnerOf(store, job) === ctx.sessionKey;
      if (args.action === 'list') {
        return { jobs: cron.list().filter((j) => owned(j)) };
      }
      if (args.action === 'remove') {
        const job = args.id ? cron.get(args.id) : undefined;
        if (!job || !owned(job)) return { status: 'error', error: `Cron job "${args.id ?? ''}" not found.` };
        await cron.remove(job.id);
        return { status: 'removed', id: job.id };
      }
      const built = buildCronSchedule(args, now());
      if ('error' in built) return { status: 'error', error: built.error };
      const text = args.text ?? '';
      const input: CronJobInput = {
        agentId: ctx.agentId,
        schedule: built.schedule,
        payload: args.kind === 'agentTurn' ? { kind: 'agentTurn', message: text } : { kind: 'systemEvent', text },
        target: args.target === 'isolated' ? 'isolated' : `session:${ctx.sessionKey}`,
        deleteAfterRun: false,
        ...(args.name ? { name: args.name } : {}),
      };
      try {
        const job = await cron.add(input);
        // The creating session owns the job even when it runs isolated.
        store.cronPut(job.id, ctx.sessionKey, job, now());
        return { status: 'added', id: job.id, nextRunAt: job.state.nextRunAtMs };
      } catch (e) {
        return { status: 'error', error: (e as Error).message };
      }
    },
    operatorLog(id, opts) {
      const snap = registry.snapshot();
      const live = [...snap.running, ...snap.finished].find((p) => p.id === id);
      if (live) {
        const r = registry.log({ scopeKey: live.scopeKey, id, ...(opts.offset !== undefined ? { offset: opts.offset } : {}), ...(opts.limit !== undefined ? { limit: opts.limit } : {}) });
        return { id, status: r.status, output: r.output, source: 'registry' };
      }
      const j = store.getProcess(id);
      if (!j) return undefined;
      return { id, status: j.status, output: sliceLines(j.output, opts.offset, opts.limit), source: 'journal' };
    },
    operatorList() {
      const snap = registry.snapshot();
      const seen = new Set<string>();
      const out: Array<Record<string, unknown>> = [];
      for (const p of [...snap.running, ...snap.finished]) {
        seen.add(p.id);
        out.push({ ...p, source: 'registry' });
      }
      for (const j of store.listProcesses()) {
        if (seen.has(j.id)) continue;
        out.push(journalView(j));
      }
      return out;
    },
    operatorGet(id) {
      const snap = registry.snapshot();
      const live = [...snap.running, ...snap.finished].find((p) => p.id === id);
      if (live) return { ...live, source: 'registry' };
      const j = store.getProcess(id);
      return j ? journalView(j) : undefined;
    },
    async close() {
      heartbeat.stop();
      cron.stop();
      wake.dispose();
      spawner.dispose();
      await plugins.dispose().catch(() => undefined);
      unbind();
      unsubscribeExit();
      if (config.exec?.onShutdown === 'leave') {
        // Leave processes running; the next start reaps them through the journal.
      } else {
        await registry.dispose();
      }
      await queue.flush().catch(() => undefined);
    },
  };
  return subsystems;
}

function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function sliceLines(text: string, offset?: number, limit?: number): string {
  if (offset === undefined && limit === undefined) return text.split('\n').slice(-200).join('\n');
  const lines = text.split('\n');
  const start = offset ?? 0;
  return lines.slice(start, limit !== undefined ? start + limit : undefined).join('\n');
}

function buildCronSchedule(args: CronArgs, now: number): { schedule: CronJobInput['schedule'] } | { error: string } {
  if (!args.text || args.text.trim() === '') return { error: 'cron add needs "text".' };
  const given = [args.every, args.at, args.in, args.cron].filter((v) => v !== undefined).length;
  if (given !== 1) return { error: 'cron add needs exactly one of every, at, in, cron.' };
  const dur = (v: string): number | undefined => {
    try {
      const ms = parseDurationMs(v, { defaultUnit: 's' });
      return ms > 0 ? ms : undefined;
    } catch {
      return undefined;
    }
  };
  if (args.every !== undefined) {
    const ms = dur(args.every);
    if (!ms || ms < 1000) return { error: `Invalid "every": ${args.every} (use e.g. 30s, 5m, 1h; at least 1s).` };
    return { schedule: { kind: 'every', every: ms } };
  }
  if (args.in !== undefined) {
    const ms = dur(args.in);
    if (!ms) return { error: `Invalid "in": ${args.in} (use e.g. 30s, 5m).` };
    return { schedule: { kind: 'at', at: new Date(now + ms).toISOString() } };
  }
  if (args.at !== undefined) {
    if (Number.isNaN(Date.parse(args.at))) return { error: `Invalid "at": ${args.at} (ISO timestamp).` };
    return { schedule: { kind: 'at', at: args.at } };
  }
  return { schedule: { kind: 'cron', expr: args.cron!, ...(args.tz ? { tz: args.tz } : {}) } };
}
