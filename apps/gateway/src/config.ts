import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { GatewayError, formatPath } from './errors.js';

/** DM session scoping (as in OpenClaw): `main` unifies every DM into `agent:<id>:main`. */
export const DmScopeSchema = z.enum(['main', 'per-peer', 'per-channel-peer', 'per-account-channel-peer']);
/** Group session scoping: `per-group` (default) or `main`. */
export const GroupScopeSchema = z.enum(['per-group', 'main']);

/** Session settings (global default and per agent). */
export const SessionConfigSchema = z
  .object({
    dmScope: DmScopeSchema.optional(),
    groupScope: GroupScopeSchema.optional(),
    mainKey: z.string().min(1).optional(),
    identityLinks: z.record(z.string(), z.array(z.string())).optional(),
  })
  .strict();

/** Per-agent heartbeat: interval (`30m`, `0` disables), prompt, optional session. */
export const HeartbeatConfigSchema = z
  .object({
    every: z.string().optional(),
    prompt: z.string().optional(),
    session: z.string().optional(),
    activeHours: z
      .object({ start: z.string(), end: z.string(), timeZone: z.string().optional() })
      .strict()
      .optional(),
  })
  .strict();

/** Tool policy: `allow` (if set, only these), `deny` (always wins). */
export const ToolPolicySchema = z
  .object({
    allow: z.array(z.string()).optional(),
    deny: z.array(z.string()).optional(),
    /**
     * Which sessions `sessions_list` / `sessions_history` may see: `tree` (default: the session
     * itself and the sub-agent sessions it spawned, recursively) or `agent` (every session of the agent).
     */
    sessionsVisibility: z.enum(['tree', 'agent']).optional(),
  })
  .strict();

/** One configured agent. */
export const AgentConfigSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/i, 'agent ids are 1-64 chars of [a-z0-9_-]'),
    name: z.string().optional(),
    /** `scripted` (default), `scripted:<rules-file>` or `<provider>/<model-id>`. */
    model: z.string().min(1).optional(),
    system: z.string().optional(),
    /** Agents this one may spawn sub-agents in (`['*']` = any configured agent). Default: itself. */
    allowAgents: z.array(z.string()).optional(),
    heartbeat: HeartbeatConfigSchema.optional(),
    tools: ToolPolicySchema.optional(),
    session: SessionConfigSchema.optional(),
    /** Owner allowlist (sender ids allowed to DM this agent). `*` = anyone. */
    owners: z.array(z.string()).optional(),
    maxSteps: z.number().int().min(1).max(64).optional(),
  })
  .strict();

/** Routes an inbound chat message to an agent. */
export const BindingSchema = z
  .object({
    agentId: z.string().min(1),
    match: z
      .object({
        channel: z.string().min(1),
        accountId: z.string().optional(),
        peer: z.object({ kind: z.enum(['direct', 'group', 'channel']), id: z.string().min(1) }).strict().optional(),
      })
      .strict(),
    session: SessionConfigSchema.optional(),
  })
  .strict();

/** A model provider reachable through the AI SDK. */
export const ProviderConfigSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('openai-compatible'),
      baseUrl: z.string().url(),
      apiKey: z.string().optional(),
      apiKeyEnv: z.string().optional(),
      headers: z.record(z.string(), z.string()).optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('anthropic'),
      baseUrl: z.string().url().optional(),
      apiKey: z.string().optional(),
      apiKeyEnv: z.string().optional(),
    })
    .strict(),
]);

/** A plugin loaded through `@pincer/plugin-sdk/host`. */
export const PluginConfigSchema = z
  .object({
    /** Module specifier or path (relative paths resolve against the config file). */
    module: z.string().min(1),
    options: z.record(z.string(), z.unknown()).optional(),
    enabled: z.boolean().optional(),
  })
  .strict();

