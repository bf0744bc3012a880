import { z } from 'zod';

/** Awaitable or plain value: the gateway's SQLite store is synchronous, others may not be. */
export type MaybePromise<T> = T | Promise<T>;

/** Lifecycle status of a sub-agent run. `running` until the run ends; then the real outcome. */
export const RunStatusSchema = z.enum(['running', 'ok', 'error', 'timeout']);
/** Lifecycle status of a sub-agent run. */
export type RunStatus = z.infer<typeof RunStatusSchema>;

/** Final status of a run (anything but `running`). */
export const RunEndStatusSchema = z.enum(['ok', 'error', 'timeout']);
/** Final status of a run. */
export type RunEndStatus = z.infer<typeof RunEndStatusSchema>;

/**
 * Announcement state of a run:
 * - `none` — nothing to announce yet (the run is running), or never (the launch failed and `spawn()`
 *   already answered `status: 'error'`).
 * - `pending` — the run ended; delivery to the requester is being attempted / retried.
 * - `delivered` — `announce()` resolved once; it is never called again for this run.
 * - `failed` — the 30 min deadline passed without a successful delivery; `reason` says why.
 */
export const AnnouncementStateSchema = z.enum(['none', 'pending', 'delivered', 'failed']);
/** Announcement state of a run. */
export type AnnouncementState = z.infer<typeof AnnouncementStateSchema>;

/** Announcement bookkeeping stored with each run (all times epoch ms). */
export const AnnouncementRecordSchema = z.object({
  state: AnnouncementStateSchema,
  /** `announce()` calls made so far. */
  attempts: z.number().int().min(0),
  /** When the next attempt is due (set while `pending`). */
  nextAttemptAt: z.number().optional(),
  /** Give up after this time (run end + 30 min). */
  deadlineAt: z.number().optional(),
  /** Message of the latest failed attempt. */
  lastError: z.string().optional(),
  /** When delivery succeeded. */
  deliveredAt: z.number().optional(),
  /** When the announcement was marked failed. */
  failedAt: z.number().optional(),
  /** Why the announcement failed (or why there is none), human-readable. */
  reason: z.string().optional(),
});
/** Announcement bookkeeping stored with each run. */
export type AnnouncementRecord = z.infer<typeof AnnouncementRecordSchema>;

/** One sub-agent run as the spawner persists it. Keys are canonical (lower-case agent prefix). */
export const SubagentRunRecordSchema = z.object({
  /** Run id (from the injected `newId`); the announcement's idempotency key. */
  runId: z.string().min(1),
  /** `agent:<target>:subagent:<key>` — the session the child runs in. */
  childSessionKey: z.string().min(1),
  /** The session that asked for the spawn and receives the announcement. */
  requesterSessionKey: z.string().min(1),
  /** Normalized agent id of the requester. */
  requesterAgentId: z.string().min(1),
  /** Normalized agent id of the child. */
  targetAgentId: z.string().min(1),
  /** The task text given to the child. */
  task: z.string(),
  /** Optional short UI label. */
  label: z.string().optional(),
  /** What the gateway does with the child session after a delivered announcement. */
  cleanup: z.enum(['keep', 'delete']),
  /** Spawn depth of the child (1 = child of a top-level session). */
  depth: z.number().int().min(1),
  /** Run timeout in seconds; 0 = none. */
  runTimeoutSeconds: z.number().int().min(0),
  /** True when the child continues an existing session's history. */
  isResumedSession: z.boolean(),
  /** When the run was admitted (epoch ms). */
  createdAt: z.number(),
  /** When the run ended (epoch ms). */
  endedAt: z.number().optional(),
  status: RunStatusSchema,
  /** The child's last assistant text (when the run produced one). */
  result: z.string().optional(),
  /** Error text for `error` / `timeout` runs. */
  error: z.string().optional(),
  announcement: AnnouncementRecordSchema,
});
/** One sub-agent run as the spawner persists it. */
export type SubagentRunRecord = z.infer<typeof SubagentRunRecordSchema>;

/** What `markFinished` writes — the outcome and the initial announcement state, in one write. */
export interface RunFinish {
  status: RunEndStatus;
  result?: string | undefined;
  error?: string | undefined;
  /** Epoch ms. */
  endedAt: number;
  announcement: AnnouncementRecord;
}

/** Filter for {@link SubagentRunStore.list}; all given fields must match. */
export interface RunListFilter {
  requesterSessionKey?: string | undefined;
  childSessionKey?: string | undefined;
}

/**
 * Where runs live. The gateway implements it over SQLite so a restart resumes pending
 * announcements; {@link createInMemoryRunStore} is the reference implementation.
 *
 * Contract every implementation must keep:
 * - `create` rejects (throws `SubagentSpawnError` `SESSION_BUSY`) when the child session already has a
 *   `running` run, and `RUN_EXISTS` for a duplicate run id — one run per session, even across gateways.
 * - `markFinished` changes a run only while it is `running` and returns whether it did (first end wins);
 *   the outcome and the announcement state are written together (a crash never loses the announcement).
 * - Returned records are copies: mutating them must not change the store.
 */
export interface SubagentRunStore {
  /** Persist a new run (status `running`). */
  create(record: SubagentRunRecord): MaybePromise<void>;
  /** The run with this id, or `undefined`. */
  get(runId: string): MaybePromise<SubagentRunRecord | undefined>;
  /** The most recently created run for a child session key (history reuse, busy detection). */
  findLatestByChildSessionKey(childSessionKey: string): MaybePromise<SubagentRunRecord | undefined>;
  /** Number of `running` runs requested by this session. */
  countActiveByRequester(requesterSessionKey: string): MaybePromise<number>;
  /** Number of `running` runs in total. */
  countActive(): MaybePromise<number>;
  /** End a `running` run; returns `false` (and changes nothing) if it had already ended. */
  markFinished(runId: string, finish: RunFinish): MaybePromise<boolean>;
  /** Replace a run's announcement record. */
  updateAnnouncement(runId: string, announcement: AnnouncementRecord): MaybePromise<void>;
  /** Runs whose announcement is `pending` (resume after a restart). */
  listPendingAnnouncements(): MaybePromise<readonly SubagentRunRecord[]>;
  /** Runs still `running` (after a restart: interrupted runs to finalize). */
  listRunning(): MaybePromise<readonly SubagentRunRecord[]>;
  /** Runs matching `filter`, oldest first. */
  list(filter?: RunListFilter): MaybePromise<readonly SubagentRunRecord[]>;
}
