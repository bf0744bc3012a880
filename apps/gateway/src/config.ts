import { existsSync, readFileSync } from 'node:fs';
import { type ParseError, parse as parseJsonc, printParseErrorCode } from 'jsonc-parser';
import ms from 'ms';
import { z } from 'zod';
import { GatewayError, formatPath } from './errors.js';

/**
 * The one duration grammar of the config and the CLI: a number **with a unit** parsed by `ms`
 * (`500ms`, `30s`, `5m`, `1.5h`, `2 hours`, `1d`, `1w`), or `0` (disables where that makes
 * sense). A bare number such as `"5"` is refused with a message asking for a unit, because
 * it meant 5 minutes in a heartbeat and 5 seconds in `pincer cron add --every` before.
 * Returns whole milliseconds; throws a `GatewayError` `invalid_config` naming `field`.
 */
export function parseDurationText(value: string, field = 'duration'): number {
  const verdict = checkDurationText(value);
  if (typeof verdict === 'string') throw new GatewayError('invalid_config', `${field} ${verdict}`, { field });
  return verdict;
}

/** Whole milliseconds of a duration text, or the reason it is refused (see {@link parseDurationText}). */
export function checkDurationText(value: string): number | string {
  const text = value.trim();
  if (text === '0') return 0;
  if (/^[+-]?\d+(?:\.\d+)?$/.test(text)) {
    return `"${value}" has no unit: write e.g. ${text}s, ${text}m or ${text}h (0 disables).`;
  }
  const parsed = text === '' ? undefined : (ms(text as ms.StringValue) as number | undefined);
  if (parsed === undefined || !Number.isFinite(parsed)) {
    return `"${value}" is not a duration: use e.g. 30s, 5m, 2h or 1d.`;
  }
  if (parsed < 0) return `"${value}" must not be negative.`;
  return Math.floor(parsed);
}

/**
 * A duration in the config: validated with {@link checkDurationText}; a text the heartbeat
 * router reads natively (`<n><ms|s|m|h|d>`) is kept as typed, any other accepted spelling
 * (`2 hours`, `1w`) becomes `<n>ms`.
 */
export const DurationTextSchema = z
  .string()
  .describe('A duration with a unit: 500ms, 30s, 5m, 1.5h, 2 hours, 1d; "0" disables. A bare number is refused.')
  .superRefine((value, ctx) => {
    const verdict = checkDurationText(value);
    if (typeof verdict === 'string') ctx.addIssue({ code: 'custom', message: verdict });
  })
  .transform((value) => {
    const text = value.trim();
    if (/^\d+(?:\.\d+)?\s*(?:ms|s|m|h|d)$/i.test(text) || text === '0') return text;
    return `${checkDurationText(text) as number}ms`;
  });

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

