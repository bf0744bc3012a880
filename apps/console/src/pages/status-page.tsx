import type { ComponentChildren } from 'preact';
import { ConsoleError } from '../api/console-error.js';
import type { GatewayStatus, SandboxStatus } from '../api/types.js';
import { useApp } from '../app-context.js';
import { formatCount } from '../format.js';
import { metricTotal, parseMetrics } from '../metrics.js';
import { useResource } from '../use-resource.js';

/** The answer of an optional route: its body, `missing` on 404, `refused` on 403. */
type Optional<T> = { state: 'ok'; body: T } | { state: 'missing' } | { state: 'refused' };

async function optional<T>(load: () => Promise<T>): Promise<Optional<T>> {
  try {
    return { state: 'ok', body: await load() };
  } catch (error) {
    if (ConsoleError.isInstance(error) && error.code === 'not_found') return { state: 'missing' };
    if (ConsoleError.isInstance(error) && error.code === 'forbidden') return { state: 'refused' };
    throw error;
  }
}

/** Flattens a JSON object into `a.b.c → value` rows for display. Pure. */
export function flattenFacts(value: unknown, prefix = '', depth = 0): Array<[string, string]> {
  if (value === null || typeof value !== 'object' || depth > 3)
    return [[prefix || 'value', value === undefined ? '—' : JSON.stringify(value)]];
  if (Array.isArray(value))
    return [[prefix, value.map((item) => (typeof item === 'object' ? JSON.stringify(item) : String(item))).join(', ') || '—']];
  return Object.entries(value as Record<string, unknown>).flatMap(([name, item]) =>
    item !== null && typeof item === 'object' && !Array.isArray(item)
      ? flattenFacts(item, prefix ? `${prefix}.${name}` : name, depth + 1)
      : [[prefix ? `${prefix}.${name}` : name, typeof item === 'string' ? item : JSON.stringify(item)]],
  );
}

