import { GatewayError } from '../../errors.js';
import {
  JOURNAL_MAX_OUTPUT_CHARS,
  PROCESS_LIST_TAIL_CHARS,
  PROCESS_STARTING_STATUS,
  type ProcessJournalTable,
  type ProcessRecord,
} from '../gateway-store.js';
import { jsonColumn, nullableNumber, nullableString, type Row } from '../sqlite/rows.js';
import { byteaText, textBytes, UNIQUE_VIOLATION } from './rows.js';
import { PostgresQueryError, type SyncPostgresClient } from './sync-client.js';

/**
 * Output is append-only, as in the SQLite store: each batch is one row of `process_output` (the
 * oldest trimmed so a process keeps at most {@link JOURNAL_MAX_OUTPUT_CHARS}) and
 * `processes.output` holds only the last {@link PROCESS_LIST_TAIL_CHARS}. Chars are UTF-16 units
 * (JavaScript's `length`), counted here once per chunk, so trimming is decided in JavaScript: an
 * append reads the row's state (and, only when over the cap, the chunks to trim) in one statement
 * and writes in one more, guarded by `output_version` (compare-and-swap: a concurrent append from
 * another connection makes it read again, never lose or double a batch).
 */
const COLUMNS = `id, pid, scope_key, session_key, command, cwd, started_at, ended_at, status, exit_code, signal,
  output, truncated, record, gateway_pid, owner_node`;

/** Attempts of one append's compare-and-swap before it gives up (each lost race is another connection's append). */
const MAX_APPEND_ATTEMPTS = 8;

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
    command: byteaText(row.command),
    cwd: byteaText(row.cwd),
    startedAt: Number(row.started_at),
    endedAt: nullableNumber(row.ended_at),
    status: String(row.status),
    exitCode: nullableNumber(row.exit_code),
    signal: nullableString(row.signal),
    output: byteaText(row.output),
    truncated: Number(row.truncated) === 1,
    record: jsonColumn(row.record),
    gatewayPid: nullableNumber(row.gateway_pid),
    ownerNode: nullableString(row.owner_node),
  };
}

/** What an append reads: the row's tail, retained count and version, and the chunks a trim would touch (oldest first). */
interface AppendState {
  tail: Uint8Array;
  retained: number;
  truncated: number;
  version: number;
  doomed: Array<{ seq: number; chars: number; before: number }> | null;
}

