import { SandboxStatusSchema, type SandboxEntryView, type SandboxStatusView } from '@pincer/gateway/schemas';
import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { CliError } from '../errors.js';
import { writeJson, writeLine } from '../io.js';
import { formatTable } from '../output.js';

const MEBIBYTE = 1024 ** 2;

function formatBytes(bytes: number | null): string {
  if (bytes === null) return 'unlimited';
  return bytes >= MEBIBYTE ? `${Math.round(bytes / MEBIBYTE)} MiB` : `${bytes} B`;
}

function formatLimits(limits: SandboxEntryView['limits']): string {
  return [
    `processes ${limits.maxProcesses ?? 'unlimited'}`,
    `file size ${formatBytes(limits.maxFileSizeBytes)}`,
    `cpu ${limits.cpuSeconds === null ? 'unlimited' : `${limits.cpuSeconds} s`}`,
    `address space ${formatBytes(limits.addressSpaceBytes)}`,
  ].join(', ');
}

/** The human-readable `pincer sandbox status` (one fact per line, then the per-agent table). */
export function formatSandboxStatus(status: SandboxStatusView): string {
  const effect =
    status.effect === 'sandboxed'
      ? 'shells run sandboxed'
      : status.effect === 'refused'
        ? 'every exec is REFUSED (SANDBOX_UNAVAILABLE)'
        : 'shells run UNSANDBOXED';
  const lines = [
    `Mode:        ${status.mode} — ${effect}`,
    `Backend:     ${status.backend}${status.version ? ` ${status.version}` : ''}`,
    `Probe:       ${status.probe.ok ? 'ok' : 'failed'} (${status.probe.durationMs} ms)${status.probe.reason ? `: ${status.probe.reason}` : ''}`,
    `Namespaces:  ${status.namespaces.length > 0 ? status.namespaces.join(', ') : 'none'}`,
    `Privileges:  no-new-privileges ${status.isNoNewPrivileges ? 'yes' : 'no'}, capabilities ${status.hasNoCapabilities ? 'none' : 'present'}`,
    `Network:     ${status.network}`,
    `Limits:      ${formatLimits(status.limits)}`,
    `Workspaces:  ${status.workspaceRoot}`,
    `Hidden:      ${status.hiddenPaths.join(', ')}`,
    `Environment: allowlist ${status.env.allowlist.join(' ')}; passEnv ${status.env.passEnv.join(' ') || '(none)'}; never ${[...status.env.deniedPrefixes.map((prefix) => `${prefix}*`), ...status.env.deniedNames].join(' ')}`,
    '',
    formatTable(status.agents, [
      { header: 'AGENT', value: (agent) => agent.agentId },
      { header: 'MODE', value: (agent) => agent.mode },
      { header: 'EFFECT', value: (agent) => agent.effect },
      { header: 'NETWORK', value: (agent) => agent.network },
      { header: 'CONFIG', value: (agent) => (agent.isOwnConfig ? 'own' : 'gateway') },
    ]),
  ];
  return lines.join('\n');
}

/** Registers `pincer sandbox status [--json]`. */
export function registerSandboxCommand(program: Command, ctx: CommandContext): void {
  const sandbox = program.command('sandbox').description("The shells' OS sandbox");
  sandbox
    .command('status')
    .description('What the gateway really does with shells: mode, backend, probe, namespaces, limits, workspaces, per-agent modes')
    .option('--json', 'print { ok, sandbox } as JSON')
    .addHelpText('after', '\nExamples:\n  $ pincer sandbox status\n  $ pincer sandbox status --json')
    .action(async (options: { json?: boolean }) => {
      const body = await ctx.client(ctx.stateDir()).request('GET', '/v1/sandbox');
      const parsed = SandboxStatusSchema.safeParse(body);
      if (!parsed.success) throw new CliError('GATEWAY_ERROR', 'Unexpected answer from the gateway to GET /v1/sandbox.');
      if (options.json === true) {
        writeJson(ctx.io.stdout, { ok: true, sandbox: parsed.data });
        return;
      }
      writeLine(ctx.io.stdout, formatSandboxStatus(parsed.data));
    });
}
