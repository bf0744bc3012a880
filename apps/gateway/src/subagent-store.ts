import type { SubagentRunRecord, SubagentRunStore, RunFinish, AnnouncementRecord } from '@pincer/subagent-spawn';
import { SubagentSpawnError } from '@pincer/subagent-spawn';
import type { GatewayStore } from './store/store.js';

type Row = { record: string };

/** The spawner's run store over the gateway's SQLite `subagent_runs` table. */
export function createSqliteRunStore(store: GatewayStore): SubagentRunStore {
  const db = store.db;
  const parse = (r: Row | undefined): SubagentRunRecord | undefined => (r ? (JSON.parse(r.record) as SubagentRunRecord) : undefined);
  const put = (rec: SubagentRunRecord) =>
    db
      .prepare(
        `INSERT INTO subagent_runs (run_id, child_session_key, requester_session_key, status, record, updated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(run_id) DO UPDATE SET status = excluded.status, record = excluded.record, updated_at = excluded.updated_at`,
      )
      .run(rec.runId, rec.childSessionKey, rec.requesterSessionKey, rec.status, JSON.stringify(rec), rec.createdAt);
  return {
    create(record) {
      db.transaction(() => {
        if (db.prepare('SELECT 1 FROM subagent_runs WHERE run_id = ?').get(record.runId)) {
          throw new SubagentSpawnError('RUN_EXISTS', `Run ${record.runId} already exists.`);
        }
        if (db.prepare("SELECT 1 FROM subagent_runs WHERE child_session_key = ? AND status = 'running'").get(record.childSessionKey)) {
          throw new SubagentSpawnError('SESSION_BUSY', `Session ${record.childSessionKey} already has a running run.`);
        }
        put(record);
      })();
    },
    get: (runId) => parse(db.prepare('SELECT record FROM subagent_runs WHERE run_id = ?').get(runId) as Row | undefined),
    findLatestByChildSessionKey: (key) =>
      parse(
        db.prepare('SELECT record FROM subagent_runs WHERE child_session_key = ? ORDER BY updated_at DESC, rowid DESC LIMIT 1').get(key) as
          | Row
          | undefined,
      ),
    countActiveByRequester: (key) =>
      Number(
        (db.prepare("SELECT COUNT(*) AS n FROM subagent_runs WHERE requester_session_key = ? AND status = 'running'").get(key) as { n: number })
          .n,
      ),
    countActive: () => Number((db.prepare("SELECT COUNT(*) AS n FROM subagent_runs WHERE status = 'running'").get() as { n: number }).n),
    markFinished(runId, finish: RunFinish) {
      return db.transaction(() => {
        const cur = parse(db.prepare('SELECT record FROM subagent_runs WHERE run_id = ?').get(runId) as Row | undefined);
        if (!cur || cur.status !== 'running') return false;
        const next: SubagentRunRecord = {
          ...cur,
          status: finish.status,
          endedAt: finish.endedAt,
          announcement: finish.announcement,
          ...(finish.result !== undefined ? { result: finish.result } : {}),
          ...(finish.error !== undefined ? { error: finish.error } : {}),
        };
        put(next);
        return true;
      })();
    },
    updateAnnouncement(runId, announcement: AnnouncementRecord) {
      db.transaction(() => {
        const cur = parse(db.prepare('SELECT record FROM subagent_runs WHERE run_id = ?').get(runId) as Row | undefined);
        if (cur) put({ ...cur, announcement });
      })();
    },
    listPendingAnnouncements: () =>
      (db.prepare('SELECT record FROM subagent_runs ORDER BY updated_at').all() as Row[])
        .map((r) => JSON.parse(r.record) as SubagentRunRecord)
        .filter((r) => r.announcement.state === 'pending'),
    listRunning: () =>
      (db.prepare("SELECT record FROM subagent_runs WHERE status = 'running' ORDER BY updated_at").all() as Row[]).map(
        (r) => JSON.parse(r.record) as SubagentRunRecord,
      ),
    list(filter) {
      let rows = (db.prepare('SELECT record FROM subagent_runs ORDER BY updated_at, rowid').all() as Row[]).map(
        (r) => JSON.parse(r.record) as SubagentRunRecord,
      );
      if (filter?.requesterSessionKey) rows = rows.filter((r) => r.requesterSessionKey === filter.requesterSessionKey);
      if (filter?.childSessionKey) rows = rows.filter((r) => r.childSessionKey === filter.childSessionKey);
      return rows;
    },
  };
}
