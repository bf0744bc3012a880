import { SubagentSpawnError, type SubagentRunRecord, type SubagentRunStore } from '@pincer/subagent-spawn';
import { GatewayError } from '../../errors.js';
import { THIS_NODE } from './rows.js';
import type { SyncPostgresClient } from './sync-client.js';

type RecordRow = { record: string };

/**
 * The runs a node resumes: its own, and (cluster mode) those of nodes no longer live, which the
 * survivor that declared the node dead resumes right after (finishing is a compare-and-swap).
 */
const OURS = `(node_id IS NOT DISTINCT FROM ${THIS_NODE} OR node_id IN (SELECT id FROM nodes WHERE state <> 'live'))`;

/** Attempts of an announcement update's compare-and-swap (each lost race is another connection's write). */
const MAX_UPDATE_ATTEMPTS = 8;

/**
 * subagent-spawn's run store over the `subagent_runs` table (records are the spawner's, stored as
 * JSON text). One running run per child session is also a unique index here, so two gateways
 * creating runs for the same child at once cannot both succeed; finishing is a compare-and-swap
 * on the status, so a run finishes once however many gateways try.
 */
export function createPostgresSubagentRunStore(client: SyncPostgresClient): SubagentRunStore {
  const decodeAll = (rows: RecordRow[]): SubagentRunRecord[] => rows.map((row) => JSON.parse(row.record) as SubagentRunRecord);
  const first = (sql: string, params: unknown[]): SubagentRunRecord | undefined => decodeAll(client.query<RecordRow>(sql, params).rows)[0];
  const getRow = (runId: string) => client.query<RecordRow>('SELECT record FROM subagent_runs WHERE run_id = $1', [runId]).rows[0];
  const get = (runId: string) => first('SELECT record FROM subagent_runs WHERE run_id = $1', [runId]);
  /** Replace a stored record when it still is `previous`; false when another write came first. */
  const replace = (record: SubagentRunRecord, previous: string, onlyRunning: boolean): boolean =>
    client.query(
      `UPDATE subagent_runs SET status = $2, record = $3, updated_at = $4
       WHERE run_id = $1 AND record = $5 ${onlyRunning ? "AND status = 'running'" : ''}`,
      [record.runId, record.status, JSON.stringify(record), record.createdAt, previous],
    ).rowCount === 1;
  const count = (sql: string, params: unknown[] = []) => Number(client.query<{ total: number }>(sql, params).rows[0]?.total ?? 0);

  return {
    create(record) {
      const [outcome] = client.query<{ inserted: number; existed: boolean; busy: boolean }>(
        `WITH inserted AS (
           INSERT INTO subagent_runs (run_id, child_session_key, requester_session_key, status, record, updated_at)
           SELECT $1, $2, $3, $4, $5, $6
           WHERE NOT EXISTS (SELECT 1 FROM subagent_runs WHERE child_session_key = $2 AND status = 'running')
           ON CONFLICT DO NOTHING RETURNING 1
         )
         SELECT (SELECT COUNT(*) FROM inserted) AS inserted,
                EXISTS (SELECT 1 FROM subagent_runs WHERE run_id = $1) AS existed,
                EXISTS (SELECT 1 FROM subagent_runs WHERE child_session_key = $2 AND status = 'running') AS busy`,
        [record.runId, record.childSessionKey, record.requesterSessionKey, record.status, JSON.stringify(record), record.createdAt],
      ).rows;
      if (Number(outcome?.inserted) === 1) return;
      // Checked in the SQLite store's order; a race lost to another gateway's insert is read again.
      if (outcome?.existed || getRow(record.runId)) throw new SubagentSpawnError('RUN_EXISTS', `Run ${record.runId} already exists.`);
      throw new SubagentSpawnError('SESSION_BUSY', `Session ${record.childSessionKey} already has a running run.`);
    },
    get,
    findLatestByChildSessionKey: (key) =>
      first('SELECT record FROM subagent_runs WHERE child_session_key = $1 ORDER BY updated_at DESC, seq DESC LIMIT 1', [key]),
    countActiveByRequester: (key) =>
      count("SELECT COUNT(*) AS total FROM subagent_runs WHERE requester_session_key = $1 AND status = 'running'", [key]),
    countActive: () => count("SELECT COUNT(*) AS total FROM subagent_runs WHERE status = 'running'"),
    markFinished(runId, finish) {
      for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
        const row = getRow(runId);
        if (!row) return false;
        const current = JSON.parse(row.record) as SubagentRunRecord;
        if (current.status !== 'running') return false;
        const finished: SubagentRunRecord = {
          ...current,
          status: finish.status,
          endedAt: finish.endedAt,
          announcement: finish.announcement,
          ...(finish.result !== undefined ? { result: finish.result } : {}),
          ...(finish.error !== undefined ? { error: finish.error } : {}),
        };
        if (replace(finished, row.record, true)) return true;
      }
      throw new GatewayError('conflict', `sub-agent run ${runId} kept changing under ${MAX_UPDATE_ATTEMPTS} attempts to finish it`);
    },
    updateAnnouncement(runId, announcement) {
      for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
        const row = getRow(runId);
        if (!row) return;
        if (replace({ ...(JSON.parse(row.record) as SubagentRunRecord), announcement }, row.record, false)) return;
      }
      throw new GatewayError('conflict', `sub-agent run ${runId} kept changing under ${MAX_UPDATE_ATTEMPTS} announcement updates`);
    },
    listPendingAnnouncements: () =>
      decodeAll(client.query<RecordRow>(`SELECT record FROM subagent_runs WHERE ${OURS} ORDER BY updated_at, seq`).rows).filter(
        (record) => record.announcement.state === 'pending',
      ),
    listRunning: () =>
      decodeAll(
        client.query<RecordRow>(`SELECT record FROM subagent_runs WHERE status = 'running' AND ${OURS} ORDER BY updated_at, seq`).rows,
      ),
    list(filter) {
      const conditions: string[] = [];
      const params: unknown[] = [];
      if (filter?.requesterSessionKey) {
        params.push(filter.requesterSessionKey);
        conditions.push(`requester_session_key = $${params.length}`);
      }
      if (filter?.childSessionKey) {
        params.push(filter.childSessionKey);
        conditions.push(`child_session_key = $${params.length}`);
      }
      const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
      return decodeAll(client.query<RecordRow>(`SELECT record FROM subagent_runs ${where} ORDER BY updated_at, seq`, params).rows);
    },
  };
}
