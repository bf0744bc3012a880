import { join } from 'node:path';
import type { SubagentSpawner } from '@pincer/subagent-spawn';
import { formatExitNotice, type ExitEvent } from '@pincer/process-registry';
import pino, { type Logger } from 'pino';
import { agentOwners, agentSessionConfig, DEFAULT_POSTGRES_URL_ENV, loadConfig, type GatewayConfig } from './config.js';
import { ownerConfigWarnings } from './security/owner-policy.js';
import { createSystemClock, randomIdSource, type GatewayClock, type IdSource } from './clock.js';
import { sessionOnlyScope } from './credentials/access-scope.js';
import { createAuditLog, type AuditLog } from './credentials/audit-log.js';
import { createCredentialService, type CredentialService } from './credentials/credential-service.js';
import { createClusterService, randomNodeId, readClusterSecret, type ClusterService } from './cluster/cluster.js';
import { createEventRelay } from './cluster/event-relay.js';
import { createCron, type CronService } from './cron/cron.js';
import { createEventBus, type EventBus } from './events/event-bus.js';
import { createCeilingLedger } from './credentials/event-ceiling.js';
import { createNotify, type Notify } from './events/notify.js';
import { createSystemEvents, type SystemEvents } from './events/system-events.js';
import { createHeartbeats, type Heartbeats } from './heartbeats/heartbeats.js';
import { AgentRequestSchema } from './http/schemas.js';
import { createInboundRouter, type InboundRouter } from './inbound/inbound.js';
import { createMetrics, type GatewayMetrics } from './metrics.js';
import { createModelResolver } from './model/providers.js';
import { createPlugins, type Plugins } from './plugins/plugins.js';
import { createProcessJournal } from './processes/journal.js';
import { reapOrphanedProcesses, type ReapedProcess } from './processes/orphan-recovery.js';
import { createGatewayProcessRegistry } from './processes/process-registry.js';
import { createProcessService, type ProcessService } from './processes/processes.js';
import { createAgentLoop } from './runs/agent-loop.js';
import { createLanes } from './runs/lanes.js';
import { createRunQueue, type RunQueue } from './runs/run-queue.js';
import type { AgentTurnInput, AgentTurnResult } from './runs/run-types.js';
import { createSpawnIdentities } from './subagents/spawn-identities.js';
import { createSubagents } from './subagents/subagents.js';
import { createSandboxService, type SandboxService } from './sandbox/sandbox-status.js';
import { DENIED_ENV_PREFIXES, createGatewaySandboxes, deniedEnvNames } from './sandbox/sandboxes.js';
import { createSessionService, type SessionService } from './sessions/sessions.js';
import { createTurnTargetResolver, type TurnTargetResolver } from './sessions/turn-target.js';
import { ensureStateDir, resolveConfigPath, resolveStateDir } from './state.js';
import type { GatewayStore } from './store/gateway-store.js';
import { createPostgresGatewayStore } from './store/postgres/postgres-store.js';
import { createSqliteGatewayStore } from './store/sqlite/sqlite-store.js';
import { createCronTool } from './tools/cron.js';
import { createExecTool } from './tools/exec.js';
import { createProcessTool } from './tools/process.js';
import { createSessionsHistoryTool } from './tools/sessions-history.js';
import { createSessionsListTool } from './tools/sessions-list.js';
import { createSessionsSpawnTool } from './tools/sessions-spawn.js';
import { createToolCallRunner } from './tools/tool-calls.js';
import { createToolInvoker, type ToolInvoker } from './tools/tool-invoker.js';
import { createToolbox, type Toolbox } from './tools/toolbox.js';
import { parse } from './validate.js';
import { GatewayError } from './errors.js';
import { checkDatabaseFile, describeSqliteBindingError } from './store/storage-faults.js';
import { tightenDatabaseModes } from './security/state-dir-guard.js';