/** Per-agent heartbeat: interval (`30m`, `0` disables; a bare number is refused), prompt, optional session. */
export const HeartbeatConfigSchema = z
  .object({
    every: DurationTextSchema.optional(),
    prompt: z.string().optional(),
    session: z.string().optional(),
    activeHours: z.object({ start: z.string(), end: z.string(), timeZone: z.string().optional() }).strict().optional(),
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

/**
 * OS sandbox of shells (gateway-wide under `sandbox`, per agent under `agents[].sandbox`; an agent's
 * fields override the gateway's). Mapped onto process-registry's `createBwrapSandbox`.
 */
export const SandboxConfigSchema = z
  .object({
    /** `required` (refuse unsandboxed shells: SANDBOX_UNAVAILABLE), `auto` (default: sandbox when bwrap works), `off`. */
    mode: z.enum(['required', 'auto', 'off']).optional(),
    /** `host` (default: agents need package registries and APIs) or `none` (loopback only). */
    network: z.enum(['host', 'none']).optional(),
    /** Extra absolute host paths bound at the same path: `ro` read-only, `rw` writable. */
    binds: z
      .object({ ro: z.array(z.string().min(1)).max(256).optional(), rw: z.array(z.string().min(1)).max(256).optional() })
      .strict()
      .optional(),
    /** Per-shell rlimits; `null` leaves one as the gateway has it (defaults in the README). */
    limits: z
      .object({
        maxProcesses: z.number().int().min(1).max(4_194_304).nullable().optional(),
        maxFileSizeBytes: z.number().int().min(1).nullable().optional(),
        cpuSeconds: z.number().int().min(1).nullable().optional(),
        addressSpaceBytes: z
          .number()
          .int()
          .min(16 * 1024 ** 2)
          .nullable()
          .optional(),
      })
      .strict()
      .optional(),
    /** The bwrap binary (default `bwrap` on PATH). */
    bwrapPath: z.string().min(1).optional(),
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
    /** This agent's shells' sandbox (overrides the gateway's `sandbox` field by field). */
    sandbox: SandboxConfigSchema.optional(),
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
        peer: z
          .object({ kind: z.enum(['direct', 'group', 'channel']), id: z.string().min(1) })
          .strict()
          .optional(),
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

/** Default variable holding the PostgreSQL connection string of `store.kind: "postgres"`. */
export const DEFAULT_POSTGRES_URL_ENV = 'PINCER_POSTGRES_URL';

/**
 * Where the gateway keeps its state: the embedded SQLite file `<stateDir>/pincer.db` (default) or
 * a PostgreSQL database. The connection string (it carries a password) is best given by variable
 * (`urlEnv`, default `PINCER_POSTGRES_URL`; `PINCER_*` never reaches a shell); `url` in the file
 * is accepted too.
 */
export const StoreConfigSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('sqlite') }).strict(),
  z
    .object({
      kind: z.literal('postgres'),
      /** `postgres://user:password@host:port/database`. */
      url: z
        .string()
        .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
        .optional(),
      /** Variable holding the URL when `url` is not given. Default `PINCER_POSTGRES_URL`. */
      urlEnv: z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
        .optional(),
      /** Schema of the gateway's tables (created when missing). Default `public`. */
      schema: z
        .string()
        .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier')
        .optional(),
      /** Bound on one statement (and the connect), ms. Default 15 000. */
      statementTimeoutMs: z.number().int().min(100).max(600_000).optional(),
    })
    .strict(),
]);

/** Default variable holding the cluster secret of `cluster` (node-to-node calls). */
export const DEFAULT_CLUSTER_SECRET_ENV = 'PINCER_CLUSTER_SECRET';
/** Default of `cluster.leaseMs`. */
export const DEFAULT_CLUSTER_LEASE_MS = 10_000;

/**
 * Cluster mode: several gateways on one PostgreSQL schema (`store.kind: "postgres"` required).
 * Each registers as a node with a lease it renews every `leaseMs / 4`; a node whose lease runs
 * out is declared dead by a survivor, which finalizes its runs, marks its shells lost and delivers
 * its queued events. Calls between nodes carry the cluster secret (variable `secretEnv`), never
 * the operator token.
 */
