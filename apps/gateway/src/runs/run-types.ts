import type { Identity } from '../credentials/identity.js';
import type { RunKind, RunRecord, RunStatus } from '../store/gateway-store.js';

/** Input of a turn (`POST /v1/agent`, `runAgentTurn`). */
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

/** A turn queued in an already-resolved session (internal callers: HTTP, heartbeats, sub-agents, cron). */
export interface EnqueueRunInput {
  sessionKey: string;
  agentId: string;
  message: string;
  kind: RunKind;
  timeoutMs?: number | undefined;
  idempotencyKey?: string | undefined;
  depth?: number | undefined;
  deniedTools?: ReadonlyArray<string> | undefined;
  signal?: AbortSignal | undefined;
  /** Queue whose system events this turn shows and consumes (default: its own session). */
  eventsFrom?: string | undefined;
  /**
   * The credential this run acts for: a scoped token's capabilities cap the run's tools (see
   * credentials/tool-ceiling.ts). Absent for the operator's and the gateway's own runs.
   */
  identity?: Identity | undefined;
}

/** A queued run and the promise of its final row. */
export interface EnqueuedRun {
  run: RunRecord;
  done: Promise<RunRecord>;
}

/** The public view of a run row. */
export function toRunView(run: RunRecord): RunView {
  return {
    runId: run.id,
    sessionKey: run.sessionKey,
    agentId: run.agentId,
    kind: run.kind,
    status: run.status,
    ...(run.reply !== null ? { reply: run.reply } : {}),
    ...(run.error !== null ? { error: run.error } : {}),
    createdAt: run.createdAt,
    ...(run.startedAt !== null ? { startedAt: run.startedAt } : {}),
    ...(run.endedAt !== null ? { endedAt: run.endedAt } : {}),
  };
}
