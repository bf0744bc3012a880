import type { Database } from 'better-sqlite3';
import { SubagentSpawnError, type SubagentRunRecord, type SubagentRunStore } from '@pincer/subagent-spawn';

type RecordRow = { record: string };

/** subagent-spawn's run store over the `subagent_runs` table (records are the spawner's, stored as JSON). */
export function createSqliteSubagentRunStore(db: Database): SubagentRunStore {
  const putStatement = db.prepare(
    `INSERT INTO subagent_runs (run_id, child_session_key, requester_session_key, status, record, updated_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT(run_id) DO UPDATE SET status = excluded.status, record = excluded.record, updated_at = excluded.updated_at`,
  );
  const exists = db.prepare('SELECT 1 FROM subagent_runs WHERE run_id = ?');
  const childBusy = db.prepare("SELECT 1 FROM subagent_runs WHERE child_session_key = ? AND status = 'running'");
  const getStatement = db.prepare('SELECT record FROM subagent_runs WHERE run_id = ?');
  const latestByChild = db.prepare(
    'SELECT record FROM subagent_runs WHERE child_session_key = ? ORDER BY updated_at DESC, rowid DESC LIMIT 1',
  );
  const activeByRequester = db.prepare("SELECT COUNT(*) AS n FROM subagent_runs WHERE requester_session_key = ? AND status = 'running'");
  const active = db.prepare("SELECT COUNT(*) AS n FROM subagent_runs WHERE status = 'running'");
  const running = db.prepare("SELECT record FROM subagent_runs WHERE status = 'running' ORDER BY updated_at");
  const all = db.prepare('SELECT record FROM subagent_runs ORDER BY updated_at, rowid');

  const decode = (row: RecordRow | undefined): SubagentRunRecord | undefined =>
    row ? (JSON.parse(row.record) as SubagentRunRecord) : undefined;
  const decodeAll = (rows: unknown[]): SubagentRunRecord[] =>
    (rows as RecordRow[]).map((row) => JSON.parse(row.record) as SubagentRunRecord);
  const put = (record: SubagentRunRecord) =>
    putStatement.run(
      record.runId,
      record.childSessionKey,
      record.requesterSessionKey,
      record.status,
      JSON.stringify(record),
      record.createdAt,
    );
  const get = (runId: string) => decode(getStatement.get(runId) as RecordRow | undefined);

  const create = db.transaction((record: SubagentRunRecord) => {
    if (exists.get(record.runId)) throw new SubagentSpawnError('RUN_EXISTS', `Run ${record.runId} already exists.`);
    if (childBusy.get(record.childSessionKey)) {
      throw new SubagentSpawnError('SESSION_BUSY', `Session ${record.childSessionKey} already has a running run.`);
    }
    put(record);
  });
  const markFinished = db.transaction((runId: string, finish: Parameters<SubagentRunStore['markFinished']>[1]): boolean => {
    const current = get(runId);
    if (!current || current.status !== 'running') return false;
    put({
      ...current,
      status: finish.status,
      endedAt: finish.endedAt,
      announcement: finish.announcement,
      ...(finish.result !== undefined ? { result: finish.result } : {}),
      ...(finish.error !== undefined ? { error: finish.error } : {}),
    });
    return true;
  });
  const updateAnnouncement = db.transaction((runId: string, announcement: SubagentRunRecord['announcement']) => {
    const current = get(runId);
    if (current) put({ ...current, announcement });
  });

  return {
    create: (record) => create(record),
    get,
    findLatestByChildSessionKey: (key) => decode(latestByChild.get(key) as RecordRow | undefined),
    countActiveByRequester: (key) => Number((activeByRequester.get(key) as { n: number }).n),
    countActive: () => Number((active.get() as { n: number }).n),
    markFinished: (runId, finish) => markFinished(runId, finish),
    updateAnnouncement: (runId, announcement) => updateAnnouncement(runId, announcement),
    listPendingAnnouncements: () => decodeAll(all.all()).filter((record) => record.announcement.state === 'pending'),
    listRunning: () => decodeAll(running.all()),
    list(filter) {
      let records = decodeAll(all.all());
      if (filter?.requesterSessionKey) records = records.filter((record) => record.requesterSessionKey === filter.requesterSessionKey);
      if (filter?.childSessionKey) records = records.filter((record) => record.childSessionKey === filter.childSessionKey);
      return records;
    },
  };
}
