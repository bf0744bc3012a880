import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { createCredentialMetrics, type CredentialMetrics } from './credentials/credential-metrics.js';

/** Prometheus metrics of one gateway (own registry: no global state). */
export interface GatewayMetrics {
  readonly registry: Registry;
  readonly runs: Counter<'kind' | 'status'>;
  readonly runsActive: Gauge;
  readonly processesStarted: Counter;
  readonly processesRunning: Gauge;
  readonly queueDepth: Gauge;
  readonly wakes: Counter<'reason'>;
  readonly errors: Counter<'where'>;
  readonly toolCalls: Counter<'tool'>;
  readonly authFailures: Counter;
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  /** Requests, refusals and auth failures per credential id (bounded labels). */
  readonly credentials: CredentialMetrics;
}

/** Create the metrics set with its own registry (`pincer_` prefix). */
export function createMetrics(): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'pincer_' });
  const registers = [registry];
  return {
    registry,
    runs: new Counter({
      name: 'pincer_runs_total',
      help: 'Agent runs finished, by kind and status',
      labelNames: ['kind', 'status'],
      registers,
    }),
    runsActive: new Gauge({ name: 'pincer_runs_active', help: 'Agent runs executing now', registers }),
    processesStarted: new Counter({ name: 'pincer_processes_started_total', help: 'Processes started by exec', registers }),
    processesRunning: new Gauge({ name: 'pincer_processes_running', help: 'Processes running now', registers }),
    queueDepth: new Gauge({ name: 'pincer_system_event_queue_depth', help: 'System events queued (all sessions)', registers }),
    wakes: new Counter({ name: 'pincer_wakes_total', help: 'Heartbeat wakes requested, by reason', labelNames: ['reason'], registers }),
    errors: new Counter({ name: 'pincer_errors_total', help: 'Errors, by where they happened', labelNames: ['where'], registers }),
    toolCalls: new Counter({ name: 'pincer_tool_calls_total', help: 'Tool calls, by tool', labelNames: ['tool'], registers }),
    authFailures: new Counter({ name: 'pincer_auth_failures_total', help: 'Rejected bearer tokens', registers }),
    httpRequests: new Counter({
      name: 'pincer_http_requests_total',
      help: 'HTTP requests',
      labelNames: ['method', 'route', 'status'],
      registers,
    }),
    credentials: createCredentialMetrics(registry),
  };
}
