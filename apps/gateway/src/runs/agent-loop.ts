import { generateText, stepCountIs, type ModelMessage } from 'ai';
import type { Logger } from 'pino';
import { findAgent, type GatewayConfig } from '../config.js';
import type { GatewayClock } from '../clock.js';
import type { EventBus } from '../events/event-bus.js';
import type { SystemEvents } from '../events/system-events.js';
import type { GatewayMetrics } from '../metrics.js';
import type { ModelResolver } from '../model/providers.js';
import type { SessionService } from '../sessions/sessions.js';
import type { GatewayStore, RunRecord } from '../store/gateway-store.js';
import { toAiSdkToolSet } from '../tools/ai-sdk-tool-set.js';
import { narrowIdentityByEvents } from '../credentials/event-ceiling.js';
import type { Identity } from '../credentials/identity.js';
import type { ToolContext } from '../tools/define-tool.js';
import type { ToolCallRunner } from '../tools/tool-calls.js';
import type { Toolbox } from '../tools/toolbox.js';
import { neutralizeForgedSystemLines } from '../security/forged-system-lines.js';
import { defaultSystemPrompt, transcriptText } from './transcript-text.js';

/** Transcript messages a turn sees as history. */
const HISTORY_MESSAGES = 40;
/** Default model steps per turn (`agents[].maxSteps`). */
const DEFAULT_MAX_STEPS = 8;

/** How one run executes. */
export interface ExecuteRunOptions {
  timeoutMs: number;
  depth: number;
  denied: ReadonlySet<string>;
  signal?: AbortSignal | undefined;
  eventsFrom?: string | undefined;
  /** The credential the run acts for; a scoped token's capabilities cap its tools. */
  identity?: Identity | undefined;
}

/** Runs one turn: history, queued events, the model with tools, one transaction for the outcome. */
export interface AgentLoop {
  execute(run: RunRecord, options: ExecuteRunOptions): Promise<RunRecord>;
  /** Abort every running turn (shutdown after the grace period). */
  abortAll(reason: Error): void;
}

/** Options of {@link createAgentLoop}. */
export interface AgentLoopOptions {
  config: GatewayConfig;
  store: GatewayStore;
  clock: GatewayClock;
  models: ModelResolver;
  toolbox: Toolbox;
  runToolCall: ToolCallRunner;
  sessions: SessionService;
  systemEvents: SystemEvents;
  bus: EventBus;
  metrics: GatewayMetrics;
  logger: Logger;
}

