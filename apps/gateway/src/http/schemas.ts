/**
 * The gateway's wire shapes, declared once: every route's params, query, body and response.
 * The response schemas are the allow-list of what leaves the gateway (the serializer strips any
 * other field) and the source of `/openapi.json`. Exported as `@pincer/gateway/schemas` so
 * clients (the CLI) parse what the gateway sends with the gateway's own schemas.
 */
import { z } from 'zod';
import { CronShorthandShape, hasExactlyOneSchedule } from '../cron/cron-shorthand.js';
import { ShellSandboxSchema } from '../sandbox/schemas.js';
import { RUN_KINDS, RUN_STATUSES } from '../store/gateway-store.js';

export {
  SandboxEntrySchema,
  SandboxStatusSchema,
  ShellSandboxSchema,
  type SandboxEntryView,
  type SandboxStatusView,
} from '../sandbox/schemas.js';

// ---- shared pieces

/** Named wire schemas (their OpenAPI `components.schemas` entries). */
export const wireSchemaRegistry = z.registry<{ id: string }>();

/** Agent run status. */
export const RunStatusSchema = z.enum(RUN_STATUSES);
/** Why a run happened. */
export const RunKindSchema = z.enum(RUN_KINDS);

/** Uniform error body (every 4xx/5xx). */
export const ErrorBodySchema = z
  .object({
    error: z.object({ code: z.string(), message: z.string(), field: z.string().optional() }),
  })
  .register(wireSchemaRegistry, { id: 'ErrorBody' });

/** `?sessionKey=` scoping of object routes (other sessions answer 404). */
export const ScopedQuerySchema = z
  .object({ sessionKey: z.string().optional().describe('Scope: objects of any other session answer 404.') })
  .strict();

/** `:id` path parameter. */
export const IdParamsSchema = z.object({ id: z.string() });
/** `:key` path parameter (a session key, URL-encoded). */
export const SessionKeyParamsSchema = z.object({ key: z.string().describe('Session key (URL-encoded).') });

// ---- system

/** GET /healthz response. */
export const HealthSchema = z.object({ ok: z.literal(true), version: z.number() });

// ---- runs

/** POST /v1/agent body. */
export const AgentRequestSchema = z
  .object({
    message: z.string().min(1, 'message must not be empty').max(1_000_000),
    agentId: z.string().max(256).optional(),
    sessionKey: z.string().max(4096).optional(),
    sessionId: z.string().max(256).optional(),
    to: z.string().max(256).optional(),
    idempotencyKey: z.string().min(1).max(256).optional(),
    timeoutMs: z.number().int().min(100).max(86_400_000).optional(),
  })
  .strict();
/** POST /v1/agent body. */
export type AgentRequest = z.infer<typeof AgentRequestSchema>;

/** POST /v1/agent response (202 queued; 200 for a repeated idempotency key). */
export const AgentAcceptedSchema = z.object({ runId: z.string(), sessionKey: z.string() });

/** GET /v1/runs/:id response. */
export const RunViewSchema = z
  .object({
    runId: z.string(),
    sessionKey: z.string(),
    agentId: z.string(),
    kind: RunKindSchema,
    status: RunStatusSchema,
    reply: z.string().optional(),
    error: z.string().optional(),
    createdAt: z.number(),
    startedAt: z.number().optional(),
    endedAt: z.number().optional(),
  })
  .register(wireSchemaRegistry, { id: 'RunView' });

/** GET /v1/runs/:id query. */
export const RunQuerySchema = z
  .object({
    waitMs: z.coerce.number().int().min(0).max(120_000).optional().describe('Wait up to this long (ms) for the run to finish.'),
    sessionKey: ScopedQuerySchema.shape.sessionKey,
  })
  .strict();

// ---- inbound

/** POST /v1/inbound body: a chat message handed in by a bot platform. */
export const InboundRequestSchema = z
  .object({
    channel: z.string().min(1).max(64),
    accountId: z.string().max(256).optional(),
    peer: z.object({ kind: z.enum(['direct', 'group', 'channel']), id: z.string().min(1).max(512) }).strict(),
    sender: z.string().min(1).max(512),
    text: z.string().min(1).max(1_000_000),
    threadId: z.string().max(512).optional(),
  })
  .strict();