/** Options of {@link createGatewayRuntime}. */
export interface GatewayRuntimeOptions {
  /** State directory (default env `PINCER_STATE_DIR`, else `~/.pincer`). */
  stateDir?: string | undefined;
  /** Config path (default env `PINCER_CONFIG`, else `<stateDir>/pincer.config.json` if present). */
  configPath?: string | undefined;
  /** A config object instead of a file (tests). */
  config?: GatewayConfig | undefined;
  /** pino logger; default a logger at `logLevel`. */
  logger?: Logger | undefined;
  /** pino level (default `warn`; env `PINCER_LOG_LEVEL`). */
  logLevel?: string | undefined;
  /** The one clock every service and package factory reads. Default: real time, unref'd timers. */
  clock?: GatewayClock | undefined;
  /** The one id source (runs, sessions, events, jobs, sub-agent runs). Default `crypto.randomUUID`. */
  newId?: IdSource | undefined;
  /** A store instead of `<stateDir>/pincer.db` (a second implementation, or a test's). */
  store?: GatewayStore | undefined;
  /**
   * Own the state dir as the server: finalize interrupted runs, reap orphans, resume sub-agent
   * announcements, run cron and interval heartbeats. Default false (the embedded runtime of
   * `pincer agent --local`, which may share the state dir with a running gateway); `startGateway` sets it.
   */
  isServer?: boolean | undefined;
  /** The clock credentials read for expiry (tests). Default the gateway clock. */
  credentialsNow?: (() => number) | undefined;
}

/** The composed gateway: every service, built once in dependency order. HTTP sits on top of it. */
export interface GatewayRuntime {
  readonly config: GatewayConfig;
  readonly stateDir: string;
  readonly logger: Logger;
  readonly clock: GatewayClock;
  readonly store: GatewayStore;
  readonly metrics: GatewayMetrics;
  readonly bus: EventBus;
  readonly systemEvents: SystemEvents;
  readonly sessions: SessionService;
  readonly resolveTurnTarget: TurnTargetResolver;
  readonly runs: RunQueue;
  readonly heartbeats: Heartbeats;
  readonly notify: Notify;
  readonly processes: ProcessService;
  /** The shells' sandboxes and their status. */
  readonly sandbox: SandboxService;
  readonly spawner: SubagentSpawner;
  readonly cron: CronService;
  readonly plugins: Plugins;
  readonly toolbox: Toolbox;
  readonly invokeTool: ToolInvoker;
  readonly inbound: InboundRouter;
  /** Scoped tokens: mint, list, revoke, verify. */
  readonly credentials: CredentialService;
  /** The audit log of state-changing actions. */
  readonly audit: AuditLog;
  /** This gateway as a cluster node (cluster mode, server only). */
  readonly cluster: ClusterService | undefined;
  /** Resolves if this node is fenced (its lease ran out and a survivor took over): it must stop serving. */
  readonly fenced: Promise<void>;
  /** Processes a previous gateway left running, reaped at start (server only). */
  readonly reaped: ReadonlyArray<ReapedProcess>;
  /** Run a turn to completion (the embedded `pincer agent --local` path); accepts what `POST /v1/agent` accepts. */
  runAgentTurn(input: AgentTurnInput): Promise<AgentTurnResult>;
  /** Stop: refuse new runs, finish/cancel running ones, stop processes by policy, close the store. */
  close(): Promise<void>;
}

/**
 * Run every sandbox's real probe once at start and say, in one line each, when shells will not be
 * sandboxed: `auto` falling back (with the probe's reason), `off`, or `required` refusing every exec.
 */
