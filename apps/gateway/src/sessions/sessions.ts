import { getSubagentDepth } from '@pincer/session-key';
import { findAgent, type GatewayConfig } from '../config.js';
import type { GatewayClock, IdSource } from '../clock.js';
import { GatewayError, notFound } from '../errors.js';
import type { SystemEvents } from '../events/system-events.js';
import type { AccessScope } from '../credentials/access-scope.js';
import { canSeeSession } from '../credentials/authorize.js';
import type { Identity } from '../credentials/identity.js';
import { agentOfKey } from '../credentials/scope.js';
import type { GatewayStore, SessionPosition, SessionRecord, TranscriptEntry } from '../store/gateway-store.js';

/** Sessions a list returns without `limit` (the store's default). */
const DEFAULT_SESSION_LIST_LIMIT = 200;

/** Optional facts recorded when a session is first created. */
export interface SessionOrigin {
  kind?: string;
  spawnedBy?: string;
  depth?: number;
  channel?: string;
  peerKind?: string;
  peerId?: string;
  label?: string;
}

/** A session as the HTTP API shows it. */
export interface SessionView {
  key: string;
  agentId: string;
  sessionId: string;
  kind: string;
  label: string | null;
  spawnedBy: string | null;
  spawnDepth: number;
  channel: string | null;
  createdAt: number;
  updatedAt: number;
  lastRunId: string | null;
  queuedEvents: number;
}

/** Who looks at sessions from inside a run (the `sessions_*` tools). */
export interface SessionViewer {
  agentId: string;
  sessionKey: string;
  /** The credential that started the run: its scope narrows what the run's tools see. */
  identity?: Identity | undefined;
}

const DEFAULT_SESSION_PAGE = 200;
const MAX_SESSION_PAGE = 1_000;

/** Opaque cursor of the session list (base64url of `[updatedAt, key]`). */
export function encodeSessionCursor(position: SessionPosition): string {
  return Buffer.from(JSON.stringify([position.updatedAt, position.key])).toString('base64url');
}

/** Decode a cursor; a malformed one is a 400 on `cursor`. */
export function decodeSessionCursor(cursor: string): SessionPosition {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === 'number' &&
      Number.isFinite(value[0]) &&
      typeof value[1] === 'string'
    ) {
      return { updatedAt: value[0], key: value[1] };
    }
  } catch {
    // fall through to the 400
  }
  throw new GatewayError('invalid_request', 'cursor is not a nextCursor from GET /v1/sessions', { field: 'cursor' });
}

/** Sessions: creation, lookups under a caller's scope, visibility, reset and delete. Isolation rules live here. */
export interface SessionService {
  /** The session row, created (and announced to plugins) on first use. */
  ensure(sessionKey: string, agentId: string, origin?: SessionOrigin): SessionRecord;
  get(sessionKey: string): SessionRecord | undefined;
  /**
   * An operator lookup by a path key (trimmed; lower-cased as a fallback). With `scope` (the
   * caller's own session), any other session answers exactly like a missing one.
   */
  require(rawKey: string, scope: AccessScope | undefined): SessionRecord;
  /** Newest first; with `scope`, only the sessions inside it. */
  list(filter: { agentId?: string | undefined; limit?: number | undefined; scope?: AccessScope | undefined }): SessionRecord[];
  /**
   * Issue 14 item 24: one page of the list and the total. `cursor` (from a previous page's
   * `nextCursor`) continues after it; `nextCursor` is absent on the last page.
   */
  page(filter: {
    agentId?: string | undefined;
    limit?: number | undefined;
    scope?: AccessScope | undefined;
    cursor?: string | undefined;
  }): {
    sessions: SessionRecord[];
    total: number;
    nextCursor: string | undefined;
  };
  view(session: SessionRecord): SessionView;
  /** `tree` visibility (self + spawned descendants) or `agent` (the agent's sessions). */
  canSee(viewer: SessionViewer, sessionKey: string): boolean;
  /** The transcript of the session's current session id. */
  transcript(session: SessionRecord, options?: { limit?: number | undefined; afterSeq?: number | undefined }): TranscriptEntry[];
  /** Record the chat channel of an inbound session (first message only). */
  recordChannel(sessionKey: string, channel: { channel: string; peerKind: string; peerId: string }): void;
  /** New session id; queued events dropped, running shells killed, cron jobs removed. */
  reset(session: SessionRecord): Promise<{ sessionKey: string; sessionId: string; previousSessionId: string }>;
  /** Delete the session, its transcript and queued events, kill its running shells, remove its cron jobs; 409 while a turn runs. */
  delete(session: SessionRecord): Promise<{ deleted: true; sessionKey: string }>;
}