export const ClusterConfigSchema = z
  .object({
    /** This node's id; default `node-` and 8 random hex digits per start. */
    nodeId: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be lower-case letters, digits, "-" or "_" (at most 63)')
      .optional(),
    /** Where the other nodes reach this one (`http(s)://host:port`); default the address it listens on. */
    advertiseUrl: z
      .string()
      .regex(/^https?:\/\/[^/\s]+$/, 'must be http(s)://host:port with no path')
      .optional(),
    /** Variable holding the cluster secret (the same on every node, at least 32 chars). Default `PINCER_CLUSTER_SECRET`. */
    secretEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
      .optional(),
    /** Lease of a node, ms: this long without a renewal and a survivor takes over its work. Default 10 000. */
    leaseMs: z.number().int().min(2_000).max(300_000).optional(),
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
    /** Where state lives: embedded SQLite (default) or PostgreSQL (see `StoreConfigSchema`). */
    store: StoreConfigSchema.optional(),
    /** Several gateways on one PostgreSQL schema (see `ClusterConfigSchema`). */
    cluster: ClusterConfigSchema.optional(),
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
        /** Fixed variables every shell gets (after the allowlist; `PINCER_*` and provider key variables are dropped). */
        env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).optional(),
        /** More variable names copied from the gateway's environment (same deny list). */
        passEnv: z
          .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/))
          .max(256)
          .optional(),
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
    /** OS sandbox of every shell (see `SandboxConfigSchema`). */
    sandbox: SandboxConfigSchema.optional(),
    plugins: z.array(PluginConfigSchema).optional(),
    providers: z.record(z.string().regex(/^[a-z0-9_-]+$/i), ProviderConfigSchema).optional(),
    scripted: z.object({ rulesFile: z.string().optional() }).strict().optional(),
    // ---- issue 14 (trust boundaries): every security knob in one block; all optional, defaults fail closed.
    security: z
      .object({
        /** Host names (no port) accepted in `Host`/`Origin` besides loopback (DNS-rebinding guard). Default none. */
        allowedHosts: z.array(z.string().min(1).max(253)).max(64).optional(),
        /** May an exec call ask for no timeout (`timeoutMs: 0`)? Default false (clamped to `exec.timeoutMs`). */
        allowNoExecTimeout: z.boolean().optional(),
        /** Tools non-owners may make the agent call in groups/channels (of exec, process, cron, sessions_spawn). Default none. */
        guestTools: z.array(z.enum(['exec', 'process', 'cron', 'sessions_spawn'])).optional(),
        /** Load plugin modules from outside the state dir and the config's directory. Default false. */
        allowPluginsOutsideStateDir: z.boolean().optional(),
        /** Connection limits (see the README's defaults table). */
        connections: z
          .object({
            headersTimeoutMs: z.number().int().min(100).max(600_000).optional(),
            requestTimeoutMs: z.number().int().min(100).max(3_600_000).optional(),
            keepAliveTimeoutMs: z.number().int().min(100).max(600_000).optional(),
            idleSocketTimeoutMs: z.number().int().min(1_000).max(3_600_000).optional(),
            maxConnectionsPerSource: z.number().int().min(1).max(100_000).optional(),
            maxConnections: z.number().int().min(1).max(100_000).optional(),
          })
          .strict()
          .optional(),
        /** Per-session caps beside the global ones (fairness). */
        perSession: z
          .object({
            maxRunningShells: z.number().int().min(1).max(10_000).optional(),
            maxQueuedRuns: z.number().int().min(1).max(1_000_000).optional(),
            maxEventStreams: z.number().int().min(1).max(10_000).optional(),
          })
          .strict()
          .optional(),
      })
      .strict()
      .optional(),
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
/** A `sandbox` block (gateway or agent). */
export type SandboxConfig = z.infer<typeof SandboxConfigSchema>;
/** A `session` block (global or per agent / binding). */
export type SessionConfig = z.infer<typeof SessionConfigSchema>;

/** The validated config with defaults applied. */
export interface GatewayConfig extends GatewayConfigInput {
  agents: AgentConfig[];
  defaultAgent: string;
  /** `defaultAgent` as configured (normalized), or undefined when it defaulted to the first agent (issue 14 item 3). */
  explicitDefaultAgent?: string | undefined;
  /** Absolute path of the file it was read from, if any. */
  sourcePath: string | undefined;
}

/** One problem found in a config: its JSON path (`agents[1].model`, `(root)`) and what is wrong. */
export interface ConfigIssue {
  path: string;
  message: string;
}

/**
 * The error for a config with problems: a `GatewayError` `invalid_config` whose `field` is the
 * first problem's path and whose one-line message names every problem (`Invalid config in <file>
 * at <path>: <what> (and 2 more: at <path>: <what>; …)`). The list is also attached as `issues`.
 */
export function configIssuesError(issues: readonly ConfigIssue[], sourcePath?: string): GatewayError & { issues: ConfigIssue[] } {
  const where = sourcePath ? ` in ${sourcePath}` : '';
  const [first, ...rest] = issues;
  const head = `Invalid config${where} at ${first?.path ?? '(root)'}: ${first?.message ?? 'invalid'}`;
  const tail = rest.length === 0 ? '' : ` (and ${rest.length} more: ${rest.map((i) => `at ${i.path}: ${i.message}`).join('; ')})`;
  const error = new GatewayError('invalid_config', `${head}${tail}`, { field: first?.path ?? '(root)' });
  return Object.assign(error, { issues: [...issues] });
}