/** POST /v1/inbound response (202). */
export const InboundAcceptedSchema = z.object({ runId: z.string(), sessionKey: z.string(), agentId: z.string() });

// ---- sessions

/** A session as the API shows it. */
export const SessionViewSchema = z
  .object({
    key: z.string(),
    agentId: z.string(),
    sessionId: z.string(),
    kind: z.string(),
    label: z.string().nullable(),
    spawnedBy: z.string().nullable(),
    spawnDepth: z.number(),
    channel: z.string().nullable(),
    createdAt: z.number(),
    updatedAt: z.number(),
    lastRunId: z.string().nullable(),
    queuedEvents: z.number(),
  })
  .register(wireSchemaRegistry, { id: 'SessionView' });

/** GET /v1/sessions query. */
export const SessionsQuerySchema = z
  .object({
    agentId: z.string().optional(),
    limit: z.coerce.number().int().min(1).max(1000).optional(),
    cursor: z.string().max(8192).optional().describe('`nextCursor` of the previous page.'),
    sessionKey: z.string().optional().describe("Caller's own session: only it is listed."),
  })
  .strict();

/** GET /v1/sessions response. */
export const SessionListSchema = z.object({
  /** Total sessions matching (all pages). */
  count: z.number(),
  sessions: z.array(SessionViewSchema),
  /** Pass as `?cursor=` for the next page; absent on the last page. */
  nextCursor: z.string().optional(),
});

/** GET /v1/sessions/:key/transcript query. */
export const TranscriptQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(2000).optional(),
    afterSeq: z.coerce.number().int().min(0).optional(),
    sessionKey: ScopedQuerySchema.shape.sessionKey,
  })
  .strict();

/** One transcript entry on the wire. */
export const TranscriptEntrySchema = z.object({
  seq: z.number(),
  role: z.enum(['user', 'assistant', 'tool', 'system']),
  text: z.string(),
  runId: z.string().nullable(),
  createdAt: z.number(),
});

/** GET /v1/sessions/:key/transcript response. */
export const TranscriptSchema = z.object({ sessionKey: z.string(), sessionId: z.string(), entries: z.array(TranscriptEntrySchema) });

/** POST /v1/sessions/:key/reset response. */
export const SessionResetSchema = z.object({ sessionKey: z.string(), sessionId: z.string(), previousSessionId: z.string() });

/** DELETE /v1/sessions/:key response. */
export const SessionDeletedSchema = z.object({ deleted: z.literal(true), sessionKey: z.string() });

// ---- processes

/** A shell as the operator sees it: the live registry's snapshot, or its journal row. */
export const ProcessViewSchema = z
  .object({
    id: z.string(),
    pid: z.number().optional(),
    scopeKey: z.string(),
    sessionKey: z.string().optional(),
    command: z.string(),
    cwd: z.string(),
    startedAt: z.number(),
    endedAt: z.number().optional(),
    status: z.string(),
    exitCode: z.number().nullable(),
    signal: z.string().nullable(),
    tail: z.string(),
    truncated: z.boolean(),
    source: z.enum(['registry', 'journal']),
    /** Whether the shell ran in the OS sandbox; absent for journal rows written before sandboxes existed. */
    sandbox: ShellSandboxSchema.optional(),
  })
  .register(wireSchemaRegistry, { id: 'ProcessView' });

/**
 * GET /v1/processes query.
 * @alias
 */
export const ProcessesQuerySchema = ScopedQuerySchema;

/** GET /v1/processes response. */
export const ProcessListSchema = z.object({ count: z.number(), processes: z.array(ProcessViewSchema) });

/** GET /v1/processes/:id/log query (lines: without `offset`, the last `limit`). */
export const ProcessLogQuerySchema = z
  .object({
    offset: z.coerce.number().int().min(0).optional(),
    limit: z.coerce.number().int().min(1).max(100_000).optional(),
    sessionKey: ScopedQuerySchema.shape.sessionKey,
  })
  .strict();

/** GET /v1/processes/:id/log response. */
export const ProcessLogSchema = z.object({
  id: z.string(),
  status: z.string(),
  output: z.string(),
  source: z.enum(['registry', 'journal']),
});

/** POST /v1/processes/:id/kill response. */
export const ProcessKillSchema = z.object({ id: z.string(), status: z.enum(['killed', 'already-exited']), signal: z.string().optional() });

// ---- tools