/** The whole `pincer.config.json`. Every field is optional. */
export const GatewayConfigSchema = z
  .object({
    $schema: z.string().optional(),
    gateway: z
      .object({
        host: z.string().optional(),
        port: z.number().int().min(0).max(65535).optional(),
        /** Global cap of agent runs executing at once. Default 4. */
        maxConcurrentRuns: z.number().int().min(1).max(256).optional(),
        /** Per-run timeout in ms. Default 600 000. */
        runTimeoutMs: z.number().int().min(100).optional(),
        /**
         * Failed authentications of one presented value per minute before it answers 429 for 5 minutes. Default 10.
         * Valid credentials are never limited; failures are not counted per address.
         */
        authMaxAttempts: z.number().int().min(1).optional(),
        /** Failed authentications per minute from anywhere before every invalid request answers 429 for a minute. Default 100. */
        authMaxFailuresGlobal: z.number().int().min(1).optional(),
        /** Audit log retention: rows kept (default 100 000) and their age (default 30 days). */
        audit: z
          .object({
            maxRows: z.number().int().min(100).max(10_000_000).optional(),
            maxAgeDays: z.number().min(1).max(3650).optional(),
          })
          .strict()
          .optional(),
        /** On close/SIGTERM, how long running turns may finish before they are aborted, ms. Default 5 000. */
        shutdownGraceMs: z.number().int().min(0).max(600_000).optional(),
        /** Max request body in bytes. Default 1 MiB. */
        bodyLimitBytes: z.number().int().min(1024).optional(),
        /** Turns submitted over HTTP (`/v1/agent`, `/v1/inbound`) that may wait or run at once; beyond it 503. Default 1 000. */
        maxQueuedRuns: z.number().int().min(1).max(1_000_000).optional(),
        /** Open `GET /v1/events` streams; beyond it 503. Default 64. */
        maxEventStreams: z.number().int().min(1).max(10_000).optional(),
      })
      .strict()
      .optional(),
    defaultAgent: z.string().optional(),
    agents: z.array(AgentConfigSchema).optional(),
    session: SessionConfigSchema.optional(),
    /** Global owner allowlist, used by agents without their own `owners`. */
    owners: z.array(z.string()).optional(),
    bindings: z.array(BindingSchema).optional(),
    exec: z
      .object({
        cwd: z.string().optional(),
        /** Foreground wait before an exec backgrounds, ms (registry `defaultYieldMs`, default 10 000; ≤ 120 000). */
        yieldMs: z.number().int().min(0).max(120_000).optional(),
        /** Process lifetime, ms; 0 = none (registry `defaultTimeoutMs`, default 1 800 000). */
        timeoutMs: z.number().int().min(0).max(2_147_483_647).optional(),
        notifyOnExit: z.boolean().optional(),
        /** On SIGTERM: `kill` running processes (default) or `leave` them to be reaped next start. */
        onShutdown: z.enum(['kill', 'leave']).optional(),
        /** Running processes at most (registry `maxRunning`, default 64); beyond it exec fails with LIMIT_EXCEEDED. */
        maxRunning: z.number().int().min(1).max(10_000).optional(),
        /** Retained output per process in chars (registry `maxOutputChars`, default 200 000). */
        maxOutputChars: z.number().int().min(1_000).max(50_000_000).optional(),
        /** How long finished background processes stay in memory, ms (default 1 800 000; 60 000–10 800 000). */
        finishedTtlMs: z.number().int().min(60_000).max(10_800_000).optional(),
        /** SIGTERM → SIGKILL grace of the kill ceremony, ms (default 3 000). */
        killGraceMs: z.number().int().min(0).max(60_000).optional(),
      })
      .strict()
      .optional(),
    subagents: z
      .object({
        maxSpawnDepth: z.number().int().min(1).max(5).optional(),
        maxChildrenPerSession: z.number().int().min(1).max(20).optional(),
        maxConcurrentRuns: z.number().int().min(1).max(64).optional(),
      })
      .strict()
      .optional(),
    wake: z
      .object({
        coalesceMs: z.number().int().min(0).optional(),
        eventCooldownMs: z.number().int().min(0).optional(),
        busyRetryMs: z.number().int().min(1).optional(),
      })
      .strict()
      .optional(),
    plugins: z.array(PluginConfigSchema).optional(),
    providers: z.record(z.string().regex(/^[a-z0-9_-]+$/i), ProviderConfigSchema).optional(),
    scripted: z.object({ rulesFile: z.string().optional() }).strict().optional(),
    /** Time zone for system-event timestamps (IANA). Default UTC. */
    timeZone: z.string().optional(),
  })
  .strict();