async function reportSandboxes(sandbox: SandboxService, logger: Logger): Promise<void> {
  const status = await sandbox.status();
  const entries = [{ agentId: undefined as string | undefined, ...status }, ...status.agents.filter((agent) => agent.isOwnConfig)];
  for (const entry of entries) {
    const who = entry.agentId === undefined ? 'sandbox' : `agents.${entry.agentId}.sandbox`;
    const reason = entry.probe.reason ?? 'unknown';
    if (entry.mode === 'off') logger.warn({ sandbox: who }, `${who}: mode off: shells run unsandboxed (explicit opt-out)`);
    else if (entry.effect === 'unsandboxed')
      logger.warn({ sandbox: who, reason }, `${who}: mode auto: bwrap unusable, shells run UNSANDBOXED: ${reason}`);
    else if (entry.effect === 'refused')
      logger.error(
        { sandbox: who, reason },
        `${who}: mode required: bwrap unusable, every exec is refused (SANDBOX_UNAVAILABLE): ${reason}`,
      );
  }
}

/**
 * Open `<stateDir>/pincer.db` after a quick integrity check (issue 14 item 15: a zero-byte or
 * damaged database is refused, never started empty) and keep it and its side files 0600.
 */
function openCheckedStore(databaseFile: string): GatewayStore {
  const verdict = checkDatabaseFile(databaseFile);
  if (!verdict.isUsable) throw new GatewayError('unavailable', verdict.message, { field: databaseFile });
  let store: GatewayStore;
  try {
    store = createSqliteGatewayStore(databaseFile);
  } catch (error) {
    const bindingProblem = describeSqliteBindingError(error);
    if (bindingProblem !== undefined) throw new GatewayError('unavailable', bindingProblem, { cause: error });
    throw error;
  }
  tightenDatabaseModes(databaseFile);
  return store;
}

/**
 * The store the config names: `<stateDir>/pincer.db` (default) or PostgreSQL. A PostgreSQL store
 * without a URL is a config error naming the variable it looked in, never a silent SQLite.
 */
function postgresUrlOf(config: GatewayConfig): string {
  const storeConfig = config.store;
  const urlEnv = (storeConfig?.kind === 'postgres' ? storeConfig.urlEnv : undefined) ?? DEFAULT_POSTGRES_URL_ENV;
  const url = (storeConfig?.kind === 'postgres' ? storeConfig.url : undefined) ?? process.env[urlEnv]?.trim();
  if (!url) {
    throw new GatewayError('invalid_config', `store.kind is "postgres" but neither store.url nor ${urlEnv} is set`, {
      field: 'store.url',
    });
  }
  return url;
}

function openConfiguredStore(config: GatewayConfig, stateDir: string, isServer: boolean, nodeId: string | undefined): GatewayStore {
  const storeConfig = config.store;
  if (storeConfig?.kind !== 'postgres') return openCheckedStore(join(stateDir, 'pincer.db'));
  return createPostgresGatewayStore(postgresUrlOf(config), {
    schema: storeConfig.schema,
    timeoutMs: storeConfig.statementTimeoutMs,
    // A single server holds its schema alone; cluster nodes share it; one-off embedded turns use it beside either.
    exclusive: isServer && nodeId === undefined,
    nodeId,
  });
}

/** One day, ms. */
const DAY_MS = 86_400_000;
/** Default of `gateway.maxConcurrentRuns`. */
const DEFAULT_MAX_CONCURRENT_RUNS = 4;
/** Default of `gateway.shutdownGraceMs`. */
const DEFAULT_SHUTDOWN_GRACE_MS = 5_000;
/** How long close waits for aborted runs to unwind, ms. */
const ABORTED_RUNS_SETTLE_MS = 5_000;

/**
 * Build every service in dependency order from the config: store → bus → processes → plugin
 * host → system events → sessions → runs → heartbeats → notify → sub-agents → cron → tools →
 * configured plugins → (server) restart recovery. One clock and one id source go to every
 * factory. The one back-edge (a run's tools call services built after the run queue) is the
 * toolbox: created empty, read per run, filled below once those services exist.
 */