/** POST /v1/tools/invoke body. */
export const ToolInvokeSchema = z
  .object({
    tool: z.string().min(1).max(128),
    args: z.record(z.string(), z.unknown()).optional(),
    sessionKey: z.string().min(1).max(4096),
  })
  .strict();

/** POST /v1/tools/invoke response: the tool's JSON result. */
export const ToolResultSchema = z.object({ ok: z.literal(true), result: z.unknown() });

// ---- cron

/** POST /v1/cron body. */
export const CronCreateSchema = z
  .object({
    sessionKey: z.string().min(1).max(4096),
    text: z.string().min(1).max(100_000),
    ...CronShorthandShape,
    kind: z.enum(['systemEvent', 'agentTurn']).optional(),
    target: z.enum(['session', 'isolated']).optional(),
    name: z.string().max(200).optional(),
  })
  .strict()
  .refine(hasExactlyOneSchedule, { message: 'give exactly one of every, at, in, cron', path: ['every'] });

const CronScheduleViewSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('at'), at: z.string() }),
  z.object({ kind: z.literal('every'), every: z.union([z.string(), z.number()]), anchorMs: z.number().optional() }),
  z.object({ kind: z.literal('cron'), expr: z.string(), tz: z.string().optional() }),
]);

/** A cron job: heartbeat-router's record plus the session that owns it. */
export const CronJobViewSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    agentId: z.string(),
    schedule: CronScheduleViewSchema,
    payload: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('systemEvent'), text: z.string() }),
      z.object({ kind: z.literal('agentTurn'), message: z.string(), timeoutSeconds: z.number().optional() }),
    ]),
    target: z.string(),
    wakeMode: z.enum(['now', 'next-heartbeat']),
    enabled: z.boolean(),
    deleteAfterRun: z.boolean(),
    createdAtMs: z.number(),
    updatedAtMs: z.number(),
    state: z.object({
      nextRunAtMs: z.number().nullable(),
      runningAtMs: z.number().nullable(),
      runningRunId: z.string().nullable(),
      nextTrigger: z.enum(['schedule', 'catch-up', 'retry', 'manual']),
      lastRunAtMs: z.number().nullable(),
      lastStatus: z.enum(['ok', 'error', 'skipped', 'interrupted']).nullable(),
      lastError: z.string().nullable(),
      lastDurationMs: z.number().nullable(),
      consecutiveFailures: z.number(),
      disabledReason: z.string().nullable(),
      disabledAtMs: z.number().nullable(),
      completedAtMs: z.number().nullable(),
    }),
    ownerSessionKey: z.string().nullable(),
    createdBy: z
      .string()
      .nullable()
      .describe('The credential that created the job (operator or a token id); an agentTurn job runs under its ceiling.'),
  })
  .register(wireSchemaRegistry, { id: 'CronJobView' });

/** GET /v1/cron response. */
export const CronListSchema = z.object({ count: z.number(), jobs: z.array(CronJobViewSchema) });

/** One run of a cron job. */
export const CronRunSchema = z
  .object({
    runId: z.string(),
    jobId: z.string(),
    agentId: z.string(),
    trigger: z.enum(['schedule', 'catch-up', 'retry', 'manual']),
    scheduledAtMs: z.number(),
    startedAtMs: z.number(),
    endedAtMs: z.number(),
    durationMs: z.number(),
    status: z.enum(['ok', 'error', 'skipped', 'interrupted']),
    error: z.string().optional(),
    attempt: z.number(),
    sessionKey: z.string(),
  })
  .register(wireSchemaRegistry, { id: 'CronRun' });

/** GET /v1/cron/:id/runs response (newest first). */
export const CronRunsSchema = z.object({ id: z.string(), runs: z.array(CronRunSchema) });
/** POST /v1/cron/:id/run response. */
export const CronRunNowSchema = z.object({ id: z.string(), run: CronRunSchema });
/** DELETE /v1/cron/:id response. */
export const CronDeletedSchema = z.object({ deleted: z.literal(true), id: z.string() });

// ---- events

/** GET /v1/events query: the sessions to stream (1–64; repeat the parameter). */
export const EventsQuerySchema = z
  .object({ sessionKey: z.union([z.string().min(1), z.array(z.string().min(1)).min(1).max(64)]).describe('Repeatable; required.') })
  .strict();