/**
 * Validate an already-parsed config object. Every problem is collected (schema, duplicate ids,
 * models without a provider, an unknown `defaultAgent` or binding agent) and thrown as one
 * {@link configIssuesError}: a {@link GatewayError} `invalid_config` whose `field` is the first
 * problem's JSON path (e.g. `agents[1].model`) and whose `issues` lists them all.
 */
export function parseConfig(raw: unknown, sourcePath?: string): GatewayConfig {
  const result = GatewayConfigSchema.safeParse(raw ?? {});
  if (!result.success) {
    throw configIssuesError(
      result.error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message })),
      sourcePath,
    );
  }
  const cfg = result.data;
  const issues: ConfigIssue[] = [];
  const agents: AgentConfig[] = cfg.agents && cfg.agents.length > 0 ? cfg.agents : [{ id: 'main' }];
  const ids = new Set<string>();
  agents.forEach((a, i) => {
    const id = a.id.toLowerCase();
    if (ids.has(id)) issues.push({ path: `agents[${i}].id`, message: `duplicate agent id "${a.id}"` });
    ids.add(id);
    a.id = id;
    const model = a.model;
    if (model && model !== 'scripted' && !model.startsWith('scripted:')) {
      const provider = model.split('/')[0] ?? '';
      if (!model.includes('/') || !cfg.providers?.[provider]) {
        issues.push({
          path: `agents[${i}].model`,
          message: `"${model}" must be "scripted" or "<provider>/<model>" with the provider under "providers"`,
        });
      }
    }
  });
  const defaultAgent = (cfg.defaultAgent ?? agents[0]!.id).toLowerCase();
  if (!ids.has(defaultAgent)) issues.push({ path: 'defaultAgent', message: `"${defaultAgent}" is not a configured agent` });
  (cfg.bindings ?? []).forEach((b, i) => {
    if (!ids.has(b.agentId.toLowerCase())) issues.push({ path: `bindings[${i}].agentId`, message: `unknown agent "${b.agentId}"` });
  });
  if (cfg.cluster !== undefined && cfg.store?.kind !== 'postgres') {
    issues.push({ path: 'cluster', message: 'cluster mode needs store.kind "postgres" (the nodes share one database)' });
  }
  if (issues.length > 0) throw configIssuesError(issues, sourcePath);
  return { ...cfg, agents, defaultAgent, explicitDefaultAgent: cfg.defaultAgent !== undefined ? defaultAgent : undefined, sourcePath };
}

/**
 * Parses config text as JSONC (JSON with `//` and `/* *\/` comments and trailing commas, as in
 * the README's reference). Every syntax error is reported at once with its line and column.
 */
export function parseConfigText(text: string, sourcePath?: string): unknown {
  const errors: ParseError[] = [];
  const raw: unknown = parseJsonc(text, errors, { allowTrailingComma: true, disallowComments: false, allowEmptyContent: false });
  if (errors.length === 0) return raw;
  const described = errors.map((e) => {
    const { line, column } = lineColumn(text, e.offset);
    return `line ${line}, column ${column}: ${describeParseError(printParseErrorCode(e.error))}`;
  });
  throw new GatewayError('invalid_config', `Config file ${sourcePath ?? '(text)'} is not valid JSON (JSONC): ${described.join('; ')}`, {
    field: '(root)',
  });
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i += 1) {
    if (text.charCodeAt(i) === 10) {
      line += 1;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

function describeParseError(code: string): string {
  // `PropertyNameExpected` → `property name expected`.
  return code.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}

/**
 * Load and validate `pincer.config.json` (JSONC accepted). With no path (and no file), returns
 * the defaults: one agent `main` on the scripted model.
 */
export function loadConfig(path?: string): GatewayConfig {
  if (!path) return parseConfig({});
  if (!existsSync(path)) {
    throw new GatewayError('invalid_config', `Config file not found: ${path}`, { field: '(file)' });
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new GatewayError(
      'invalid_config',
      `Config file ${path} cannot be read: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`,
      {
        field: '(file)',
        cause,
      },
    );
  }
  return parseConfig(parseConfigText(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, path), path);
}

/** The config schema as JSON Schema (draft 2020-12) for editors: what a config file may contain. */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(GatewayConfigSchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
  return { ...schema, title: 'Pincer gateway config (pincer.config.json, JSONC)' };
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