/** Parsed config file (all optional). */
export type GatewayConfigInput = z.infer<typeof GatewayConfigSchema>;
/** One agent entry. */
export type AgentConfig = z.infer<typeof AgentConfigSchema>;
/** One `bindings[]` entry. */
export type BindingConfig = z.infer<typeof BindingSchema>;
/** One `providers.<id>` entry. */
export type ProviderConfig = z.infer<typeof ProviderConfigSchema>;
/** A `session` block (global or per agent / binding). */
export type SessionConfig = z.infer<typeof SessionConfigSchema>;

/** The validated config with defaults applied. */
export interface GatewayConfig extends GatewayConfigInput {
  agents: AgentConfig[];
  defaultAgent: string;
  /** Absolute path of the file it was read from, if any. */
  sourcePath: string | undefined;
}

/**
 * Validate an already-parsed config object. Errors are a {@link GatewayError} `invalid_config`
 * whose `field` is the JSON path (e.g. `agents[1].model`).
 */
export function parseConfig(raw: unknown, sourcePath?: string): GatewayConfig {
  const result = GatewayConfigSchema.safeParse(raw ?? {});
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue ? formatPath(issue.path) : '(root)';
    const where = sourcePath ? ` in ${sourcePath}` : '';
    throw new GatewayError('invalid_config', `Invalid config${where} at ${field}: ${issue?.message ?? 'invalid'}`, {
      field,
    });
  }
  const cfg = result.data;
  const agents: AgentConfig[] = cfg.agents && cfg.agents.length > 0 ? cfg.agents : [{ id: 'main' }];
  const ids = new Set<string>();
  agents.forEach((a, i) => {
    const id = a.id.toLowerCase();
    if (ids.has(id)) {
      throw new GatewayError('invalid_config', `Invalid config at agents[${i}].id: duplicate agent id "${a.id}"`, {
        field: `agents[${i}].id`,
      });
    }
    ids.add(id);
    a.id = id;
    const model = a.model;
    if (model && model !== 'scripted' && !model.startsWith('scripted:')) {
      const provider = model.split('/')[0] ?? '';
      if (!model.includes('/') || !cfg.providers?.[provider]) {
        throw new GatewayError(
          'invalid_config',
          `Invalid config at agents[${i}].model: "${model}" must be "scripted" or "<provider>/<model>" with the provider under "providers"`,
          { field: `agents[${i}].model` },
        );
      }
    }
  });
  const defaultAgent = (cfg.defaultAgent ?? agents[0]!.id).toLowerCase();
  if (!ids.has(defaultAgent)) {
    throw new GatewayError('invalid_config', `Invalid config at defaultAgent: "${defaultAgent}" is not a configured agent`, {
      field: 'defaultAgent',
    });
  }
  (cfg.bindings ?? []).forEach((b, i) => {
    if (!ids.has(b.agentId.toLowerCase())) {
      throw new GatewayError('invalid_config', `Invalid config at bindings[${i}].agentId: unknown agent "${b.agentId}"`, {
        field: `bindings[${i}].agentId`,
      });
    }
  });
  return { ...cfg, agents, defaultAgent, sourcePath };
}

/**
 * Load and validate `pincer.config.json`. With no path (and no file), returns the defaults:
 * one agent `main` on the scripted model.
 */
export function loadConfig(path?: string): GatewayConfig {
  if (!path) return parseConfig({});
  if (!existsSync(path)) {
    throw new GatewayError('invalid_config', `Config file not found: ${path}`, { field: '(file)' });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new GatewayError('invalid_config', `Config file ${path} is not valid JSON: ${(cause as Error).message}`, {
      field: '(root)',
      cause,
    });
  }
  return parseConfig(raw, path);
}

/** The agent entry for an id (normalized), or undefined. */
export function findAgent(cfg: GatewayConfig, agentId: string): AgentConfig | undefined {
  return cfg.agents.find((a) => a.id === agentId.toLowerCase());
}

/** Effective session settings for an agent (agent overrides global). */
export function agentSessionConfig(cfg: GatewayConfig, agentId: string): SessionConfig {
  const agent = findAgent(cfg, agentId);
  return { ...(cfg.session ?? {}), ...(agent?.session ?? {}) };
}

/** Effective owner allowlist of an agent (agent's own, else global, else empty = nobody listed). */
export function agentOwners(cfg: GatewayConfig, agentId: string): string[] {
  return findAgent(cfg, agentId)?.owners ?? cfg.owners ?? [];
}
