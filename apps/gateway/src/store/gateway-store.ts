import type { SubagentRunStore } from '@pincer/subagent-spawn';
import type { AuditStore, CredentialStore } from '../credentials/credential-store.js';

/** Session row. */
export interface SessionRecord {
  key: string;
  agentId: string;
  sessionId: string;
  kind: string;
  label: string | null;
  spawnedBy: string | null;
  spawnDepth: number;
  channel: string | null;
  peerKind: string | null;
  peerId: string | null;
  createdAt: number;
  updatedAt: number;
  lastRunId: string | null;
}

/** Input of {@link SessionTable.upsert}: a session row without its timestamps, plus the write time. */
export type SessionUpsert = Omit<SessionRecord, 'createdAt' | 'updatedAt' | 'lastRunId'> & { now: number };

/** One transcript entry. `message` is the AI SDK ModelMessage JSON when there is one. */
export interface TranscriptEntry {
  seq: number;
  sessionKey: string;
  sessionId: string;
  runId: string | null;
  role: 'user' | 'assistant' | 'tool' | 'system';
  text: string;
  message: unknown;
  createdAt: number;
}

/** Agent run statuses (the one list; the wire schema and the store derive from it). */
export const RUN_STATUSES = ['queued', 'running', 'ok', 'error', 'timeout'] as const;
/** Why a run happened (the one list). */
export const RUN_KINDS = ['user', 'heartbeat', 'subagent', 'cron', 'inbound'] as const;
/** Agent run status. */
export type RunStatus = (typeof RUN_STATUSES)[number];
/** Why a run happened. */
export type RunKind = (typeof RUN_KINDS)[number];

/** Run row. */
export interface RunRecord {
  id: string;
  sessionKey: string;
  agentId: string;
  kind: RunKind;
  status: RunStatus;
  message: string;
  reply: string | null;
  error: string | null;
  idempotencyKey: string | null;
  createdAt: number;
  startedAt: number | null;
  endedAt: number | null;
}

/** The columns of a run that change after it is queued. */
export type RunPatch = Partial<Pick<RunRecord, 'status' | 'reply' | 'error' | 'startedAt' | 'endedAt'>>;

/** Journal row of a process. */
export interface ProcessRecord {
  id: string;
  pid: number | null;
  scopeKey: string;
  sessionKey: string | null;
  command: string;
  cwd: string;
  startedAt: number;
  endedAt: number | null;
  status: string;
  exitCode: number | null;
  signal: string | null;
  output: string;
  truncated: boolean;
  record: unknown;
  gatewayPid: number | null;
  /** The cluster node that spawned the shell (PostgreSQL cluster mode); absent or null for a single gateway. */
  ownerNode?: string | null | undefined;
}

/** Input of {@link ProcessJournalTable.start}. */
export type ProcessStart = Omit<ProcessRecord, 'output' | 'truncated' | 'endedAt' | 'exitCode' | 'signal' | 'ownerNode'>;

/** Input of {@link ProcessJournalTable.exit}. */
export interface ProcessExit {
  status: string;
  exitCode: number | null;
  signal: string | null;
  endedAt: number;
  tail?: string | undefined;
  truncated?: boolean | undefined;
}

/** Filter of {@link ProcessJournalTable.list}. */
export interface ProcessListFilter {
  status?: 'running' | 'finished' | undefined;
  /** Only processes whose session key or scope key is this key (filtered in the store). */
  scopeOrSessionKey?: string | undefined;
}

/** Pending/delivered sub-agent announcement. */
export interface AnnouncementRecord {
  runId: string;
  requesterSessionKey: string;
  payload: unknown;
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  createdAt: number;
  deliveredAt: number | null;
}

/** A stored cron job: heartbeat-router's job record plus the session that owns it. */
export interface CronJobRow {
  id: string;
  ownerSessionKey: string | null;
  /** The credential that created the job (`operator`, a token id), `null` for jobs from before credentials. */
  createdBy: string | null;
  record: unknown;
}

/** Status of a journal row written before its shell is spawned (no pid yet); `started` completes it. */
export const PROCESS_STARTING_STATUS = 'starting';

/** Finished processes kept in the journal (newest first); pruned at start and every 50 exits. */
export const JOURNAL_MAX_FINISHED = 1000;

/** Max retained output per journaled process (chars). */
export const JOURNAL_MAX_OUTPUT_CHARS = 200_000;

/** Chars of retained output `processes.list` returns per process (the snapshot tail size). */
export const PROCESS_LIST_TAIL_CHARS = 2_000;

