import type { Database } from 'better-sqlite3';
import type { SessionRecord, SessionTable } from '../gateway-store.js';
import { SESSION_RECORD_FIELDS as RECORD_FIELDS, toSession } from '../session-rows.js';
import type { Row } from './rows.js';

/** Distinct pages (and counts) kept between writes; all are dropped when it is reached. */
const MAX_CACHED_READS = 64;

/**
 * Default and maximum page of {@link SessionTable.list}: the API's largest page (1 000) plus the
 * one row that tells the service another page follows (`nextCursor`).
 */
const DEFAULT_LIST_LIMIT = 200;
const MAX_LIST_LIMIT = 1001;

/** The `sessions` table (deletes cascade to `transcript` and `system_events`). */
export function createSqliteSessionTable(db: Database): SessionTable {
  const getStatement = db.prepare('SELECT * FROM sessions WHERE key = ?');
  // A page comes back as one JSON array built by SQLite (one string to convert, not a value per
  // column per row): its objects are SessionRecords as they are.
  const page = (where: string) =>
    db
      .prepare(
        `SELECT json_group_array(json_object(${RECORD_FIELDS}) ORDER BY updated_at DESC, key DESC)
         FROM (SELECT * FROM sessions ${where} ORDER BY updated_at DESC, key DESC LIMIT @limit)`,
      )
      .pluck();
  const afterClause = '(updated_at < @updatedAt OR (updated_at = @updatedAt AND key < @key))';
  // `<prefix>` itself or `<prefix>:…`: every key starting `<prefix>:` sorts in [`<prefix>:`, `<prefix>;`).
  const prefixClause = "(key = @prefix OR (key >= @prefix || ':' AND key < @prefix || ';'))";
  // One statement per combination of filters (agent, prefix, after), prepared once.
  const listStatements = new Map<string, ReturnType<typeof page>>();
  const countStatements = new Map<string, ReturnType<Database['prepare']>>();
  const conditionsOf = (hasAgent: boolean, hasPrefix: boolean, hasAfter: boolean) => {
    const conditions = [
      ...(hasAgent ? ['agent_id = @agentId'] : []),
      ...(hasPrefix ? [prefixClause] : []),
      ...(hasAfter ? [afterClause] : []),
    ];
    return conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
  };
  const listStatement = (hasAgent: boolean, hasPrefix: boolean, hasAfter: boolean) => {
    const id = `${hasAgent}${hasPrefix}${hasAfter}`;
    let statement = listStatements.get(id);
    if (!statement) {
      statement = page(conditionsOf(hasAgent, hasPrefix, hasAfter));
      listStatements.set(id, statement);
    }
    return statement;
  };
  const countStatement = (hasAgent: boolean, hasPrefix: boolean) => {
    const id = `${hasAgent}${hasPrefix}`;
    let statement = countStatements.get(id);
    if (!statement) {
      statement = db.prepare(`SELECT COUNT(*) AS total FROM sessions ${conditionsOf(hasAgent, hasPrefix, false)}`);
      countStatements.set(id, statement);
    }
    return statement;
  };
  const bySessionId = db.prepare('SELECT * FROM sessions WHERE agent_id = ? AND session_id = ? ORDER BY updated_at DESC LIMIT 1');
  const upsertStatement = db.prepare(
    `INSERT INTO sessions (key, agent_id, session_id, kind, label, spawned_by, spawn_depth, channel, peer_kind, peer_id, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT(key) DO UPDATE SET updated_at = excluded.updated_at,
       label = COALESCE(excluded.label, sessions.label),
       channel = COALESCE(excluded.channel, sessions.channel),
       peer_kind = COALESCE(excluded.peer_kind, sessions.peer_kind),
       peer_id = COALESCE(excluded.peer_id, sessions.peer_id)`,
  );
  const touchStatement = db.prepare('UPDATE sessions SET updated_at = ?, last_run_id = COALESCE(?, last_run_id) WHERE key = ?');
  const resetStatement = db.prepare('UPDATE sessions SET session_id = ?, updated_at = ? WHERE key = ?');
  const deleteSession = db.prepare('DELETE FROM sessions WHERE key = ?');
  const deleteTranscript = db.prepare('DELETE FROM transcript WHERE session_key = ?');
  const deleteEvents = db.prepare('DELETE FROM system_events WHERE session_key = ?');

  // Pages and counts read back unchanged until the table is written: kept, and handed out as
  // copies (no caller shares a record with another). Every write clears them first; nothing read
  // inside an open transaction is kept (it may still roll back).
  const pages = new Map<string, readonly SessionRecord[]>();
  const counts = new Map<string, number>();
  const written = () => {
    pages.clear();
    counts.clear();
  };
  const remember = <T>(cache: Map<string, T>, key: string, value: T): T => {
    if (db.inTransaction) return value;
    if (cache.size >= MAX_CACHED_READS) cache.clear();
    cache.set(key, value);
    return value;
  };

  const get = (key: string): SessionRecord | undefined => {
    const row = getStatement.get(key) as Row | undefined;
    return row ? toSession(row) : undefined;
  };
  const reset = db.transaction((key: string, newSessionId: string, now: number) => {
    resetStatement.run(newSessionId, now, key);
    deleteEvents.run(key);
  });
  const remove = db.transaction((key: string) => {
    deleteSession.run(key);
    deleteTranscript.run(key);
    deleteEvents.run(key);
  });

  return {
    get,
    list(filter) {
      const limit = Math.min(Math.max(filter?.limit ?? DEFAULT_LIST_LIMIT, 1), MAX_LIST_LIMIT);
      const after = filter?.after;
      const agentId = filter?.agentId || undefined;
      const prefix = filter?.keyPrefix || undefined;
      const position = after ? { updatedAt: after.updatedAt, key: after.key } : {};
      const cacheKey = JSON.stringify([agentId, prefix, limit, after?.updatedAt, after?.key]);
      const cached = pages.get(cacheKey);
      if (cached !== undefined) return cached.map((record) => ({ ...record }));
      const statement = listStatement(agentId !== undefined, prefix !== undefined, after !== undefined);
      const records = JSON.parse(
        String(statement.get({ limit, ...position, ...(agentId ? { agentId } : {}), ...(prefix ? { prefix } : {}) })),
      ) as SessionRecord[];
      remember(
        pages,
        cacheKey,
        records.map((record) => ({ ...record })),
      );
      return records;
    },
    count(filter) {
      const agentId = filter?.agentId || undefined;
      const prefix = filter?.keyPrefix || undefined;
      const cacheKey = JSON.stringify([agentId, prefix]);
      const cached = counts.get(cacheKey);
      if (cached !== undefined) return cached;
      const row = countStatement(agentId !== undefined, prefix !== undefined).get({
        ...(agentId ? { agentId } : {}),
        ...(prefix ? { prefix } : {}),
      }) as { total: number };
      return remember(counts, cacheKey, Number(row.total));
    },
    findBySessionId(agentId, sessionId) {
      const row = bySessionId.get(agentId, sessionId) as Row | undefined;
      return row ? toSession(row) : undefined;
    },
    upsert(session) {
      written();
      upsertStatement.run(
        session.key,
        session.agentId,
        session.sessionId,
        session.kind,
        session.label,
        session.spawnedBy,
        session.spawnDepth,
        session.channel,
        session.peerKind,
        session.peerId,
        session.now,
        session.now,
      );
      return get(session.key)!;
    },
    touch(key, now, lastRunId) {
      written();
      touchStatement.run(now, lastRunId ?? null, key);
    },
    reset(key, newSessionId, now) {
      written();
      reset(key, newSessionId, now);
    },
    delete(key) {
      written();
      remove(key);
    },
  };
}