export async function createGatewayRuntime(options: GatewayRuntimeOptions = {}): Promise<GatewayRuntime> {
  const stateDir = resolveStateDir(options.stateDir);
  ensureStateDir(stateDir);
  const config = options.config ?? loadConfig(resolveConfigPath(stateDir, options.configPath));
  const logger =
    options.logger ?? pino({ level: options.logLevel ?? process.env.PINCER_LOG_LEVEL ?? 'warn', base: { app: 'pincer-gateway' } });
  const clock = options.clock ?? createSystemClock();
  const newId = options.newId ?? randomIdSource;
  const isServer = options.isServer ?? false;
  if (isServer) {
    // Issue 14 item 7: owners ["*"] with dmScope main puts every sender's DMs into one session.
    for (const warning of ownerConfigWarnings(
      config.agents.map((agent) => ({
        agentId: agent.id,
        owners: agentOwners(config, agent.id),
        dmScope: agentSessionConfig(config, agent.id).dmScope,
      })),
    )) {
      logger.warn(warning);
    }
  }
  // Cluster mode (server only): a node id for this start and the secret of node-to-node calls, checked before anything opens.
  const clusterSecret = isServer && config.cluster ? readClusterSecret(config) : undefined;
  const nodeId = clusterSecret !== undefined ? (config.cluster?.nodeId ?? randomNodeId()) : undefined;
  const store = options.store ?? openConfiguredStore(config, stateDir, isServer, nodeId);
  // Built parts are stopped in reverse order, on close and when composing fails halfway.
  const stops: Array<() => void | Promise<void>> = [() => store.close()];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  };

  try {
    const metrics = createMetrics();
    const bus = createEventBus();
    const wiringLogger = logger.child({ component: 'wiring' });
    // Filled once the services a take-over needs exist (they are built after the lanes).
    let takeOverNode = async (_nodeId: string): Promise<void> => undefined;
    let syncCron = async (): Promise<void> => undefined;
    let resolveFenced: () => void = () => undefined;
    const fenced = new Promise<void>((resolve) => {
      resolveFenced = resolve;
    });
    const cluster =
      clusterSecret !== undefined && store.cluster
        ? createClusterService({
            table: store.cluster,
            config,
            secret: clusterSecret,
            logger: logger.child({ component: 'cluster', nodeId: store.cluster.nodeId }),
            onNodeDead: (deadNode) => takeOverNode(deadNode),
            onTick: () => syncCron(),
            onFenced: () => resolveFenced(),
          })
        : undefined;
    if (clusterSecret !== undefined && !cluster) {
      throw new GatewayError('invalid_config', 'cluster mode needs the PostgreSQL store (store.kind "postgres")', { field: 'cluster' });
    }
    if (cluster) stops.push(() => cluster.leave());
    // Late-bound: the relay is built before the system-event queue it clears.
    let clearQueuedEvents = (_sessionKey: string): void => undefined;
    const relay = cluster
      ? await createEventRelay({
          url: postgresUrlOf(config),
          schema: config.store?.kind === 'postgres' ? (config.store.schema ?? 'public') : 'public',
          nodeId: cluster.nodeId,
          bus,
          logger: logger.child({ component: 'cluster' }),
          onClear: (sessionKey) => clearQueuedEvents(sessionKey),
        })
      : undefined;
    if (relay) stops.push(() => relay.close());
    const lanes = createLanes({
      maxConcurrent: config.gateway?.maxConcurrentRuns ?? DEFAULT_MAX_CONCURRENT_RUNS,
      // Cluster mode: one run at a time per session across every node (the session's run lock).
      ...(cluster ? { guard: (sessionKey: string) => cluster.lockSession(sessionKey) } : {}),
    });

    const sandboxes = createGatewaySandboxes({ config, stateDir });
    const sandbox = createSandboxService({ config, sandboxes });
    if (isServer) await reportSandboxes(sandbox, wiringLogger);
    const registry = createGatewayProcessRegistry({
      config,
      clock,
      journal: createProcessJournal({ store, clock, metrics, bus }),
      logger: wiringLogger,
      sandbox: sandboxes.defaultSandbox.sandbox,
      deniedEnvNames: deniedEnvNames(config),
      deniedEnvPrefixes: DENIED_ENV_PREFIXES,
    });
    stops.push(async () => {
      // `leave`: processes keep running; the next start reaps them through the journal.
      if (config.exec?.onShutdown !== 'leave') await registry.dispose();
    });
    const plugins = await createPlugins({ config, registry, clock, logger: wiringLogger, stateDir });
    stops.push(() => plugins.dispose());
    const systemEvents = await createSystemEvents({
      store,
      clock,
      newId,
      metrics,
      logger: wiringLogger,
      timeZone: config.timeZone ?? 'UTC',
    });
    stops.push(() => systemEvents.queue.flush().catch(() => undefined));
    clearQueuedEvents = (sessionKey) => systemEvents.clear(sessionKey);

    // Filled once processes and cron exist (they are built after sessions).
    let endSessionResources = async (_sessionKey: string): Promise<void> => undefined;
    const sessions = createSessionService({
      endSessionResources: (sessionKey) => endSessionResources(sessionKey),
      config,
      store,
      clock,
      newId,
      systemEvents,
      isBusy: (sessionKey) => lanes.isBusy(sessionKey),
      onSessionStart: (session) =>
        void plugins.host
          .emit('session_start', { sessionKey: session.key, agentId: session.agentId, sessionId: session.sessionId })
          .catch(() => undefined),
    });
    const resolveTurnTarget = createTurnTargetResolver(config, store.sessions);
    const credentials = createCredentialService({
      store: store.credentials,
      canonicalize: (rawKey) => resolveTurnTarget({ sessionKey: rawKey }),
      knownAgentIds: config.agents.map((agent) => agent.id),
      now: options.credentialsNow ?? (() => clock.now()),
    });
    const audit = createAuditLog({
      store: store.audit,
      now: () => clock.now(),
      maxRows: config.gateway?.audit?.maxRows,
      maxAgeMs: config.gateway?.audit?.maxAgeDays !== undefined ? config.gateway.audit.maxAgeDays * DAY_MS : undefined,
      onError: (error, entry) => {
        metrics.errors.inc({ where: 'audit' });
        wiringLogger.error({ err: error, action: entry.action }, 'could not write an audit row');
      },
    });
    const toolbox = createToolbox();
    const runToolCall = createToolCallRunner({ plugins: plugins.host, metrics, clock });
    const agentLoop = createAgentLoop({
      config,
      store,
      clock,
      models: createModelResolver(config),
      toolbox,
      runToolCall,
      sessions,
      systemEvents,
      bus,
      metrics,
      logger,
    });
    const runs = createRunQueue({ config, store, clock, newId, lanes, agentLoop, sessions, resolveTurnTarget, bus });
    if (isServer) runs.finalizeInterrupted();

    const heartbeats = createHeartbeats({ config, clock, runs, systemEvents, metrics, logger: wiringLogger });
    stops.push(() => {
      heartbeats.runner.stop();
      heartbeats.wake.dispose();
    });
    const notify = createNotify({ config, systemEvents, wake: heartbeats.wake, sessions, bus, metrics });
    // A background shell's exit notice carries the ceiling of the credential that started it.
    const shellCeilings = createCeilingLedger();
    // Exit notices → routed queue → wake (seed 001).
    const unsubscribeExit = registry.on('exit', (exit: ExitEvent) => {
      metrics.processesRunning.set(registry.stats().running);
      const ceiling = shellCeilings.take(exit.id);
      if (!exit.shouldNotify || !exit.sessionKey) return;
      try {
        notify({ sessionKey: exit.sessionKey, text: formatExitNotice(exit), source: 'exec', contextKey: `exec:${exit.id}`, ceiling });
      } catch (error) {
        metrics.errors.inc({ where: 'exit-notice' });
        wiringLogger.error({ err: error, id: exit.id }, 'could not queue exit notice');
      }
    });
    stops.push(unsubscribeExit);
    // A shutdown that kills shells (`exec.onShutdown: kill`) tells each shell's session once, durably
    // (delivered after the restart); `leave` lets the next start reap them and say so instead.
    stops.push(() => {
      if (config.exec?.onShutdown === 'leave') return;
      for (const shell of registry.snapshot().running) {
        if (!shell.sessionKey) continue;
        try {
          notify({
            sessionKey: shell.sessionKey,
            text: `Exec killed by a gateway shutdown (${shell.id}: ${shell.command.slice(0, 120)})`,
            source: 'exec',
            contextKey: `exec:${shell.id}`,
            wake: false,
          });
        } catch (error) {
          wiringLogger.warn({ err: error, id: shell.id }, 'could not queue the shutdown notice of a shell');
        }
      }
    });
    const processes = createProcessService({ registry, shells: plugins.shells, store, cluster });
    const spawnIdentities = createSpawnIdentities();
    const spawner = createSubagents({
      config,
      store,
      clock,
      newId,
      runs,
      sessions,
      notify,
      metrics,
      logger: wiringLogger,
      spawnIdentities,
    });
    stops.push(() => spawner.dispose());
    const cron = createCron({
      config,
      store,
      clock,
      newId,
      runs,
      sessions,
      notify,
      metrics,
      logger: wiringLogger,
      activeIdentity: (id) => credentials.activeIdentity(id),
      ...(store.cluster && cluster
        ? { claimSlot: (jobId: string, slotMs: number) => store.cluster!.claimCronSlot(jobId, slotMs, clock.now()) }
        : {}),
    });
    stops.push(() => cron.scheduler.stop());
    // Cluster mode: every lease renewal also picks up the jobs other nodes added or removed.
    if (isServer) syncCron = () => cron.sync();

    endSessionResources = async (sessionKey) => {
      const scope = sessionOnlyScope(sessionKey);
      // Local shells, and (cluster mode) the session's shells on other nodes, killed through their owners.
      const running = processes
        .list(scope)
        .filter((process) => process.status === 'running' && (process.source === 'registry' || cluster !== undefined));
      await Promise.allSettled(running.map((process) => processes.kill(process.id, scope)));
      // The other nodes drop what they hold queued for the session (their shells' exit notices too).
      relay?.broadcastClear(sessionKey);
      await cron.sync();
      for (const job of cron.list(scope)) await cron.scheduler.remove(job.id);
    };
    toolbox.register(
      createExecTool({
        processes,
        metrics,
        sandboxFor: (agentId) => sandboxes.forAgent(agentId).sandbox,
        timeoutPolicy: { configuredTimeoutMs: config.exec?.timeoutMs, isNoTimeoutAllowed: config.security?.allowNoExecTimeout },
        maxRunningPerSession: config.security?.perSession?.maxRunningShells,
        shellCeilings,
      }),
    );
    toolbox.register(createProcessTool({ processes }));
    toolbox.register(createSessionsSpawnTool({ spawner, spawnIdentities }));
    toolbox.register(createSessionsListTool({ sessions, store }));
    toolbox.register(createSessionsHistoryTool({ sessions }));
    toolbox.register(createCronTool({ cron }));
    toolbox.registerSource(() => plugins.tools());
    // A dead node's work, taken over by the one survivor that declared it dead: its runs end as
    // interrupted (never replayed), its shells are lost with one notice each, its queued events
    // move here and wake their sessions, its sub-agent runs and announcements resume here.
    takeOverNode = async (deadNode) => {
      const table = store.cluster!;
      const now = clock.now();
      const interrupted = table.interruptRuns(deadNode, `interrupted: node ${deadNode} stopped before this run finished`, now);
      const lost = table.loseShells(deadNode, now);
      for (const shell of lost) {
        if (!shell.sessionKey) continue;
        try {
          notify({
            sessionKey: shell.sessionKey,
            text: `Exec lost: node ${deadNode} stopped (${shell.id}: ${shell.command.slice(0, 120)})`,
            source: 'exec',
            contextKey: `exec:${shell.id}`,
          });
        } catch (error) {
          wiringLogger.error({ err: error, id: shell.id }, 'could not queue the lost-shell notice');
        }
      }
      const adopted = await systemEvents.adopt(table.adoptEvents(deadNode));
      for (const sessionKey of adopted) {
        try {
          heartbeats.wake.requestHeartbeatNow({ sessionKey, reason: 'retry' });
        } catch (error) {
          wiringLogger.warn({ err: error, sessionKey }, 'could not wake a session adopted from a dead node');
        }
      }
      await spawner.resumePending();
      wiringLogger.warn(
        { deadNode, interruptedRuns: interrupted.length, lostShells: lost.length, adoptedSessions: adopted.length },
        `took over the work of dead node ${deadNode}`,
      );
    };
    const invokeTool = createToolInvoker({ config, toolbox, sessions, resolveTurnTarget, runToolCall });
    const inbound = createInboundRouter({ config, runs, sessions });

    await plugins.loadConfigured();

    let reaped: ReapedProcess[] = [];
    if (isServer) {
      reaped = await reapOrphanedProcesses({
        store,
        registry,
        clock,
        logger: wiringLogger,
        notify: ({ sessionKey, id, text }) => void notify({ sessionKey, text, source: 'exec', contextKey: `exec:${id}` }),
        ownerNode: cluster?.nodeId,
      });
      await spawner.resumePending();
      // Events that survived a restart wake their sessions again (deferred, never dropped).
      for (const sessionKey of systemEvents.queue.sessionKeys()) {
        try {
          heartbeats.wake.requestHeartbeatNow({ sessionKey, reason: 'retry' });
        } catch (error) {
          wiringLogger.warn({ err: error, sessionKey }, 'could not wake a restored session');
        }
      }
      await cron.scheduler.start();
      await plugins.host.start();
      // Interval heartbeats (agents with a `heartbeat` block; default every 30m, 0 disables).
      heartbeats.runner.start();
    }

    let closing: Promise<void> | undefined;
    return {
      config,
      stateDir,
      logger,
      clock,
      store,
      metrics,
      bus,
      systemEvents,
      sessions,
      resolveTurnTarget,
      runs,
      heartbeats,
      notify,
      processes,
      sandbox,
      spawner,
      cron,
      plugins,
      toolbox,
      invokeTool,
      inbound,
      credentials,
      audit,
      cluster,
      fenced,
      reaped,
      async runAgentTurn(input) {
        // The embedded path (`pincer agent --local`) accepts exactly what POST /v1/agent accepts.
        const { runId, sessionKey } = runs.submitTurn(parse(AgentRequestSchema, input, ''));
        const pending = runs.waitFor(runId);
        const finished = pending ? await pending : store.runs.get(runId);
        return {
          runId,
          sessionKey,
          reply: finished?.reply ?? '',
          status: finished?.status ?? 'error',
          ...(finished?.error ? { error: finished.error } : {}),
        };
      },
      close() {
        closing ??= (async () => {
          // Queued runs are refused; running ones get the grace period to finish…
          runs.stopAccepting();
          await runs.settle(config.gateway?.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS);
          // …then are aborted, and stopping the services kills their processes so blocked tools return.
          agentLoop.abortAll(new Error('gateway shutting down'));
          // Everything but the store (the first stop), then let aborted runs record their end, then the store.
          const closeStore = stops.shift();
          await stopAll();
          await runs.settle(ABORTED_RUNS_SETTLE_MS);
          await closeStore?.();
        })();
        return closing;
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
