import { z } from 'zod';

/** Whether one shell runs sandboxed (process-registry's `SandboxStatus` on the wire). */
export const ShellSandboxSchema = z.object({
  isSandboxed: z.boolean(),
  backend: z.enum(['bwrap']).optional(),
  /** Why not, when not (`sandbox mode is off`, `sandbox unavailable: …`). */
  reason: z.string().optional(),
});

const LimitsSchema = z.object({
  maxProcesses: z.number().nullable(),
  maxFileSizeBytes: z.number().nullable(),
  cpuSeconds: z.number().nullable(),
  addressSpaceBytes: z.number().nullable(),
});

/** One effective sandbox (the gateway's default, or an agent's own). */
export const SandboxEntrySchema = z.object({
  mode: z.enum(['required', 'auto', 'off']),
  /** What exec does with this sandbox now: run `sandboxed`, run `unsandboxed`, or `refused` (SANDBOX_UNAVAILABLE). */
  effect: z.enum(['sandboxed', 'unsandboxed', 'refused']),
  backend: z.literal('bwrap'),
  version: z.string().optional(),
  probe: z.object({ ok: z.boolean(), reason: z.string().optional(), probedAt: z.number(), durationMs: z.number() }),
  namespaces: z.array(z.string()),
  network: z.enum(['host', 'none']),
  isNoNewPrivileges: z.boolean(),
  hasNoCapabilities: z.boolean(),
  /** Limits the probe's shell really had (null = not set). */
  limits: LimitsSchema,
});

/** GET /v1/sandbox response: what the runtime really does with shells. */
export const SandboxStatusSchema = SandboxEntrySchema.extend({
  workspaceRoot: z.string(),
  hiddenPaths: z.array(z.string()),
  /** Every configured agent's effective sandbox. */
  agents: z.array(SandboxEntrySchema.extend({ agentId: z.string(), isOwnConfig: z.boolean() })),
  /** The clean child environment: allowlisted, passed and fixed names; names and prefixes never passed. */
  env: z.object({
    allowlist: z.array(z.string()),
    passEnv: z.array(z.string()),
    fixed: z.array(z.string()),
    deniedNames: z.array(z.string()),
    deniedPrefixes: z.array(z.string()),
  }),
});

/** @see SandboxStatusSchema */
export type SandboxStatusView = z.infer<typeof SandboxStatusSchema>;
/** @see SandboxEntrySchema */
export type SandboxEntryView = z.infer<typeof SandboxEntrySchema>;
