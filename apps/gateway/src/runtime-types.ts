import type { RunKind, RunStatus } from './store/store.js';

/** Input of {@link GatewayRuntime.submitTurn} / `runAgentTurn`. */
export interface AgentTurnInput {
  message: string;
  agentId?: string | undefined;
  sessionKey?: string | undefined;
  sessionId?: string | undefined;
  to?: string | undefined;
  timeoutMs?: number | undefined;
  idempotencyKey?: string | undefined;
}

/** Result of a finished turn. */
export interface AgentTurnResult {
  runId: string;
  sessionKey: string;
  reply: string;
  status: RunStatus;
  error?: string | undefined;
}

/** Public view of a run (GET /v1/runs/:id). */
export interface RunView {
  runId: string;
  sessionKey: string;
  agentId: string;
  kind: RunKind;
  status: RunStatus;
  reply?: string;
  error?: string;
  createdAt: number;
  startedAt?: number;
  endedAt?: number;
}

/** Events streamed to SSE subscribers; every event names its session. */
export type GatewayEvent =
  | { type: 'run.queued' | 'run.started'; sessionKey: string; runId: string; kind: RunKind }
  | { type: 'run.finished'; sessionKey: string; runId: string; kind: RunKind; status: RunStatus; reply?: string; error?: string }
  | { type: 'process.started'; sessionKey: string; id: string; command: string }
  | { type: 'process.exited'; sessionKey: string; id: string; status: string; exitCode: number | null; signal: string | null }
  | { type: 'system.event'; sessionKey: string; text: string }
  | { type: 'transcript'; sessionKey: string; role: string; text: string };

/** A turn queued in an already-resolved session (internal callers: HTTP, heartbeats, sub-agents, cron). */
export interface EnqueueRunInput {
  sessionKey: string;
  agentId: string;
  message: string;
  kind: RunKind;
  timeoutMs?: number;
  idempotencyKey?: string;
  depth?: number;
  deniedTools?: ReadonlyArray<string>;
  signal?: AbortSignal;
  /** Queue whose system events this turn shows and consumes (default: its own session). */
  eventsFrom?: string;
}