/** The `processes` table (the process journal) and its `process_output` chunks. */
export function createPostgresProcessJournalTable(client: SyncPostgresClient): ProcessJournalTable {
  const readState = (id: string, incoming: number): AppendState | undefined =>
    client.query<AppendState>(
      // `before` is the retained chars older than the chunk: a chunk is trimmed while that is short of the excess.
      `SELECT output AS tail, output_chars AS retained, truncated, output_version AS version,
         CASE WHEN output_chars + $2 > $3 THEN (
           SELECT json_agg(json_build_object('seq', seq, 'chars', chars, 'before', before) ORDER BY seq)
           FROM (SELECT seq, chars, SUM(chars) OVER (ORDER BY seq) - chars AS before
                 FROM process_output WHERE process_id = $1) AS chunks
           WHERE before < processes.output_chars + $2 - $3
         ) END AS doomed
       FROM processes WHERE id = $1`,
      [id, incoming, JOURNAL_MAX_OUTPUT_CHARS],
    ).rows[0];

  /** One attempt; false when another connection appended between the read and the write. */
  const tryAppend = (id: string, text: string, state: AppendState, isCut: boolean): boolean => {
    const total = state.retained + text.length;
    const excess = total - JOURNAL_MAX_OUTPUT_CHARS;
    const dropSeqs: number[] = [];
    let cut: { seq: number; keepChars: number } | undefined;
    if (excess > 0) {
      for (const chunk of state.doomed ?? []) {
        if (chunk.before + chunk.chars <= excess) dropSeqs.push(chunk.seq);
        else cut = { seq: chunk.seq, keepChars: chunk.before + chunk.chars - excess };
      }
    }
    let cutText: string | null = null;
    if (cut) {
      const row = client.query<{ text: Uint8Array }>('SELECT text FROM process_output WHERE seq = $1', [cut.seq]).rows[0];
      cutText = keepEnd(byteaText(row?.text), cut.keepChars);
    }
    const tail = keepEnd(byteaText(state.tail) + keepEnd(text, PROCESS_LIST_TAIL_CHARS), PROCESS_LIST_TAIL_CHARS);
    const written = client.query(
      `WITH advanced AS (
         UPDATE processes SET output = $3, output_chars = $4, truncated = $5, output_version = output_version + 1
         WHERE id = $1 AND output_version = $2 RETURNING id
       ), dropped AS (
         DELETE FROM process_output WHERE process_id IN (SELECT id FROM advanced) AND seq = ANY($8::bigint[])
       ), cut AS (
         UPDATE process_output SET chars = $10, text = $11 WHERE seq = $9 AND process_id IN (SELECT id FROM advanced)
       )
       INSERT INTO process_output (process_id, chars, text) SELECT id, $6, $7 FROM advanced`,
      [
        id,
        state.version,
        textBytes(tail),
        Math.min(total, JOURNAL_MAX_OUTPUT_CHARS),
        state.truncated === 1 || total > JOURNAL_MAX_OUTPUT_CHARS || isCut ? 1 : 0,
        text.length,
        textBytes(text),
        dropSeqs,
        cut?.seq ?? null,
        cutText?.length ?? null,
        cutText === null ? null : textBytes(cutText),
      ],
    );
    return written.rowCount === 1;
  };

  const append = (id: string, chunk: string, droppedChars: number): void => {
    if (chunk === '') return;
    const text = keepEnd(chunk, JOURNAL_MAX_OUTPUT_CHARS);
    // Output the caller dropped, or a chunk over the cap, is truncation too.
    const isCut = droppedChars > 0 || text.length < chunk.length;
    for (let attempt = 0; attempt < MAX_APPEND_ATTEMPTS; attempt++) {
      const state = readState(id, text.length);
      if (!state) return; // not journaled: nothing to append to
      if (tryAppend(id, text, state, isCut)) return;
    }
    throw new GatewayError(
      'conflict',
      `output of process ${id} kept changing under ${MAX_APPEND_ATTEMPTS} appends; the batch was not journaled`,
    );
  };

  const order = 'ORDER BY started_at, seq';
  const statusFilters = { all: '', running: "status = 'running'", finished: "status != 'running'" } as const;

  return {
    has: (id) => client.query('SELECT 1 FROM processes WHERE id = $1', [id]).rowCount > 0,
    start(process) {
      // Issue 14 item 6: never replace — an id already in the journal belongs to another process.
      // Refused without failing the statement, so an open transaction stays usable (as in SQLite).
      const inserted = client.query(
        `INSERT INTO processes (id, pid, scope_key, session_key, command, cwd, started_at, status, record, gateway_pid)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING`,
        [
          process.id,
          process.pid,
          process.scopeKey,
          process.sessionKey,
          textBytes(process.command),
          textBytes(process.cwd),
          process.startedAt,
          process.status,
          process.record === undefined ? null : JSON.stringify(process.record),
          process.gatewayPid,
        ],
      ).rowCount;
      if (inserted === 0) throw new PostgresQueryError(`process ${process.id} is already journaled`, UNIQUE_VIOLATION);
    },
    started: (id, start) =>
      client.query(`UPDATE processes SET pid = $1, status = $2, record = $3 WHERE id = $4 AND status = '${PROCESS_STARTING_STATUS}'`, [
        start.pid,
        start.status,
        start.record === undefined ? null : JSON.stringify(start.record),
        id,
      ]).rowCount === 1,
    appendOutput: (id, chunk, options) => append(id, chunk, options?.droppedChars ?? 0),
    exit(id, patch) {
      // The exit, and (output batches may be lost if the registry did not journal them) the tail
      // as the only chunk when nothing was journaled: one statement.
      const tail = patch.tail === undefined || patch.tail === '' ? null : keepEnd(patch.tail, JOURNAL_MAX_OUTPUT_CHARS);
      client.query(
        `WITH prior AS (SELECT id, output_chars FROM processes WHERE id = $6 FOR UPDATE),
         exited AS (
           UPDATE processes SET status = $1, exit_code = $2, signal = $3, ended_at = $4, truncated = GREATEST(processes.truncated, $5),
             output = CASE WHEN prior.output_chars = 0 AND $7::int IS NOT NULL THEN $8 ELSE processes.output END,
             output_chars = CASE WHEN prior.output_chars = 0 AND $7::int IS NOT NULL THEN $7 ELSE processes.output_chars END,
             output_version = processes.output_version + 1
           FROM prior WHERE processes.id = prior.id
           RETURNING processes.id, prior.output_chars AS before_chars
         )
         INSERT INTO process_output (process_id, chars, text) SELECT id, $7, $9 FROM exited WHERE before_chars = 0 AND $7::int IS NOT NULL`,
        [
          patch.status,
          patch.exitCode,
          patch.signal,
          patch.endedAt,
          patch.truncated ? 1 : 0,
          id,
          tail?.length ?? null,
          tail === null ? null : textBytes(keepEnd(tail, PROCESS_LIST_TAIL_CHARS)),
          tail === null ? null : textBytes(tail),
        ],
      );
    },
    get(id) {
      const row = client.query<Row>(
        `SELECT ${COLUMNS}, (SELECT string_agg(text, ''::bytea ORDER BY seq) FROM process_output WHERE process_id = processes.id) AS full_output
         FROM processes WHERE id = $1`,
        [id],
      ).rows[0];
      return row ? toProcess({ ...row, output: row.full_output }) : undefined;
    },
    list(filter) {
      const status = statusFilters[filter?.status ?? 'all'];
      const conditions: string[] = [];
      const params: unknown[] = [];
      if (filter?.scopeOrSessionKey !== undefined) {
        params.push(filter.scopeOrSessionKey);
        conditions.push('(session_key = $1 OR scope_key = $1)');
      }
      if (status !== '') conditions.push(status);
      const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
      return client.query<Row>(`SELECT ${COLUMNS} FROM processes ${where} ${order}`, params).rows.map(toProcess);
    },
    // Chunks go with their process (ON DELETE CASCADE).
    prune: (keep) =>
      client.query(
        `DELETE FROM processes WHERE status NOT IN ('running', '${PROCESS_STARTING_STATUS}') AND id NOT IN (
           SELECT id FROM processes WHERE status NOT IN ('running', '${PROCESS_STARTING_STATUS}')
           ORDER BY COALESCE(ended_at, started_at) DESC, seq DESC LIMIT $1)`,
        [keep],
      ).rowCount,
  };
}
