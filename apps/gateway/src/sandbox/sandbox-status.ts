import { ALLOWED_ENV_NAMES, type SandboxProbe } from '@pincer/process-registry';
import type { GatewayConfig } from '../config.js';
import { DENIED_ENV_PREFIXES, deniedEnvNames, type EffectiveSandbox, type GatewaySandboxes } from './sandboxes.js';
import type { SandboxEntryView, SandboxStatusView } from './schemas.js';

/** What exec does with a sandbox given its mode and probe. */
export function sandboxEffect(mode: EffectiveSandbox['mode'], probe: Pick<SandboxProbe, 'ok'>): SandboxEntryView['effect'] {
  if (mode === 'off') return 'unsandboxed';
  if (probe.ok) return 'sandboxed';
  return mode === 'required' ? 'refused' : 'unsandboxed';
}

function entryView(entry: EffectiveSandbox, probe: SandboxProbe): SandboxEntryView {
  return {
    mode: entry.mode,
    effect: sandboxEffect(entry.mode, probe),
    backend: 'bwrap',
    ...(probe.version ? { version: probe.version } : {}),
    probe: { ok: probe.ok, ...(probe.reason ? { reason: probe.reason } : {}), probedAt: probe.probedAt, durationMs: probe.durationMs },
    namespaces: [...probe.namespaces],
    network: probe.network,
    isNoNewPrivileges: probe.isNoNewPrivileges,
    hasNoCapabilities: probe.hasNoCapabilities,
    limits: { ...probe.limits },
  };
}

/** The operator's view of the sandboxes (`GET /v1/sandbox`, `pincer sandbox status`). */
export interface SandboxService {
  readonly sandboxes: GatewaySandboxes;
  status(): Promise<SandboxStatusView>;
}

/** Status over the sandboxes' cached probes (the first call probes if start did not). */
export function createSandboxService(options: { config: GatewayConfig; sandboxes: GatewaySandboxes }): SandboxService {
  const { config, sandboxes } = options;
  return {
    sandboxes,
    async status() {
      const probed = new Map((await sandboxes.probeAll()).map(({ entry, probe }) => [entry, probe]));
      const viewOf = (entry: EffectiveSandbox) => entryView(entry, probed.get(entry)!);
      return {
        ...viewOf(sandboxes.defaultSandbox),
        workspaceRoot: sandboxes.workspaceRoot,
        hiddenPaths: [...sandboxes.hiddenPaths],
        agents: config.agents.map((agent) => {
          const entry = sandboxes.forAgent(agent.id);
          return { ...viewOf(entry), agentId: agent.id, isOwnConfig: entry !== sandboxes.defaultSandbox };
        }),
        env: {
          allowlist: [...ALLOWED_ENV_NAMES, 'LC_*'],
          passEnv: config.exec?.passEnv ?? [],
          fixed: Object.keys(config.exec?.env ?? {}),
          deniedNames: deniedEnvNames(config),
          deniedPrefixes: [...DENIED_ENV_PREFIXES],
        },
      };
    },
  };
}
