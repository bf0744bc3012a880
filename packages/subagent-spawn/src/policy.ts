import { z } from 'zod';

/** Default `maxSpawnDepth`: a top-level session (depth 0) may spawn children (depth 1), which may spawn leaves (depth 2). */
export const DEFAULT_MAX_SPAWN_DEPTH = 2;
/** Default `maxChildrenPerSession`: active (running) children per requester session. */
export const DEFAULT_MAX_CHILDREN_PER_SESSION = 5;
/** Default `maxConcurrentRuns`: running sub-agent runs across the whole spawner. */
export const DEFAULT_MAX_CONCURRENT_RUNS = 8;
/** Default `defaultRunTimeoutSeconds`: `0` means no timeout. */
export const DEFAULT_RUN_TIMEOUT_SECONDS = 0;
/** Default `announceTimeoutMs`: one `announce()` call that takes longer counts as a failed attempt (120 s). */
export const DEFAULT_ANNOUNCE_TIMEOUT_MS = 120_000;
/** First announcement retry delay (15 s); doubles per failed attempt. */
export const ANNOUNCE_RETRY_INITIAL_MS = 15_000;
/** Cap of the announcement retry delay (5 min). */
export const ANNOUNCE_RETRY_MAX_MS = 300_000;
/** Announcement deadline measured from the run's end (30 min); after it the announcement is marked `failed`. */
export const ANNOUNCE_DEADLINE_MS = 1_800_000;

const agentIdList = z.array(z.string().trim().min(1, 'agent ids must not be blank')).readonly();

/**
 * Spawn policy. Agent ids are compared after `normalizeAgentId` (so `"Research"` matches `research`).
 *
 * - `agents` — the configured agent ids (required, non-empty). A target outside it is `UNKNOWN_AGENT`.
 * - `allowAgents` — agents a requester may spawn into besides itself. Unset: only the requester's own
 *   agent. `['*']`: any configured agent. The requester's own agent is always allowed.
 * - `perAgent` — per requester agent overrides; a per-agent `allowAgents` replaces the default list.
 * - `maxSpawnDepth` — a requester at depth `>= maxSpawnDepth` may not spawn (default 2, 1–10).
 * - `maxChildrenPerSession` — running children per requester session (default 5, 1–100).
 * - `maxConcurrentRuns` — running sub-agent runs in total (default 8, 1–1000).
 * - `defaultRunTimeoutSeconds` — used when a spawn gives none; `0` = no timeout (default 0).
 * - `childSessionReuse` — who may continue an existing child session: `'requester'` (default: only the
 *   requester session that spawned it last) or `'agent'` (any session of the same agent).
 * - `announceTimeoutMs` — one `announce()` call slower than this counts as failed (default 120 000).
 */
export const SpawnPolicySchema = z
  .object({
    agents: agentIdList.refine((ids) => ids.length > 0, 'policy.agents must list at least one configured agent id'),
    allowAgents: agentIdList.optional(),
    perAgent: z.record(z.string(), z.object({ allowAgents: agentIdList.optional() }).strict()).optional(),
    maxSpawnDepth: z.number().int().min(1).max(10).default(DEFAULT_MAX_SPAWN_DEPTH),
    maxChildrenPerSession: z.number().int().min(1).max(100).default(DEFAULT_MAX_CHILDREN_PER_SESSION),
    maxConcurrentRuns: z.number().int().min(1).max(1000).default(DEFAULT_MAX_CONCURRENT_RUNS),
    defaultRunTimeoutSeconds: z.number().int().min(0).max(86_400).default(DEFAULT_RUN_TIMEOUT_SECONDS),
    childSessionReuse: z.enum(['requester', 'agent']).default('requester'),
    announceTimeoutMs: z.number().int().min(1).max(3_600_000).default(DEFAULT_ANNOUNCE_TIMEOUT_MS),
  })
  .strict();

/** Policy as accepted by `createSubagentSpawner` (defaults optional). */
export type SpawnPolicyInput = z.input<typeof SpawnPolicySchema>;
/** Policy with every default applied. */
export type SpawnPolicy = z.output<typeof SpawnPolicySchema>;

/**
 * Tools a child may never use, at any depth: outward messaging, cross-session sends, automation,
 * gateway control and agent/session introspection beyond its own tree.
 */
export const CHILD_ALWAYS_DENIED_TOOLS = ['message', 'sessions_send', 'cron', 'gateway', 'agents_list', 'session_status'] as const;

/** Tools additionally denied to a leaf child (one at the depth limit): it may not spawn or browse sessions. */
export const CHILD_LEAF_DENIED_TOOLS = ['sessions_spawn', 'sessions_list', 'sessions_history', 'subagents'] as const;

/** What {@link childToolPolicy} returns: data the gateway applies when it builds the child's tool set. */
export interface ChildToolPolicy {
  /** The child's spawn depth (1 = child of a top-level session). */
  readonly depth: number;
  /** The depth limit the policy was computed for. */
  readonly maxSpawnDepth: number;
  /** True when the child is at the depth limit and therefore may not spawn. */
  readonly isLeaf: boolean;
  /** Every tool name the child may not use (deny wins over any allow list). */
  readonly deny: readonly string[];
}

/**
 * The tools a child at `depth` may not use: {@link CHILD_ALWAYS_DENIED_TOOLS}, plus
 * {@link CHILD_LEAF_DENIED_TOOLS} when `depth >= maxSpawnDepth` (default {@link DEFAULT_MAX_SPAWN_DEPTH}).
 * A depth below 1 is treated as 1 (anything asking is a child). Pure; never throws for numbers.
 */
export function childToolPolicy(depth: number, options: { maxSpawnDepth?: number } = {}): ChildToolPolicy {
  const maxSpawnDepth =
    Number.isFinite(options.maxSpawnDepth) && (options.maxSpawnDepth ?? 0) >= 1
      ? Math.floor(options.maxSpawnDepth as number)
      : DEFAULT_MAX_SPAWN_DEPTH;
  const childDepth = Number.isFinite(depth) ? Math.max(1, Math.floor(depth)) : maxSpawnDepth;
  const isLeaf = childDepth >= maxSpawnDepth;
  const deny: string[] = [...CHILD_ALWAYS_DENIED_TOOLS];
  if (isLeaf) deny.push(...CHILD_LEAF_DENIED_TOOLS);
  return Object.freeze({ depth: childDepth, maxSpawnDepth, isLeaf, deny: Object.freeze(deny) });
}

/** Delay before announcement attempt `attempt + 1` after `attempt` failures (1-based): 15 s doubling, capped at 5 min. */
export function announceRetryDelayMs(failedAttempts: number): number {
  const n = Math.max(1, Math.floor(failedAttempts));
  if (n > 10) return ANNOUNCE_RETRY_MAX_MS;
  return Math.min(ANNOUNCE_RETRY_INITIAL_MS * 2 ** (n - 1), ANNOUNCE_RETRY_MAX_MS);
}
