import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createBwrapSandbox, type Sandbox, type SandboxProbe } from '@pincer/process-registry';
import type { AgentConfig, GatewayConfig, SandboxConfig } from '../config.js';

/** Mode of a sandbox when neither the gateway nor the agent sets one. */
export const DEFAULT_SANDBOX_MODE = 'auto';
/** Directory of the per-session workspaces under the state dir (0700). */
export const WORKSPACES_DIR_NAME = 'workspaces';
/** Prefix of variables no shell ever gets (the gateway's own settings and token). */
export const DENIED_ENV_PREFIXES: readonly string[] = ['PINCER_'];

/** The effective sandbox of one agent (or the gateway default). */
export interface EffectiveSandbox {
  /** `undefined` for the gateway default. */
  readonly agentId: string | undefined;
  readonly mode: 'required' | 'auto' | 'off';
  readonly sandbox: Sandbox;
}

/** Every sandbox of a gateway: the default one and one per agent with its own `sandbox` block. */
export interface GatewaySandboxes {
  readonly workspaceRoot: string;
  readonly hiddenPaths: readonly string[];
  readonly defaultSandbox: EffectiveSandbox;
  /** The sandbox an agent's shells run in. */
  forAgent(agentId: string): EffectiveSandbox;
  /** Every distinct sandbox (default first). */
  all(): readonly EffectiveSandbox[];
  /** Runs each sandbox's real probe once (cached by the package); returns them in `all()` order. */
  probeAll(): Promise<ReadonlyArray<{ entry: EffectiveSandbox; probe: SandboxProbe }>>;
}

function merge(base: SandboxConfig | undefined, override: SandboxConfig | undefined): SandboxConfig {
  return {
    ...(base ?? {}),
    ...(override ?? {}),
    binds: { ...(base?.binds ?? {}), ...(override?.binds ?? {}) },
    limits: { ...(base?.limits ?? {}), ...(override?.limits ?? {}) },
  };
}

/**
 * Build the gateway's bubblewrap sandboxes from the config: workspaces under
 * `<stateDir>/workspaces`, the state dir and the config file's directory hidden from every shell.
 */
export function createGatewaySandboxes(options: { config: GatewayConfig; stateDir: string }): GatewaySandboxes {
  const { config } = options;
  const stateDir = resolve(options.stateDir);
  const workspaceRoot = join(stateDir, WORKSPACES_DIR_NAME);
  mkdirSync(workspaceRoot, { recursive: true, mode: 0o700 });
  const hiddenPaths = [stateDir];
  const configDir = config.sourcePath ? dirname(resolve(config.sourcePath)) : undefined;
  if (configDir && configDir !== '/' && configDir !== stateDir) hiddenPaths.push(configDir);

  const build = (agentId: string | undefined, block: SandboxConfig): EffectiveSandbox => {
    const mode = block.mode ?? DEFAULT_SANDBOX_MODE;
    const sandbox = createBwrapSandbox({
      mode,
      workspaceRoot,
      hiddenPaths,
      ...(block.network ? { network: block.network } : {}),
      binds: { ro: block.binds?.ro ?? [], rw: block.binds?.rw ?? [] },
      limits: block.limits ?? {},
      ...(block.bwrapPath ? { bwrapPath: block.bwrapPath } : {}),
    });
    return { agentId, mode, sandbox };
  };
  const defaultSandbox = build(undefined, merge(config.sandbox, undefined));
  const perAgent = new Map<string, EffectiveSandbox>();
  for (const agent of config.agents as AgentConfig[]) {
    if (agent.sandbox) perAgent.set(agent.id, build(agent.id, merge(config.sandbox, agent.sandbox)));
  }
  const all = () => [defaultSandbox, ...perAgent.values()];
  return {
    workspaceRoot,
    hiddenPaths: Object.freeze([...hiddenPaths]),
    defaultSandbox,
    forAgent: (agentId) => perAgent.get(agentId.toLowerCase()) ?? defaultSandbox,
    all,
    async probeAll() {
      const entries = all();
      const probes = await Promise.all(entries.map((entry) => entry.sandbox.probe()));
      return entries.map((entry, index) => ({ entry, probe: probes[index]! }));
    },
  };
}

/**
 * The variables no shell gets: every provider's `apiKeyEnv`, the PostgreSQL store's `urlEnv`
 * (its URL carries the database password) and the cluster's `secretEnv`. (`PINCER_*` goes by prefix.)
 */
export function deniedEnvNames(config: GatewayConfig): string[] {
  const names = Object.values(config.providers ?? {}).flatMap((provider) => (provider.apiKeyEnv ? [provider.apiKeyEnv] : []));
  if (config.store?.kind === 'postgres' && config.store.urlEnv) names.push(config.store.urlEnv);
  if (config.cluster?.secretEnv) names.push(config.cluster.secretEnv);
  return [...new Set(names)];
}