/** Options of {@link createSessionService}. */
export interface SessionServiceOptions {
  config: GatewayConfig;
  store: GatewayStore;
  clock: GatewayClock;
  newId: IdSource;
  systemEvents: SystemEvents;
  /**
   * Issue 14 item 4: end what belongs to a session being reset or deleted (kill its running
   * shells, remove its cron jobs). Queued events are dropped here, before and after.
   */
  endSessionResources?: ((sessionKey: string) => Promise<void>) | undefined;
  /** True while the session has a queued or running turn. */
  isBusy(sessionKey: string): boolean;
  /** Told about every new session (the plugin host's `session_start`). */
  onSessionStart(session: SessionRecord): void;
}

/** Ancestors followed for `tree` visibility. */
const MAX_SPAWN_ANCESTORS = 16;

/** Build the session service. */
export function createSessionService(options: SessionServiceOptions): SessionService {
  const { config, store, clock, systemEvents } = options;
  const service: SessionService = {
    ensure(sessionKey, agentId, origin) {
      const existing = store.sessions.get(sessionKey);
      if (existing) return existing;
      const created = store.sessions.upsert({
        key: sessionKey,
        agentId,
        sessionId: options.newId(),
        kind: origin?.kind ?? 'direct',
        label: origin?.label ?? null,
        spawnedBy: origin?.spawnedBy ?? null,
        spawnDepth: origin?.depth ?? getSubagentDepth(sessionKey),
        channel: origin?.channel ?? null,
        peerKind: origin?.peerKind ?? null,
        peerId: origin?.peerId ?? null,
        now: clock.now(),
      });
      options.onSessionStart(created);
      return created;
    },
    get: (sessionKey) => store.sessions.get(sessionKey),
    require(rawKey, scope) {
      const key = rawKey.trim(); // Fastify already percent-decoded the path parameter
      const session = store.sessions.get(key) ?? store.sessions.get(key.toLowerCase());
      if (!session || (scope !== undefined && !scope.admits(session.key))) throw notFound(`Session ${key}`);
      return session;
    },
    list({ agentId, limit, scope }) {
      const agent = agentId?.toLowerCase();
      const filter = scope?.filter ?? { kind: 'all' as const };
      switch (filter.kind) {
        case 'all':
          return store.sessions.list({ agentId: agent, limit });
        case 'none':
          return [];
        case 'key': {
          const own = store.sessions.get(filter.sessionKey);
          return own && (!agent || own.agentId === agent) ? [own] : [];
        }
        case 'agent':
          return agent !== undefined && agent !== filter.agentId ? [] : store.sessions.list({ agentId: filter.agentId, limit });
        case 'prefix': {
          const owner = agentOfKey(filter.prefix);
          if (owner === undefined || (agent !== undefined && agent !== owner)) return [];
          // Filtered in the store (the prefix itself and `<prefix>:…`); `matches` stays the last word.
          return store.sessions
            .list({ agentId: owner, keyPrefix: filter.prefix, limit: limit ?? DEFAULT_SESSION_LIST_LIMIT })
            .filter((session) => scope!.matches(session.key));
        }
      }
    },
    page({ agentId, limit, scope, cursor }) {
      const agent = agentId?.toLowerCase();
      const filter = scope?.filter ?? { kind: 'all' as const };
      if (filter.kind === 'key' || filter.kind === 'none') {
        // One session or nothing: a single page.
        const sessions = cursor === undefined ? service.list({ agentId, limit, scope }) : [];
        return { sessions, total: sessions.length, nextCursor: undefined };
      }
      const empty = { sessions: [], total: 0, nextCursor: undefined };
      if (filter.kind === 'agent' && agent !== undefined && agent !== filter.agentId) return empty;
      let listAgent = filter.kind === 'agent' ? filter.agentId : agent;
      let keyPrefix: string | undefined;
      if (filter.kind === 'prefix') {
        // Paged like the others, filtered in the store: a prefix token with any number of sessions sees them all.
        const owner = agentOfKey(filter.prefix);
        if (owner === undefined || (agent !== undefined && agent !== owner)) return empty;
        listAgent = owner;
        keyPrefix = filter.prefix;
      }
      const pageSize = Math.min(Math.max(limit ?? DEFAULT_SESSION_PAGE, 1), MAX_SESSION_PAGE);
      const after = cursor !== undefined ? decodeSessionCursor(cursor) : undefined;
      const rows = store.sessions.list({ agentId: listAgent, keyPrefix, limit: pageSize + 1, after });
      const sessions = rows.slice(0, pageSize);
      const last = sessions[sessions.length - 1];
      return {
        sessions,
        total: store.sessions.count({ agentId: listAgent, keyPrefix }),
        nextCursor: rows.length > pageSize && last ? encodeSessionCursor({ updatedAt: last.updatedAt, key: last.key }) : undefined,
      };
    },
    view: (session) => ({
      key: session.key,
      agentId: session.agentId,
      sessionId: session.sessionId,
      kind: session.kind,
      label: session.label,
      spawnedBy: session.spawnedBy,
      spawnDepth: session.spawnDepth,
      channel: session.channel,
      createdAt: session.createdAt,
      updatedAt: session.updatedAt,
      lastRunId: session.lastRunId,
      queuedEvents: systemEvents.queue.has(session.key) ? systemEvents.peek(session.key).length : 0,
    }),
    canSee(viewer, sessionKey) {
      const target = store.sessions.get(sessionKey);
      if (!target) return false;
      if (sessionKey === viewer.sessionKey) return true;
      if (viewer.identity !== undefined && !canSeeSession(viewer.identity, sessionKey)) return false;
      if (findAgent(config, viewer.agentId)?.tools?.sessionsVisibility === 'agent') return target.agentId === viewer.agentId;
      let ancestor: string | null = target.spawnedBy;
      for (let hops = 0; ancestor !== null && hops < MAX_SPAWN_ANCESTORS; hops++) {
        if (ancestor === viewer.sessionKey) return true;
        ancestor = store.sessions.get(ancestor)?.spawnedBy ?? null;
      }
      return false;
    },
    transcript: (session, page) =>
      store.transcripts.list(session.key, { sessionId: session.sessionId, limit: page?.limit, afterSeq: page?.afterSeq }),
    recordChannel(sessionKey, channel) {
      const session = store.sessions.get(sessionKey);
      if (session && session.channel === null) {
        store.sessions.upsert({
          ...session,
          channel: channel.channel,
          peerKind: channel.peerKind,
          peerId: channel.peerId,
          now: clock.now(),
        });
      }
    },
    async reset(session) {
      systemEvents.clear(session.key);
      await options.endSessionResources?.(session.key);
      systemEvents.clear(session.key); // exit notices of the shells just killed
      const sessionId = options.newId();
      store.sessions.reset(session.key, sessionId, clock.now());
      return { sessionKey: session.key, sessionId, previousSessionId: session.sessionId };
    },
    async delete(session) {
      if (options.isBusy(session.key))
        throw new GatewayError('conflict', `Session ${session.key} has a turn in progress; delete it once the run ends.`);
      systemEvents.clear(session.key);
      await options.endSessionResources?.(session.key);
      systemEvents.clear(session.key); // exit notices of the shells just killed
      store.sessions.delete(session.key);
      return { deleted: true, sessionKey: session.key };
    },
  };
  return service;
}
