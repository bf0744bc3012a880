import { deriveProcessScopeKey } from '@pincer/session-key';
import type { ProcessRegistry, ProcessSnapshot } from '@pincer/process-registry';
import type { BashSessionsApi } from '@pincer/plugin-sdk';
import type { AccessScope } from '../credentials/access-scope.js';
import { notFound } from '../errors.js';
import { PROCESS_LIST_TAIL_CHARS, type GatewayStore, type ProcessRecord } from '../store/gateway-store.js';
import { pageLines } from './page-lines.js';

/** A process as the operator sees it: the registry's snapshot, or its journal row once it left memory. */
export interface ProcessView {
  id: string;
  pid: number | undefined;
  scopeKey: string;
  sessionKey: string | undefined;
  command: string;
  cwd: string;
  startedAt: number;
  endedAt: number | undefined;
  status: string;
  exitCode: number | null;
  signal: string | null;
  tail: string;
  truncated: boolean;
  source: 'registry' | 'journal';
  /** Whether the shell ran in the OS sandbox (from the registry, or the journal record). */
  sandbox?: { isSandboxed: boolean; backend?: 'bwrap' | undefined; reason?: string | undefined } | undefined;
}

/** One page of a process's output. */
export interface ProcessLogView {
  id: string;
  status: string;
  output: string;
  source: 'registry' | 'journal';
}

/** Line paging of a log read. */
export interface LogPaging {
  offset?: number | undefined;
  limit?: number | undefined;
}

/** The operator and tool view of shells: the live registry first, then the journal. */
export interface ProcessService {
  readonly registry: ProcessRegistry;
  /** The registry scope of a session's processes. */
  scopeOf(owner: { sessionKey: string; agentId: string }): string;
  /** Every known process (live ∪ journal); with `scope`, only that session's (filtered in the store). */
  list(scope: AccessScope | undefined): ProcessView[];
  /** With `scope`, another session's process answers exactly like a missing one. */
  require(id: string, scope: AccessScope | undefined): ProcessView;
  log(id: string, scope: AccessScope | undefined, paging: LogPaging): ProcessLogView;
  /** Kill a shell tree through the registry's kill ceremony. */
  kill(id: string, scope: AccessScope | undefined): Promise<{ id: string; status: 'killed' | 'already-exited'; signal?: string }>;
  /** A journal-backed log read for a process that left the registry, in `scopeKey` only. */
  journalLog(
    scopeKey: string,
    id: string,
    paging: LogPaging,
  ): { id: string; status: string; exitCode: number | null; output: string; source: 'journal' } | undefined;
}

function journalView(row: ProcessRecord): ProcessView {
  return {
    id: row.id,
    pid: row.pid ?? undefined,
    scopeKey: row.scopeKey,
    sessionKey: row.sessionKey ?? undefined,
    command: row.command,
    cwd: row.cwd,
    startedAt: row.startedAt,
    endedAt: row.endedAt ?? undefined,
    status: row.status,
    exitCode: row.exitCode,
    signal: row.signal,
    tail: row.output.slice(-PROCESS_LIST_TAIL_CHARS),
    truncated: row.truncated,
    source: 'journal',
    ...journalSandbox(row.record),
  };
}

function journalSandbox(record: unknown): Pick<ProcessView, 'sandbox'> {
  const sandbox = (record as { sandbox?: ProcessView['sandbox'] } | null)?.sandbox;
  return sandbox && typeof sandbox.isSandboxed === 'boolean' ? { sandbox } : {};
}

/** A process is inside a scope by its registry scope key or its session key (a refusal counts once, on the session key). */
const inScope = (process: { sessionKey?: string | null | undefined; scopeKey: string }, scope: AccessScope | undefined) =>
  scope === undefined || scope.matches(process.scopeKey) || scope.admits(process.sessionKey);
const listedIn = (process: { sessionKey?: string | null | undefined; scopeKey: string }, scope: AccessScope | undefined) =>
  scope === undefined || scope.matches(process.scopeKey) || scope.matches(process.sessionKey);
/** The one key a store query can filter on, when the scope is one session. */
const storeKeyOf = (scope: AccessScope | undefined): string | undefined =>
  scope?.filter.kind === 'key' ? scope.filter.sessionKey : undefined;

/** Build the process service over the registry, its plugin-sdk shell view and the journal. */
export function createProcessService(options: { registry: ProcessRegistry; shells: BashSessionsApi; store: GatewayStore }): ProcessService {
  const { registry, shells, store } = options;
  const findLive = (id: string): ProcessSnapshot | undefined => {
    const snapshot = registry.snapshot();
    return snapshot.running.find((process) => process.id === id) ?? snapshot.finished.find((process) => process.id === id);
  };
  const find = (id: string): ProcessView | undefined => {
    const live = findLive(id);
    if (live) return { ...live, source: 'registry' };
    const row = store.processes.get(id);
    return row ? journalView(row) : undefined;
  };
  const require = (id: string, scope: AccessScope | undefined): ProcessView => {
    const known = find(id);
    if (!known || !inScope(known, scope)) throw notFound(`Process ${id}`);
    return known;
  };
  return {
    registry,
    scopeOf: (owner) => deriveProcessScopeKey({ sessionKey: owner.sessionKey, agentId: owner.agentId }),
    list(scope) {
      const live = shells.loadBashSessions();
      // plugin-sdk's snapshot carries no `sandbox` field (yet): take it from the registry's own.
      const registrySnapshot = registry.snapshot();
      const sandboxById = new Map(
        [...registrySnapshot.running, ...registrySnapshot.finished].map((process) => [process.id, process.sandbox]),
      );
      const views: ProcessView[] = [];
      const liveIds = new Set<string>();
      for (const process of [...live.running, ...live.finished]) {
        liveIds.add(process.id);
        const sandbox = sandboxById.get(process.id);
        if (listedIn(process, scope)) views.push({ ...process, source: 'registry', ...(sandbox ? { sandbox } : {}) });
      }
      if (scope?.filter.kind === 'none') return views;
      for (const row of store.processes.list({ scopeOrSessionKey: storeKeyOf(scope) })) {
        if (!liveIds.has(row.id) && listedIn(row, scope)) views.push(journalView(row));
      }
      return views;
    },
    require,
    log(id, scope, paging) {
      require(id, scope);
      const live = findLive(id);
      if (live) {
        const page = registry.log({
          scopeKey: live.scopeKey,
          id,
          ...(paging.offset !== undefined ? { offset: paging.offset } : {}),
          ...(paging.limit !== undefined ? { limit: paging.limit } : {}),
        });
        return { id, status: page.status, output: page.output, source: 'registry' };
      }
      const row = store.processes.get(id);
      if (!row) throw notFound(`Process ${id}`);
      return { id, status: row.status, output: pageLines(row.output, paging), source: 'journal' };
    },
    async kill(id, scope) {
      require(id, scope);
      const outcome = await shells.killBashSession(id);
      // Known only from the journal (a previous gateway's process, already reaped or exited).
      if (outcome.status === 'not-found') return { id, status: 'already-exited' };
      return { id, status: outcome.status, ...(outcome.signal !== undefined ? { signal: outcome.signal } : {}) };
    },
    journalLog(scopeKey, id, paging) {
      const row = store.processes.get(id);
      if (!row || row.scopeKey !== scopeKey) return undefined;
      return { id, status: row.status, exitCode: row.exitCode, output: pageLines(row.output, paging), source: 'journal' };
    },
  };
}