/** A position in the session list: the last row of a page. */
export interface SessionPosition {
  updatedAt: number;
  key: string;
}

/** Sessions: one row per session key. */
export interface SessionTable {
  get(key: string): SessionRecord | undefined;
  /**
   * Most recently updated first (ties by key, descending); `limit` is clamped to 1–1000 (default
   * 200); `after` continues after that row (keyset paging, stable under inserts).
   */
  list(filter?: {
    agentId?: string | undefined;
    /** Only the session `keyPrefix` and those under it (`<keyPrefix>:…`), filtered in the store. */
    keyPrefix?: string | undefined;
    limit?: number | undefined;
    after?: SessionPosition | undefined;
  }): SessionRecord[];
  /** How many sessions there are (of `agentId`, and at or under `keyPrefix`, when given). */
  count(filter?: { agentId?: string | undefined; keyPrefix?: string | undefined }): number;
  /** The session of `agentId` whose current session id is `sessionId` (most recently updated), if any. */
  findBySessionId(agentId: string, sessionId: string): SessionRecord | undefined;
  /** Insert, or refresh `updatedAt` and fill label/channel/peer when given. Returns the row. */
  upsert(session: SessionUpsert): SessionRecord;
  touch(key: string, now: number, lastRunId?: string): void;
  /** A new session id; the session's queued system events are dropped in the same transaction. */
  reset(key: string, newSessionId: string, now: number): void;
  /** The session, its transcript and its queued system events, in one transaction. */
  delete(key: string): void;
}

/** Transcripts: append-only entries per session key and session id. */
export interface TranscriptTable {
  append(entry: Omit<TranscriptEntry, 'seq'>): number;
  /** The newest `limit` (1–2000, default 200) entries after `afterSeq`, oldest first. */
  list(
    sessionKey: string,
    options?: { sessionId?: string | undefined; afterSeq?: number | undefined; limit?: number | undefined },
  ): TranscriptEntry[];
}

/** The durable backing of heartbeat-router's system-event queue. */
export interface SystemEventTable {
  /** Every queued event body, in insertion order. */
  all(): Array<{ sessionKey: string; body: unknown }>;
  append(sessionKey: string, id: string, body: unknown, now: number): void;
  remove(sessionKey: string, ids: ReadonlyArray<string>): void;
}

/** Agent runs. */
export interface RunTable {
  insert(run: RunRecord): void;
  update(id: string, patch: RunPatch): void;
  get(id: string): RunRecord | undefined;
  /** The run created with `idempotencyKey` in `sessionKey` (idempotency keys are scoped per session). */
  getByIdempotencyKey(idempotencyKey: string, sessionKey: string): RunRecord | undefined;
  listByStatus(statuses: ReadonlyArray<RunStatus>): RunRecord[];
}

/** The process journal: what survives a restart of the gateway's shells. */
export interface ProcessJournalTable {
  /** True when the journal already holds a row with this id (ids never repeat across the journal). */
  has(id: string): boolean;
  /** Insert the row of a new process; throws if the id is taken (never replaces another row). */
  start(process: ProcessStart): void;
  /**
   * Complete a row written before its spawn (status {@link PROCESS_STARTING_STATUS}) with the pid,
   * status and reap record. Touches no other row; false when there was no such row.
   */
  started(id: string, start: Pick<ProcessStart, 'pid' | 'status' | 'record'>): boolean;
  /**
   * Append output; at most {@link JOURNAL_MAX_OUTPUT_CHARS} are kept per process (the oldest chars
   * go and the row is marked truncated). The cost is the chunk's, not the retained output's: an
   * implementation must not rewrite what it already holds. Unknown ids and empty chunks are ignored.
   * `droppedChars`: output the caller did not keep before this chunk (it counts as truncation: the
   * row is marked truncated, as it is when the retained output overflows or the chunk alone does).
   */
  appendOutput(id: string, chunk: string, options?: { droppedChars?: number | undefined }): void;
  exit(id: string, exit: ProcessExit): void;
  get(id: string): ProcessRecord | undefined;
  /**
   * Journaled processes, oldest first. `output` holds only the last {@link PROCESS_LIST_TAIL_CHARS}
   * chars of each: listing must not read every row's retained output. Use `get` for one process's full output.
   */
  list(filter?: ProcessListFilter): ProcessRecord[];
  /** Forget all but the newest `keep` finished processes. Returns rows removed. */
  prune(keep: number): number;
}

