import type { Database } from 'better-sqlite3';
import { JOURNAL_MAX_OUTPUT_CHARS, PROCESS_LIST_TAIL_CHARS, type ProcessJournalTable, type ProcessRecord } from '../gateway-store.js';
import { jsonColumn, nullableNumber, nullableString, type Row } from './rows.js';

/**
 * Output is append-only: each batch is one row of `process_output` (oldest rows trimmed so a
 * process keeps at most {@link JOURNAL_MAX_OUTPUT_CHARS}), and `processes.output` holds only the
 * last {@link PROCESS_LIST_TAIL_CHARS} chars (what a list shows), so an append writes the batch
 * and a short tail, never the whole retained output again. Chars are SQLite's (`length`, `substr`).
 */
const COLUMNS = `id, pid, scope_key, session_key, command, cwd, started_at, ended_at, status, exit_code, signal,
  output, truncated, record, gateway_pid`;

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

/** The `processes` table (the process journal) and its `process_output` chunks. */
export function createSqliteProcessJournalTable(db: Database): ProcessJournalTable {
  const startStatement = db.prepare(
    // Issue 14 item 6: never `OR REPLACE` — an id already in the journal belongs to another
    // process (possibly another session's, or a previous gateway's), and its row stays intact.
    `INSERT INTO processes (id, pid, scope_key, session_key, command, cwd, started_at, status, record, gateway_pid)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertChunk = db.prepare('INSERT INTO process_output (process_id, text) VALUES (@id, substr(@chunk, -@max))');
  // The list tail and the retained count move with the batch; a batch longer than the cap keeps its end.
  const advanceStatement = db.prepare(
    `UPDATE processes SET output = substr(output || substr(@chunk, -@tail), -@tail),
       output_chars = output_chars + min(length(@chunk), @max),
       truncated = CASE WHEN length(@chunk) > @max THEN 1 ELSE truncated END
     WHERE id = @id RETURNING output_chars AS retained`,
  );
  const oldestChunk = db.prepare('SELECT seq, length(text) AS chars FROM process_output WHERE process_id = ? ORDER BY seq LIMIT 1');
  const deleteChunk = db.prepare('DELETE FROM process_output WHERE seq = ?');
  const dropChunkHead = db.prepare('UPDATE process_output SET text = substr(text, @drop + 1) WHERE seq = @seq');
  const capStatement = db.prepare('UPDATE processes SET output_chars = @max, truncated = 1 WHERE id = @id');
  const retainedStatement = db.prepare('SELECT output_chars FROM processes WHERE id = ?').pluck();
  const exitStatement = db.prepare(
    'UPDATE processes SET status = ?, exit_code = ?, signal = ?, ended_at = ?, truncated = MAX(truncated, ?) WHERE id = ?',
  );
  const getStatement = db.prepare(
    `SELECT ${COLUMNS}, (SELECT group_concat(text, '' ORDER BY seq) FROM process_output WHERE process_id = processes.id) AS full_output
     FROM processes WHERE id = ?`,
  );
  const hasStatement = db.prepare('SELECT 1 FROM processes WHERE id = ?').pluck();
  const order = 'ORDER BY started_at';
  const inScope = '(session_key = @key OR scope_key = @key)';
  const listStatements = {
    all: db.prepare(`SELECT ${COLUMNS} FROM processes ${order}`),
    running: db.prepare(`SELECT ${COLUMNS} FROM processes WHERE status = 'running' ${order}`),
    finished: db.prepare(`SELECT ${COLUMNS} FROM processes WHERE status != 'running' ${order}`),
  };
  // Two indexed lookups (by session key, by scope key), the status filtered in the same query
  // (`+status`: never through the status index, which would walk every running process).
  const scopedStatements = {
    all: db.prepare(`SELECT ${COLUMNS} FROM processes WHERE ${inScope} ${order}`),
    running: db.prepare(`SELECT ${COLUMNS} FROM processes WHERE ${inScope} AND +status = 'running' ${order}`),
    finished: db.prepare(`SELECT ${COLUMNS} FROM processes WHERE ${inScope} AND +status != 'running' ${order}`),
  };
  // Chunks go with their process (ON DELETE CASCADE).
  const pruneStatement = db.prepare(
    `DELETE FROM processes WHERE status != 'running' AND id NOT IN (SELECT id FROM processes WHERE status != 'running' ORDER BY COALESCE(ended_at, started_at) DESC LIMIT ?)`,
  );

  /** Drop the oldest `excess` retained chars of a process: whole chunks, then the head of one. */
  const trimOldest = (id: string, excess: number) => {
    let left = excess;
    // Each pass removes one chunk or ends; a process has finitely many chunks.
    while (left > 0) {
      const oldest = oldestChunk.get(id) as { seq: number; chars: number } | undefined;
      if (!oldest) break;
      if (oldest.chars <= left) {
        deleteChunk.run(oldest.seq);
        left -= oldest.chars;
      } else {
        dropChunkHead.run({ drop: left, seq: oldest.seq });
        left = 0;
      }
    }
    capStatement.run({ max: JOURNAL_MAX_OUTPUT_CHARS, id });
  };
  const append = db.transaction((id: string, chunk: string) => {
    if (chunk === '') return;
    const advanced = advanceStatement.get({ id, chunk, max: JOURNAL_MAX_OUTPUT_CHARS, tail: PROCESS_LIST_TAIL_CHARS }) as
      | { retained: number }
      | undefined;
    if (!advanced) return; // not journaled: nothing to append to
    insertChunk.run({ id, chunk, max: JOURNAL_MAX_OUTPUT_CHARS });
    if (advanced.retained > JOURNAL_MAX_OUTPUT_CHARS) trimOldest(id, advanced.retained - JOURNAL_MAX_OUTPUT_CHARS);
  });
  const exit = db.transaction((id: string, patch: Parameters<ProcessJournalTable['exit']>[1]) => {
    exitStatement.run(patch.status, patch.exitCode, patch.signal, patch.endedAt, patch.truncated ? 1 : 0, id);
    // Output batches may be lost if the registry did not journal them; keep at least the tail.
    if (patch.tail !== undefined && patch.tail !== '' && retainedStatement.get(id) === 0) append(id, patch.tail);
  });
  return {
    has: (id) => hasStatement.get(id) !== undefined,
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
    appendOutput: (id, chunk) => append(id, chunk),
    exit: (id, patch) => exit(id, patch),
    get(id) {
      const row = getStatement.get(id) as Row | undefined;
      return row ? toProcess({ ...row, output: row.full_output }) : undefined;
    },
    list(filter) {
      const status = filter?.status ?? 'all';
      const rows = (
        filter?.scopeOrSessionKey !== undefined
          ? scopedStatements[status].all({ key: filter.scopeOrSessionKey })
          : listStatements[status].all()
      ) as Row[];
      return rows.map(toProcess);
    },
    prune: (keep) => pruneStatement.run(keep).changes,
  };
}
