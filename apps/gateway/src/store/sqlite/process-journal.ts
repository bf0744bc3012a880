import type { Database } from 'better-sqlite3';
import {
  JOURNAL_MAX_OUTPUT_CHARS,
  PROCESS_LIST_TAIL_CHARS,
  PROCESS_STARTING_STATUS,
  type ProcessJournalTable,
  type ProcessRecord,
} from '../gateway-store.js';
import { jsonColumn, nullableNumber, nullableString, type Row } from './rows.js';

/**
 * Output is append-only: each batch is one row of `process_output` (oldest rows trimmed so a
 * process keeps at most {@link JOURNAL_MAX_OUTPUT_CHARS}), and `processes.output` holds only the
 * last {@link PROCESS_LIST_TAIL_CHARS} chars (what a list shows), so an append writes the batch
 * and a short tail, never the whole retained output again. Chars are UTF-16 units (JavaScript's
 * `length`), counted once per chunk (`process_output.chars`).
 */
const COLUMNS = `id, pid, scope_key, session_key, command, cwd, started_at, ended_at, status, exit_code, signal,
  output, truncated, record, gateway_pid`;

/** What an append reads of a process row. */
interface ProcessState {
  tail: string;
  retained: number;
  truncated: number;
}

/** The last `chars` UTF-16 units of `text`, never starting inside a surrogate pair. */
function keepEnd(text: string, chars: number): string {
  if (text.length <= chars) return text;
  const start = text.length - chars;
  const code = text.charCodeAt(start);
  return text.slice(code >= 0xdc00 && code <= 0xdfff ? start + 1 : start);
}

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
  // Completes only a pre-spawn row: a process's pid and reap record are written once.
  const startedStatement = db.prepare(
    `UPDATE processes SET pid = ?, status = ?, record = ? WHERE id = ? AND status = '${PROCESS_STARTING_STATUS}'`,
  );
  const stateStatement = db.prepare('SELECT output AS tail, output_chars AS retained, truncated FROM processes WHERE id = ?');
  const insertChunk = db.prepare('INSERT INTO process_output (process_id, chars, text) VALUES (?, ?, ?)');
  const advanceStatement = db.prepare(
    'UPDATE processes SET output = @tail, output_chars = @retained, truncated = @truncated WHERE id = @id',
  );
  const oldestChunk = db.prepare('SELECT seq, chars FROM process_output WHERE process_id = ? ORDER BY seq LIMIT 1');
  const chunkText = db.prepare('SELECT text FROM process_output WHERE seq = ?').pluck();
  const deleteChunk = db.prepare('DELETE FROM process_output WHERE seq = ?');
  const replaceChunk = db.prepare('UPDATE process_output SET chars = ?, text = ? WHERE seq = ?');
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
    `DELETE FROM processes WHERE status NOT IN ('running', '${PROCESS_STARTING_STATUS}') AND id NOT IN (SELECT id FROM processes WHERE status NOT IN ('running', '${PROCESS_STARTING_STATUS}') ORDER BY COALESCE(ended_at, started_at) DESC LIMIT ?)`,
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
        const kept = keepEnd(String(chunkText.get(oldest.seq)), oldest.chars - left);
        replaceChunk.run(kept.length, kept, oldest.seq);
        left = 0;
      }
    }
  };
  const append = db.transaction((id: string, chunk: string, droppedChars: number) => {
    if (chunk === '') return;
    const state = stateStatement.get(id) as ProcessState | undefined;
    if (!state) return; // not journaled: nothing to append to
    const text = keepEnd(chunk, JOURNAL_MAX_OUTPUT_CHARS);
    const total = state.retained + text.length;
    // Trim first: the new chunk reuses the pages the old ones free.
    if (total > JOURNAL_MAX_OUTPUT_CHARS) trimOldest(id, total - JOURNAL_MAX_OUTPUT_CHARS);
    insertChunk.run(id, text.length, text);
    advanceStatement.run({
      id,
      tail: keepEnd(state.tail + keepEnd(text, PROCESS_LIST_TAIL_CHARS), PROCESS_LIST_TAIL_CHARS),
      retained: Math.min(total, JOURNAL_MAX_OUTPUT_CHARS),
      truncated: state.truncated === 1 || total > JOURNAL_MAX_OUTPUT_CHARS || droppedChars > 0 || text.length < chunk.length ? 1 : 0,
    });
  });
  const exit = db.transaction((id: string, patch: Parameters<ProcessJournalTable['exit']>[1]) => {
    exitStatement.run(patch.status, patch.exitCode, patch.signal, patch.endedAt, patch.truncated ? 1 : 0, id);
    // Output batches may be lost if the registry did not journal them; keep at least the tail.
    if (patch.tail !== undefined && patch.tail !== '' && (stateStatement.get(id) as ProcessState | undefined)?.retained === 0)
      append(id, patch.tail, 0);
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
    started: (id, start) =>
      startedStatement.run(start.pid, start.status, start.record === undefined ? null : JSON.stringify(start.record), id).changes === 1,
    appendOutput: (id, chunk, options) => append(id, chunk, options?.droppedChars ?? 0),
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
