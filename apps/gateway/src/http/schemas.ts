import { z } from 'zod';

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

/** POST /v1/agent response (202). */
export const AgentAcceptedSchema = z.object({ runId: z.string(), sessionKey: z.string() });

/** GET /v1/runs/:id response. */
export const RunViewSchema = z.object({
  runId: z.string(),
  sessionKey: z.string(),
  agentId: z.string(),
  kind: z.enum(['user', 'heartbeat', 'subagent', 'cron', 'inbound']),
  status: z.enum(['queued', 'running', 'ok', 'error', 'timeout']),
  reply: z.string().optional(),
  error: z.string().optional(),
  createdAt: z.number(),
  startedAt: z.number().optional(),
  endedAt: z.number().optional(),
});

/** GET /v1/runs/:id query. */
export const RunQuerySchema = z
  .object({
    waitMs: z.coerce.number().int().min(0).max(120_000).optional(),
    sessionKey: z.string().optional(),
  })
  .strict();

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

/** Session view. */
export const SessionViewSchema = z.object({
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
});

/** GET /v1/sessions query. */
export const SessionsQuerySchema = z
  .object({
    agentId: z.string().optional(),
    limit: z.coerce.number().int().min(1).max(1000).optional(),
    /** Caller's own session: only it is listed. */
    sessionKey: z.string().optional(),
  })
  .strict();

/** GET /v1/sessions/:key/transcript query (`sessionKey`: caller scope; other sessions answer 404). */
export const TranscriptQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(2000).optional(),
    afterSeq: z.coerce.number().int().min(0).optional(),
    sessionKey: z.string().optional(),
  })
  .strict();

/** GET /v1/processes query. */
export const ProcessesQuerySchema = z.object({ sessionKey: z.string().optional() }).strict();

/** GET /v1/processes/:id/log query (lines). */
export const ProcessLogQuerySchema = z
  .object({
    offset: z.coerce.number().int().min(0).optional(),
    limit: z.coerce.number().int().min(1).max(100_000).optional(),
    sessionKey: z.string().optional(),
  })
  .strict();

/** `?sessionKey=` scoping of object routes (other sessions answer 404). */
export const ScopedQuerySchema = z.object({ sessionKey: z.string().optional() }).strict();

/** POST /v1/tools/invoke body. */
export const ToolInvokeSchema = z
  .object({
    tool: z.string().min(1).max(128),
    args: z.record(z.string(), z.unknown()).optional(),
    sessionKey: z.string().min(1).max(4096),
  })
  .strict();

/** POST /v1/cron body. */
export const CronCreateSchema = z
  .object({
    sessionKey: z.string().min(1).max(4096),
    text: z.string().min(1).max(100_000),
    every: z.string().optional(),
    at: z.string().optional(),
    in: z.string().optional(),
    cron: z.string().optional(),
    tz: z.string().optional(),
    kind: z.enum(['systemEvent', 'agentTurn']).optional(),
    target: z.enum(['session', 'isolated']).optional(),
    name: z.string().max(200).optional(),
  })
  .strict()
  .refine((v) => [v.every, v.at, v.in, v.cron].filter((x) => x !== undefined).length === 1, {
    message: 'give exactly one of every, at, in, cron',
    path: ['every'],
  });

/** GET /v1/events query: the sessions to stream (1–64). */
export const EventsQuerySchema = z
  .object({ sessionKey: z.union([z.string().min(1), z.array(z.string().min(1)).min(1).max(64)]) })
  .strict();

/** Uniform error body. */
export const ErrorBodySchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), field: z.string().optional() }),
});
