import { deriveProcessScopeKey } from '@pincer/session-key';
import { listProcessTree, ProcessRegistryError, type ProcessRegistry, type ProcessSnapshot } from '@pincer/process-registry';
import type { BashSessionsApi } from '@pincer/plugin-sdk';
import type { ClusterService } from '../cluster/cluster.js';
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

/** What a shell kill did. */
export interface ProcessKillView {
  id: string;
  status: 'killed' | 'already-exited';
  signal?: string;
}

/** The live process tree of a shell. */
export interface ProcessTreeView {
  id: string;
  status: string;
  isSandboxed: boolean;
  processCount: number;
  pids: number[];
}

/** A call on a shell forwarded to the node that owns it (cluster mode), checked against its scope key there. */
export type ForwardedShellCall =
  | { op: 'log'; id: string; scopeKey: string; offset?: number | undefined; limit?: number | undefined }
  | { op: 'poll'; id: string; scopeKey: string; waitMs?: number | undefined }
  | { op: 'write'; id: string; scopeKey: string; data: string; eof?: boolean | undefined }
  | { op: 'kill'; id: string; scopeKey: string }
  | { op: 'tree'; id: string; scopeKey: string };

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
  /** Retained output by lines; a running shell of another node (cluster mode) is read there. */
  log(id: string, scope: AccessScope | undefined, paging: LogPaging): Promise<ProcessLogView>;
  /** Kill a shell tree through the registry's kill ceremony (on the node that owns it). */
  kill(id: string, scope: AccessScope | undefined): Promise<ProcessKillView>;
  /** What a kill of the shell would end, read from /proc of the node that runs it. */
  tree(id: string, scope: AccessScope | undefined): Promise<ProcessTreeView>;
  /**
   * For a tool call that missed the local registry: the same call on the live node that owns the
   * shell, when the journal has it running in `scopeKey` on another node; `undefined` otherwise.
   */
  forward(call: ForwardedShellCall): Promise<unknown>;
  /** Answer a call another node forwarded (the owner's side); unknown or other-scope shells are not found. */
  serveForwarded(call: ForwardedShellCall): Promise<unknown>;
  /** Running shells of `scopeKey` that other live nodes own (cluster mode; journal rows). */
  remoteRunning(scopeKey: string): ProcessRecord[];
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

const isRunningRow = (row: ProcessRecord) => row.status === 'running' || row.status === 'starting';
const FORWARD_PATH = '/v1/cluster/shells';

/** Build the process service over the registry, its plugin-sdk shell view and the journal (and, in cluster mode, the other nodes). */
export function createProcessService(options: {
  registry: ProcessRegistry;
  shells: BashSessionsApi;
  store: GatewayStore;
  cluster?: ClusterService | undefined;
}): ProcessService {
  const { registry, shells, store, cluster } = options;
  /** The live node that runs a journaled shell, when it is not this one. */
  const remoteOwner = (row: ProcessRecord | undefined) => {
    if (!cluster || !row || !isRunningRow(row)) return undefined;
    const owner = cluster.ownerOf(row.ownerNode);
    return owner.kind === 'remote' ? owner.node : undefined;
  };
  const localTree = (view: ProcessView): ProcessTreeView => {
    const pids = listProcessTree({ id: view.id, pid: view.pid });
    return { id: view.id, status: view.status, isSandboxed: view.sandbox?.isSandboxed === true, processCount: pids.length, pids };
  };
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
    async log(id, scope, paging) {
      const known = require(id, scope);
      const live = findLive(id);
      const owner = live ? undefined : remoteOwner(store.processes.get(id));
      if (owner) {
        return (await cluster!.call(owner, FORWARD_PATH, {
          op: 'log',
          id,
          scopeKey: known.scopeKey,
          offset: paging.offset,
          limit: paging.limit,
        })) as ProcessLogView;
      }
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
      const known = require(id, scope);
      const owner = findLive(id) ? undefined : remoteOwner(store.processes.get(id));
      if (owner) return (await cluster!.call(owner, FORWARD_PATH, { op: 'kill', id, scopeKey: known.scopeKey })) as ProcessKillView;
      const outcome = await shells.killBashSession(id);
      // Known only from the journal (a previous gateway's process, already reaped or exited).
      if (outcome.status === 'not-found') return { id, status: 'already-exited' };
      return { id, status: outcome.status, ...(outcome.signal !== undefined ? { signal: outcome.signal } : {}) };
    },
    async tree(id, scope) {
      const known = require(id, scope);
      const owner = findLive(id) ? undefined : remoteOwner(store.processes.get(id));
      if (owner) return (await cluster!.call(owner, FORWARD_PATH, { op: 'tree', id, scopeKey: known.scopeKey })) as ProcessTreeView;
      return localTree(known);
    },
    async forward(call) {
      const row = store.processes.get(call.id);
      if (!row || row.scopeKey !== call.scopeKey) return undefined;
      const owner = remoteOwner(row);
      return owner ? cluster!.call(owner, FORWARD_PATH, call) : undefined;
    },
    async serveForwarded(call) {
      const live = findLive(call.id);
      if (!live || live.scopeKey !== call.scopeKey) throw notFound(`Process ${call.id}`);
      try {
        switch (call.op) {
          case 'log': {
            const page = registry.log({
              scopeKey: call.scopeKey,
              id: call.id,
              ...(call.offset !== undefined ? { offset: call.offset } : {}),
              ...(call.limit !== undefined ? { limit: call.limit } : {}),
            });
            return { id: call.id, status: page.status, output: page.output, source: 'registry' };
          }
          case 'poll':
            return await registry.poll({
              scopeKey: call.scopeKey,
              id: call.id,
              ...(call.waitMs !== undefined ? { waitMs: call.waitMs } : {}),
            });
          case 'write':
            return registry.write({
              scopeKey: call.scopeKey,
              id: call.id,
              data: call.data,
              ...(call.eof !== undefined ? { eof: call.eof } : {}),
            });
          case 'kill': {
            const outcome = await shells.killBashSession(call.id);
            if (outcome.status === 'not-found') return { id: call.id, status: 'already-exited' };
            return { id: call.id, status: outcome.status, ...(outcome.signal !== undefined ? { signal: outcome.signal } : {}) };
          }
          case 'tree':
            return localTree({ ...live, source: 'registry' });
        }
      } catch (error) {
        if (ProcessRegistryError.isInstance(error) && error.code === 'PROCESS_NOT_FOUND') throw notFound(`Process ${call.id}`);
        throw error;
      }
    },
    remoteRunning(scopeKey) {
      if (!cluster) return [];
      return store.processes
        .list({ status: 'running', scopeOrSessionKey: scopeKey })
        .filter((row) => row.scopeKey === scopeKey && remoteOwner(row) !== undefined);
    },
    journalLog(scopeKey, id, paging) {
      const row = store.processes.get(id);
      if (!row || row.scopeKey !== scopeKey) return undefined;
      return { id, status: row.status, exitCode: row.exitCode, output: pageLines(row.output, paging), source: 'journal' };
    },
  };
}
