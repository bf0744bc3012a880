import type { Database } from 'better-sqlite3';
import {
  JOURNAL_MAX_OUTPUT_CHARS,
  PROCESS_LIST_TAIL_CHARS,
  PROCESS_STARTING_STATUS,
  type ProcessJournalTable,
  type ProcessRecord,
} from '../gateway-store.js';
import { jsonColumn, nullableNumber, nullableString, type Row } from './rows.js';

const SUMMARY_COLUMNS = `id, pid, scope_key, session_key, command, cwd, started_at, ended_at, status, exit_code, signal,
  substr(output, -${PROCESS_LIST_TAIL_CHARS}) AS output, truncated, record, gateway_pid`;

function toProcess(row: Row): ProcessRecord {
  return {
    id: String(row.id),
    pid: nullableNumber(row.pid),
    scopeKey: String(row.scope_key),
    sessionKey: nullableString(row.session_key),
    command: String(row.command),
    cwd: String(row.cwd),
    startedAt: Number(row.started_at),
    endedAt: nullableNumber(row.ended_at),
    status: String(row.status),
    exitCode: nullableNumber(row.exit_code),
    signal: nullableString(row.signal),
    output: String(row.output ?? ''),
    truncated: Number(row.truncated) === 1,
    record: jsonColumn(row.record),
    gatewayPid: nullableNumber(row.gateway_pid),
  };
}

/** The `processes` table (the process journal). */
export function createSqliteProcessJournalTable(db: Database): ProcessJournalTable {
  const startStatement = db.prepare(
    // Issue 14 item 6: never `OR REPLACE` — an id already in the journal belongs to another
    // process (possibly another session's, or a previous gateway's), and its row stays intact.
    `INSERT INTO processes (id, pid, scope_key, session_key, command, cwd, started_at, status, record, gateway_pid)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  // Completes only a pre-spawn row: a process's pid and reap record are written once.
  const startedStatement = db.prepare(
    `UPDATE processes SET pid = ?, status = ?, record = ? WHERE id = ? AND status = '${PROCESS_STARTING_STATUS}'`,
  );
  const appendStatement = db.prepare(
    `UPDATE processes SET truncated = CASE WHEN length(output) + length(@chunk) > @max THEN 1 ELSE truncated END, output = substr(output || @chunk, -@max) WHERE id = @id`,
  );
  const exitStatement = db.prepare(
    'UPDATE processes SET status = ?, exit_code = ?, signal = ?, ended_at = ?, truncated = MAX(truncated, ?) WHERE id = ?',
  );
  const fillEmptyOutput = db.prepare("UPDATE processes SET output = ? WHERE id = ? AND output = ''");
  const getStatement = db.prepare('SELECT * FROM processes WHERE id = ?');
  const scopedOrder = 'ORDER BY started_at';
  const listStatements = {
    all: db.prepare(`SELECT ${SUMMARY_COLUMNS} FROM processes ${scopedOrder}`),
    running: db.prepare(`SELECT ${SUMMARY_COLUMNS} FROM processes WHERE status = 'running' ${scopedOrder}`),
    finished: db.prepare(`SELECT ${SUMMARY_COLUMNS} FROM processes WHERE status != 'running' ${scopedOrder}`),
    // Two indexed lookups (by session key, by scope key) rather than a scan of every row.
    scoped: db.prepare(
      `SELECT ${SUMMARY_COLUMNS} FROM processes WHERE id IN (SELECT id FROM processes WHERE session_key = @key UNION SELECT id FROM processes WHERE scope_key = @key) ${scopedOrder}`,
    ),
  };
  const pruneStatement = db.prepare(
    `DELETE FROM processes WHERE status != 'running' AND id NOT IN (SELECT id FROM processes WHERE status != 'running' ORDER BY COALESCE(ended_at, started_at) DESC LIMIT ?)`,
  );
  const exit = db.transaction((id: string, patch: Parameters<ProcessJournalTable['exit']>[1]) => {
    exitStatement.run(patch.status, patch.exitCode, patch.signal, patch.endedAt, patch.truncated ? 1 : 0, id);
    // Output batches may be lost if the registry did not journal them; keep at least the tail.
    if (patch.tail !== undefined && patch.tail !== '') fillEmptyOutput.run(patch.tail, id);
  });
  return {
    has: (id) => getStatement.get(id) !== undefined,
    start: (process) =>
      void startStatement.run(
        process.id,
        process.pid,
        process.scopeKey,
        process.sessionKey,
        process.command,
        process.cwd,
        process.startedAt,
        process.status,
        process.record === undefined ? null : JSON.stringify(process.record),
        process.gatewayPid,
      ),
    started: (id, start) =>
      startedStatement.run(start.pid, start.status, start.record === undefined ? null : JSON.stringify(start.record), id).changes === 1,
    appendOutput: (id, chunk) => void appendStatement.run({ chunk, max: JOURNAL_MAX_OUTPUT_CHARS, id }),
    exit: (id, patch) => exit(id, patch),
    get(id) {
      const row = getStatement.get(id) as Row | undefined;
      return row ? toProcess(row) : undefined;
    },
    list(filter) {
      let rows: Row[];
      if (filter?.scopeOrSessionKey !== undefined) {
        rows = listStatements.scoped.all({ key: filter.scopeOrSessionKey }) as Row[];
        if (filter.status === 'running') rows = rows.filter((row) => row.status === 'running');
        else if (filter.status === 'finished') rows = rows.filter((row) => row.status !== 'running');
      } else {
        rows = listStatements[filter?.status ?? 'all'].all() as Row[];
      }
      return rows.map(toProcess);
    },
    prune: (keep) => pruneStatement.run(keep).changes,
  };
}