function Facts(props: { rows: ReadonlyArray<[string, ComponentChildren]> }) {
  return (
    <dl class="facts panel">
      {props.rows.map(([name, value]) => (
        <div key={name}>
          <dt>{name}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

function OptionalSection(props: { title: string; route: string; answer: Optional<unknown> | undefined; what: string }) {
  const { answer } = props;
  return (
    <section aria-labelledby={`${props.route}-title`}>
      <h2 id={`${props.route}-title`}>{props.title}</h2>
      {answer === undefined ? (
        <p role="status">Loading…</p>
      ) : answer.state === 'missing' ? (
        <p class="panel notice">
          Not reported by this gateway (<code>GET {props.route}</code> answered 404): {props.what}.
        </p>
      ) : answer.state === 'refused' ? (
        <p class="panel notice">This token may not read {props.what}.</p>
      ) : (
        <Facts rows={flattenFacts(answer.body)} />
      )}
    </section>
  );
}

/** A limit in words: `none` when the sandbox leaves it alone. Pure. */
export function limitText(value: number | null, unit: 'count' | 'bytes' | 'seconds'): string {
  if (value === null) return 'none';
  if (unit === 'bytes') return value >= 1_048_576 ? `${formatCount(Math.round(value / 1_048_576))} MiB` : `${formatCount(value)} B`;
  return unit === 'seconds' ? `${formatCount(value)} s` : formatCount(value);
}

/** Everything `/v1/sandbox` says but the per-agent entries, which the summary shows in words. Pure. */
function sandboxDetails(answer: Optional<SandboxStatus> | undefined): Optional<unknown> | undefined {
  if (answer?.state !== 'ok') return answer;
  const { agents: _agents, ...rest } = answer.body;
  return { state: 'ok', body: rest };
}

/** The sandbox mode, its effect and the limits shells really get (from `GET /v1/sandbox`). */
function SandboxSummary(props: { sandbox: SandboxStatus }) {
  const { sandbox } = props;
  return (
    <Facts
      rows={[
        ['Mode', sandbox.mode],
        ['Effect on shells', sandbox.effect],
        ['Backend', `${sandbox.backend}${sandbox.version ? ` ${sandbox.version}` : ''}`],
        ['Probe', sandbox.probe.ok ? 'ok' : `failed${sandbox.probe.reason ? `: ${sandbox.probe.reason}` : ''}`],
        ['Network', sandbox.network],
        ['Namespaces', sandbox.namespaces.join(', ') || '—'],
        ['Max processes', limitText(sandbox.limits.maxProcesses, 'count')],
        ['Max file size', limitText(sandbox.limits.maxFileSizeBytes, 'bytes')],
        ['CPU time', limitText(sandbox.limits.cpuSeconds, 'seconds')],
        ['Address space', limitText(sandbox.limits.addressSpaceBytes, 'bytes')],
        ...sandbox.agents.map((agent): [string, string] => [
          `Agent ${agent.agentId}`,
          `${agent.mode} → ${agent.effect}${agent.isOwnConfig ? ' (own config)' : ''}`,
        ]),
      ]}
    />
  );
}

/** Gateway status from whatever the gateway offers: /healthz, /metrics, /v1/sandbox and (operator only) /v1/status. */
export function StatusPage() {
  const { api, capabilities } = useApp();
  const health = useResource(
    'healthz',
    () => fetch('/healthz', { cache: 'no-store' }).then((answer) => answer.json() as Promise<Record<string, unknown>>),
    { pollMs: 10_000 },
  );
  const metrics = useResource('metrics', () => optional(() => api.getText('/metrics').then(parseMetrics)), { pollMs: 5_000 });
  const gatewayStatus = useResource('v1-status', () => optional(() => api.get<GatewayStatus>('/v1/status')));
  const sandbox = useResource('v1-sandbox', () => optional(() => api.get<SandboxStatus>('/v1/sandbox')));
  const nodes = gatewayStatus.data?.state === 'ok' ? gatewayStatus.data.body.nodes : undefined;
  const identity = capabilities.identity();
  const samples = metrics.data?.state === 'ok' ? metrics.data.body : undefined;
  return (
    <>
      <h1 tabIndex={-1}>Gateway status</h1>
      <section aria-labelledby="health-title">
        <h2 id="health-title">Health</h2>
        <Facts
          rows={[
            [
              'Liveness (/healthz)',
              health.data
                ? health.data.ok === true
                  ? 'ok'
                  : 'not ok'
                : health.error
                  ? `unreachable: ${health.error.message}`
                  : 'checking…',
            ],
            ['API version', String(health.data?.version ?? '—')],
            [
              'This token',
              identity.kind === 'unknown'
                ? 'not reported (the gateway has no /v1/whoami; everything is offered until the API refuses)'
                : `${identity.kind}${identity.name ? ` “${identity.name}”` : ''}${identity.scope ? ` · ${identity.scope}` : ''}`,
            ],
          ]}
        />
      </section>
      <section aria-labelledby="metrics-title">
        <h2 id="metrics-title">Activity</h2>
        {metrics.error ? (
          <p class="panel error" role="alert">
            Metrics unavailable: {metrics.error.message}
          </p>
        ) : metrics.data?.state === 'refused' ? (
          <p class="panel notice">This token may not read /metrics.</p>
        ) : metrics.data?.state === 'missing' ? (
          <p class="panel notice">This gateway has no /metrics.</p>
        ) : !samples ? (
          <p role="status">Loading…</p>
        ) : (
          <Facts
            rows={[
              ['Runs active', formatCount(metricTotal(samples, 'pincer_runs_active'))],
              ['Runs finished', formatCount(metricTotal(samples, 'pincer_runs_total'))],
              ['Shells running', formatCount(metricTotal(samples, 'pincer_processes_running'))],
              ['Shells started', formatCount(metricTotal(samples, 'pincer_processes_started_total'))],
              ['Queued system events', formatCount(metricTotal(samples, 'pincer_system_event_queue_depth'))],
              ['Failed authentications', formatCount(metricTotal(samples, 'pincer_auth_failures_total'))],
              ['HTTP requests', formatCount(metricTotal(samples, 'pincer_http_requests_total'))],
              ['Resident memory', `${Math.round(metricTotal(samples, 'pincer_process_resident_memory_bytes') / 1_048_576)} MiB`],
            ]}
          />
        )}
      </section>
      <section aria-labelledby="sandbox-summary-title">
        <h2 id="sandbox-summary-title">Sandbox mode and limits</h2>
        {sandbox.data?.state === 'ok' ? (
          <SandboxSummary sandbox={sandbox.data.body} />
        ) : (
          <p class="panel notice">See the Sandbox section below.</p>
        )}
      </section>
      <OptionalSection title="Gateway" route="/v1/status" answer={gatewayStatus.data} what="agents, plugins, tokens and open streams" />
      {nodes !== undefined && (
        <section aria-labelledby="nodes-title">
          <h2 id="nodes-title">Nodes</h2>
          <Facts rows={flattenFacts(nodes)} />
        </section>
      )}
      <OptionalSection
        title="Sandbox details"
        route="/v1/sandbox"
        answer={sandboxDetails(sandbox.data)}
        what="the sandbox mode shells run under"
      />
    </>
  );
}
