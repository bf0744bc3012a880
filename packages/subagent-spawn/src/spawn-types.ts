import { z } from 'zod';
import type { ChildToolPolicy } from './policy.js';
import { RunEndStatusSchema, type RunEndStatus } from './run-store.js';

/** Longest accepted task text (characters). */
export const MAX_TASK_CHARS = 100_000;
/** Longest accepted label (characters). */
export const MAX_LABEL_CHARS = 200;

/** Input of `spawner.spawn()`. `requester` comes from the gateway; the rest usually from the model. */
export const SpawnRequestSchema = z.object({
  /** Who asks: the requester's agent id and its canonical session key (`canonicalizeSessionKey`; a variant is refused). */
  requester: z.object({
    agentId: z.string().trim().min(1, 'requester.agentId must not be blank'),
    sessionKey: z.string().refine((key) => key.trim() !== '', 'requester.sessionKey must not be blank'),
  }),
  /** What the child should do; must not be blank. Max 100 000 characters. */
  task: z
    .string()
    .max(MAX_TASK_CHARS, `task must be at most ${MAX_TASK_CHARS} characters`)
    .refine((task) => task.trim() !== '', 'task must not be blank'),
  /** Target agent; omitted or blank = the requester's own agent. */
  agentId: z.string().optional(),
  /** Child session: omitted → fresh UUID; short key; or `agent:<target>:subagent:<key>`. */
  sessionKey: z.string().optional(),
  /** Short UI title (trimmed, max 200 characters). */
  label: z.string().trim().max(MAX_LABEL_CHARS).optional(),
  /** Run timeout in whole seconds; 0 = none; omitted = `policy.defaultRunTimeoutSeconds`. Max 86 400. */
  runTimeoutSeconds: z.number().int().min(0).max(86_400).optional(),
  /** `'keep'` (default) keeps the child session; `'delete'` asks the gateway to archive it after delivery. */
  cleanup: z.enum(['keep', 'delete']).optional(),
});
/** Input of `spawner.spawn()`. */
export type SpawnRequest = z.input<typeof SpawnRequestSchema>;

/**
 * Why a spawn was refused (`status: 'forbidden'`). Nothing is written for any of them.
 * - `AGENT_NOT_ALLOWED` — the target agent is not in the requester's `allowAgents`.
 * - `UNKNOWN_AGENT` — the target agent is allowed but not configured (or not a valid agent id).
 * - `DEPTH_LIMIT` — the requester is at `maxSpawnDepth`.
 * - `CHILD_LIMIT` — the requester session has `maxChildrenPerSession` running children.
 * - `CONCURRENCY_LIMIT` — `maxConcurrentRuns` sub-agent runs are running.
 * - `CROSS_AGENT_SESSION_KEY` — a fully-qualified `sessionKey` names another agent than the target.
 * - `INVALID_SESSION_KEY` — a `sessionKey` that is malformed or not a sub-agent key (e.g. `agent:ops:main`).
 * - `SESSION_BUSY` — the child session has a running run (or is the requester's own session).
 * - `FOREIGN_SESSION_KEY` — the child session was last spawned by another requester session
 *   (`childSessionReuse: 'requester'`).
 * - `REQUESTER_MISMATCH` — `requester.sessionKey` does not belong to `requester.agentId`.
 */
export type SpawnForbiddenCode =
  | 'AGENT_NOT_ALLOWED'
  | 'UNKNOWN_AGENT'
  | 'DEPTH_LIMIT'
  | 'CHILD_LIMIT'
  | 'CONCURRENCY_LIMIT'
  | 'CROSS_AGENT_SESSION_KEY'
  | 'INVALID_SESSION_KEY'
  | 'SESSION_BUSY'
  | 'FOREIGN_SESSION_KEY'
  | 'REQUESTER_MISMATCH';

/**
 * Why a spawn failed (`status: 'error'`).
 * - `INVALID_INPUT` — the request failed its schema (the message names the field).
 * - `LAUNCH_FAILED` — `launch()` threw synchronously; the run is recorded as `error`, not announced.
 * - `STORE_FAILED` — the run store threw.
 * - `DISPOSED` — the spawner was disposed.
 */
export type SpawnErrorCode = 'INVALID_INPUT' | 'NON_CANONICAL_SESSION_KEY' | 'LAUNCH_FAILED' | 'STORE_FAILED' | 'DISPOSED';

/** What `spawn()` resolves with. It never rejects. */
export type SpawnResult =
  | { status: 'accepted'; childSessionKey: string; runId: string }
  | { status: 'forbidden'; code: SpawnForbiddenCode; error: string }
  | { status: 'error'; code: SpawnErrorCode; error: string };

/** What the spawner hands to the gateway's `launch`. */
export interface LaunchRequest {
  readonly runId: string;
  /** Canonical child session key to run in. */
  readonly childSessionKey: string;
  /** Normalized target agent id. */
  readonly agentId: string;
  readonly requesterSessionKey: string;
  readonly requesterAgentId: string;
  readonly task: string;
  readonly label: string | undefined;
  /** Spawn depth of the child (1 = child of a top-level session). */
  readonly depth: number;
  /** True when the session already existed: continue its history. */
  readonly isResumedSession: boolean;
  readonly cleanup: 'keep' | 'delete';
  /** 0 = none. The spawner enforces it; the gateway may also pass it on. */
  readonly runTimeoutSeconds: number;
  /** Tools the child may not use (`childToolPolicy(depth)`). */
  readonly toolPolicy: ChildToolPolicy;
  /** Aborted when the spawner gives up on the run (timeout, dispose): stop the child. */
  readonly signal: AbortSignal;
}

/** How a child run ended, as `launch` reports it. `result` is the child's last assistant text. */
export const LaunchOutcomeSchema = z.object({
  status: RunEndStatusSchema,
  result: z.string().optional(),
  error: z.string().optional(),
});
/** How a child run ended. */
export type LaunchOutcome = z.infer<typeof LaunchOutcomeSchema>;

/**
 * Starts the child run and resolves when it ends. A synchronous throw means "could not start"
 * (`spawn()` answers `status: 'error'`); a rejection means the run failed (announced as `error`).
 */
export type LaunchFn = (request: LaunchRequest) => Promise<LaunchOutcome>;

/** What `announce` receives; `runId` is the idempotency key. */
export interface AnnounceInput {
  readonly requesterSessionKey: string;
  readonly childSessionKey: string;
  readonly runId: string;
  readonly status: RunEndStatus;
  /** The child's last assistant text, when it produced one. */
  readonly result: string | undefined;
  /** Error text for `error` / `timeout`. */
  readonly error: string | undefined;
  readonly agentId: string;
  readonly label: string | undefined;
  readonly task: string;
  /** When `'delete'`, the gateway archives the child session after this delivery succeeds. */
  readonly cleanup: 'keep' | 'delete';
  /** 1-based attempt number. */
  readonly attempt: number;
}

/** Delivers a finished run's result to the requester session. Resolve = delivered; reject = retry later. */
export type AnnounceFn = (input: AnnounceInput) => Promise<void>;

/** What `resumePending()` did. */
export interface ResumeSummary {
  /** Runs found `running` in the store (left by a previous process) and finalized as `error` (interrupted). */
  readonly interrupted: number;
  /** Pending announcements scheduled for delivery. */
  readonly resumed: number;
}
