// The shapes the console reads. Where the gateway's OpenAPI documents a JSON answer the type is
// taken from the generated `schema.d.ts`; where it does not yet (several list routes answer
// untyped JSON today), `Documented` falls back to the interface written here, so regenerating
// the schema tightens the types without touching the pages.
import type { paths } from './schema.js';

type Method = 'get' | 'post' | 'delete';
type JsonOf<Operation, Status extends number> = Operation extends {
  responses: { [K in Status]: { content: { 'application/json': infer Body } } };
}
  ? Body
  : never;

/** The documented 200/201/202 JSON answer of `Path`/`M`, else `Fallback`. */
export type Documented<Path extends keyof paths, M extends Method, Fallback> = paths[Path] extends { [K in M]: infer Operation }
  ? [JsonOf<Operation, 200> | JsonOf<Operation, 201> | JsonOf<Operation, 202>] extends [never]
    ? Fallback
    : JsonOf<Operation, 200> | JsonOf<Operation, 201> | JsonOf<Operation, 202>
  : Fallback;

/** One session (`GET /v1/sessions/{key}`). */
export type SessionView = Documented<'/v1/sessions/{key}', 'get', never>;

/** `GET /v1/sessions` (not yet typed in the OpenAPI). */
export type SessionList = Documented<'/v1/sessions', 'get', { count: number; sessions: SessionView[] }>;

/** One transcript entry. */
export interface TranscriptEntry {
  seq: number;
  role: string;
  text: string;
  runId: string | null;
  createdAt: number;
}

/** `GET /v1/sessions/{key}/transcript` (not yet typed in the OpenAPI). */
export type Transcript = Documented<
  '/v1/sessions/{key}/transcript',
  'get',
  { sessionKey: string; sessionId: string; entries: TranscriptEntry[] }
>;

/** A shell as `GET /v1/processes` lists it (the documented `ProcessView` fits it). */
export interface ProcessView {
  id: string;
  pid?: number;
  status: string;
  sessionKey?: string;
  scopeKey?: string;
  command?: string;
  cwd?: string;
  startedAt?: number;
  endedAt?: number;
  exitCode?: number | null;
  signal?: string | null;
  tail?: string;
  truncated?: boolean;
  source?: string;
  /** Sandbox status of the shell: `{ isSandboxed, backend?, reason? }` from today's gateway; older shapes read defensively. */
  sandbox?:
    | { isSandboxed: boolean; backend?: string | undefined; reason?: string | undefined }
    | string
    | { mode?: string; status?: string }
    | null;
}

/** `GET /v1/processes` (not yet typed in the OpenAPI). */
export type ProcessList = Documented<'/v1/processes', 'get', { count: number; processes: ProcessView[] }>;

/** `GET /v1/processes/{id}/log`. */
export type ProcessLog = Documented<'/v1/processes/{id}/log', 'get', { id: string; status: string; output: string; source: string }>;

/** `GET /v1/processes/{id}/tree`: the live processes a kill of the shell would end. */
export type ProcessTree = Documented<
  '/v1/processes/{id}/tree',
  'get',
  { id: string; status: string; isSandboxed: boolean; processCount: number; pids: number[] }
>;

/** `POST /v1/processes/{id}/kill`. */
export type KillResult = Documented<'/v1/processes/{id}/kill', 'post', { id: string; status: string; signal?: string }>;

/** A cron job as `GET /v1/cron` lists it. */
export interface CronJob {
  id: string;
  name?: string | null;
  agentId?: string;
  schedule?: { kind: string; every?: number | string; at?: number | string; cron?: string; expr?: string; tz?: string };
  payload?: { kind: string; text?: string; message?: string };
  target?: string;
  enabled?: boolean;
  state?: { nextRunAtMs?: number | null; lastRunAtMs?: number | null; lastStatus?: string | null; lastError?: string | null };
  ownerSessionKey?: string | null;
}

/** `GET /v1/cron` (not yet typed in the OpenAPI). */
export type CronList = Documented<'/v1/cron', 'get', { count: number; jobs: CronJob[] }>;

/** `POST /v1/agent` answer. */
export type AgentAccepted = Documented<'/v1/agent', 'post', { runId: string; sessionKey: string }>;

/** One audit record (`GET /v1/audit`, not on today's gateway): read defensively. */
export interface AuditEntry {
  id?: string | number;
  at?: number | string;
  time?: number | string;
  credentialId?: string | null;
  source?: string | null;
  action?: string;
  target?: string | null;
  result?: string;
}

/** Events of `GET /v1/events` (see the gateway README), each with its stream id and time (epoch ms). */
export type GatewayEvent = { eventId?: string; ts?: number } & (
  | { type: 'run.queued' | 'run.started'; sessionKey: string; runId: string; kind: string }
  | { type: 'run.finished'; sessionKey: string; runId: string; kind: string; status: string; reply?: string; error?: string }
  | { type: 'process.started'; sessionKey: string; id: string; command: string }
  | { type: 'process.exited'; sessionKey: string; id: string; status: string; exitCode: number | null; signal: string | null }
  | { type: 'system.event'; sessionKey: string; text: string }
  | { type: 'transcript'; sessionKey: string; role: string; text: string }
);

/** `GET /v1/sandbox`: the sandbox mode, what exec does with it, the probe and the limits shells really get. */
export type SandboxStatus = Documented<'/v1/sandbox', 'get', never>;

/** `GET /v1/status` (operator only): agents, plugins, tokens, open streams; `nodes` only once the gateway is clustered. */
export type GatewayStatus = Documented<'/v1/status', 'get', never> & { nodes?: unknown };