/** Build the agent loop. */
export function createAgentLoop(options: AgentLoopOptions): AgentLoop {
  const { config, store, clock, systemEvents, bus, metrics, logger } = options;
  const controllers = new Map<string, AbortController>();

  const execute = async (run: RunRecord, runOptions: ExecuteRunOptions): Promise<RunRecord> => {
    store.runs.update(run.id, { status: 'running', startedAt: clock.now() });
    bus.publish({ type: 'run.started', sessionKey: run.sessionKey, runId: run.id, kind: run.kind });
    metrics.runsActive.inc();
    const session = options.sessions.ensure(run.sessionKey, run.agentId);
    const controller = new AbortController();
    controllers.set(run.id, controller);
    const timer = clock.setTimeout(() => controller.abort(new Error('timeout')), runOptions.timeoutMs);
    const onOuterAbort = () => controller.abort(runOptions.signal?.reason ?? new Error('aborted'));
    runOptions.signal?.addEventListener('abort', onOuterAbort, { once: true });
    // Peek (not drain): events are removed only after the turn is persisted, so a crash mid-run keeps them queued.
    const eventsKey = runOptions.eventsFrom ?? run.sessionKey;
    const events = systemEvents.peek(eventsKey);
    const eventsBlock = systemEvents.format(events);
    // Issue 14 item 5: user text shaped like `System: …` lines is marked, so neither the model nor
    // the transcript can mistake it for the real events prepended above it. Heartbeat prompts are
    // the gateway's own text; every other kind (user, inbound, cron agentTurn, sub-agent task) is user text.
    const messageText = run.kind === 'heartbeat' ? run.message : neutralizeForgedSystemLines(run.message);
    const userText = eventsBlock ? `${eventsBlock}\n\n${messageText}` : messageText;
    try {
      const history = store.transcripts
        .list(run.sessionKey, { sessionId: session.sessionId, limit: HISTORY_MESSAGES })
        .map((entry) => entry.message)
        .filter((message): message is ModelMessage => message !== null && typeof message === 'object');
      // A history slice must not start in the middle of a tool exchange.
      while (history.length > 0 && history[0]!.role !== 'user') history.shift();
      const userMessage: ModelMessage = { role: 'user', content: userText };
      const agent = findAgent(config, run.agentId);
      const context: ToolContext = {
        agentId: run.agentId,
        sessionKey: run.sessionKey,
        sessionId: session.sessionId,
        depth: runOptions.depth,
        via: 'model',
        signal: controller.signal,
        // The events shown to the model can steer it: the turn runs under the ceilings of the
        // credentials that caused them too (operator and internal events carry none).
        identity: narrowIdentityByEvents(runOptions.identity, events, run.sessionKey),
      };
      const result = await generateText({
        model: options.models.forAgent(run.agentId),
        system: agent?.system ?? defaultSystemPrompt(run.agentId, run.sessionKey),
        messages: [...history, userMessage],
        tools: toAiSdkToolSet({
          tools: options.toolbox.list(),
          context,
          denied: runOptions.denied,
          config,
          runToolCall: options.runToolCall,
          metrics,
        }),
        stopWhen: stepCountIs(agent?.maxSteps ?? DEFAULT_MAX_STEPS),
        abortSignal: controller.signal,
        maxRetries: 0,
      });
      const reply = result.text;
      const isSilentHeartbeat = run.kind === 'heartbeat' && events.length === 0 && /^\s*HEARTBEAT_OK\s*$/.test(reply);
      const finishedAt = clock.now();
      store.transaction(() => {
        if (!isSilentHeartbeat) {
          const entry = { sessionKey: run.sessionKey, sessionId: session.sessionId, runId: run.id, createdAt: finishedAt };
          store.transcripts.append({ ...entry, role: 'user', text: userText, message: userMessage });
          for (const message of result.response.messages) {
            store.transcripts.append({ ...entry, role: message.role, text: transcriptText(message), message });
          }
        }
        systemEvents.consume(
          eventsKey,
          events.map((event) => event.id),
        );
        store.runs.update(run.id, { status: 'ok', reply, endedAt: finishedAt });
        store.sessions.touch(run.sessionKey, finishedAt, run.id);
      });
      if (!isSilentHeartbeat) bus.publish({ type: 'transcript', sessionKey: run.sessionKey, role: 'assistant', text: reply });
    } catch (error) {
      const isTimeout = controller.signal.aborted && (controller.signal.reason as Error | undefined)?.message === 'timeout';
      metrics.errors.inc({ where: 'run' });
      logger.warn({ err: error, runId: run.id }, 'run failed');
      if (store.isOpen) {
        store.runs.update(run.id, {
          status: isTimeout ? 'timeout' : 'error',
          error: isTimeout ? `run timed out after ${runOptions.timeoutMs} ms` : (error as Error).message,
          endedAt: clock.now(),
        });
      }
    } finally {
      clock.clearTimeout(timer);
      runOptions.signal?.removeEventListener('abort', onOuterAbort);
      controllers.delete(run.id);
      metrics.runsActive.dec();
    }
    if (!store.isOpen) return { ...run, status: 'error', error: 'gateway closed during the run' };
    const finished = store.runs.get(run.id)!;
    metrics.runs.inc({ kind: finished.kind, status: finished.status });
    bus.publish({
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

  return {
    execute,
    abortAll(reason) {
      for (const controller of controllers.values()) controller.abort(reason);
    },
  };
}