/** Exactly-once records of sub-agent announcements. */
export interface AnnouncementTable {
  /** Insert unless one exists for the run; true when inserted. */
  put(announcement: AnnouncementRecord): boolean;
  mark(runId: string, state: AnnouncementRecord['state'], now: number): void;
  /**
   * Mark the announcement delivered unless it already is; true for the one call that marked it
   * (the exactly-once claim: in a transaction, the notice is queued only by its winner).
   */
  claimDelivery(runId: string, now: number): boolean;
  get(runId: string): AnnouncementRecord | undefined;
}

/** Cron jobs and their run history (records are heartbeat-router's, stored opaque). */
export interface CronTable {
  /** Upsert; a null owner (or creator) keeps the stored one. */
  put(id: string, ownerSessionKey: string | null, record: unknown, now: number, createdBy?: string | null): void;
  get(id: string): CronJobRow | undefined;
  all(): CronJobRow[];
  delete(id: string): void;
  appendRun(jobId: string, record: unknown, now: number): void;
  /** Newest first. */
  runs(jobId: string, limit: number): unknown[];
}

/** A gateway of a cluster (several gateways on one PostgreSQL schema). */
export interface ClusterNode {
  id: string;
  /** Where the other nodes reach it (its advertised URL). */
  url: string;
  /** `live` while it renews its lease; `dead` once a survivor declared it so; `left` after a clean stop. */
  state: 'live' | 'dead' | 'left';
  startedAt: number;
  /** The end of its lease, ms since the epoch by the database's clock. */
  leaseUntil: number;
  /** The survivor that declared it dead and took over its work. */
  reapedBy: string | null;
}

/** A shell a dead node owned, marked lost. */
export interface LostShell {
  id: string;
  sessionKey: string | null;
  command: string;
}

/**
 * Cluster coordination (PostgreSQL cluster mode only): node leases, the take-over of a dead
 * node's work, the per-session run lock and cron slot claims. Lease times are the database's
 * clock, so the nodes' clocks need not agree.
 */
export interface ClusterTable {
  /** This node's id (the connection's `pincer.node_id`). */
  readonly nodeId: string;
  /** Register (or re-register) this node as live at `url` with a lease of `leaseMs`. */
  join(url: string, leaseMs: number): void;
  /** Extend this node's lease; false once it is no longer live (a survivor declared it dead). */
  renew(leaseMs: number): boolean;
  /** A clean stop: this node's lease ends now (state `left`). */
  leave(): void;
  nodes(): ClusterNode[];
  /**
   * Declare every live node whose lease ran out dead, and return their ids: each node is claimed
   * by exactly one caller (a compare-and-swap on its state), which then takes over its work.
   */
  claimExpired(): string[];
  /** The node's queued and running runs end as `error` with `reason`; returns their ids. */
  interruptRuns(nodeId: string, reason: string, now: number): string[];
  /** The node's running (and starting) shells become `lost`; each is returned once, ever. */
  loseShells(nodeId: string, now: number): LostShell[];
  /** Move the node's queued system events to this node; returns their bodies (oldest first). */
  adoptEvents(nodeId: string): unknown[];
  /** Take the run lock of a session if no other node holds it (never waits). */
  tryLockSession(sessionKey: string): boolean;
  unlockSession(sessionKey: string): void;
  /** Claim one cron slot (job id, scheduled time); true for exactly one caller across the cluster. */
  claimCronSlot(jobId: string, slotMs: number, now: number): boolean;
}

/**
 * The gateway's persistence port: one table object per aggregate and a `transaction`. Every
 * method is synchronous and each mutation is atomic on its own; `transaction(fn)` makes several
 * atomic together (nested calls join the outer one). A second implementation (PostgreSQL) passes
 * the same behaviour suite (`store-behaviour.ts`).
 */
export interface GatewayStore {
  readonly sessions: SessionTable;
  readonly transcripts: TranscriptTable;
  readonly systemEvents: SystemEventTable;
  readonly runs: RunTable;
  readonly processes: ProcessJournalTable;
  /** subagent-spawn's run store (the spawner's own records). */
  readonly subagentRuns: SubagentRunStore;
  readonly announcements: AnnouncementTable;
  readonly cron: CronTable;
  /** Scoped tokens (hashed); see `credentials/`. */
  readonly credentials: CredentialStore;
  /** The audit log of state-changing actions (retention applied by the audit log service). */
  readonly audit: AuditStore;
  /** Cluster coordination; present only on a PostgreSQL store opened with a node id. */
  readonly cluster?: ClusterTable | undefined;
  /** Run `fn` atomically; its return value is returned. */
  transaction<T>(fn: () => T): T;
  /** False once closed. */
  readonly isOpen: boolean;
  close(): void;
}
