import { createRequire } from 'node:module';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { GatewayError } from '../../errors.js';

/** What one statement returned: its rows (int8 columns as numbers) and the rows it touched. */
export interface SyncQueryResult<Row = Record<string, unknown>> {
  rows: Row[];
  rowCount: number;
}

/** A PostgreSQL error as the store sees it: the server's SQLSTATE (`23505` unique violation, …). */
export class PostgresQueryError extends Error {
  readonly code: string;
  constructor(message: string, code: string) {
    super(message);
    this.name = 'PostgresQueryError';
    this.code = code;
  }
}

/**
 * One PostgreSQL connection answered synchronously. The gateway's store port is synchronous (the
 * SQLite store is better-sqlite3), so the PostgreSQL store runs `pg` in a worker thread and waits
 * for each statement with `Atomics.wait`, as better-sqlite3 waits for the disk. Statements run one
 * at a time on one connection, in call order; `BEGIN`/`COMMIT` through `query` make a transaction.
 */
export interface SyncPostgresClient {
  query<Row = Record<string, unknown>>(sql: string, params?: ReadonlyArray<unknown>): SyncQueryResult<Row>;
  /** Several statements, no parameters (migrations). */
  exec(sql: string): void;
  readonly isOpen: boolean;
  close(): void;
}

/** Options of {@link openSyncPostgresClient}. */
export interface SyncPostgresOptions {
  /** The longest a statement (or the connect) may take before the connection is given up. Default 15 s. */
  timeoutMs?: number | undefined;
  /** `search_path` of the connection (one schema; tests give each store its own). */
  schema?: string | undefined;
  /** `application_name` shown in `pg_stat_activity`. Default `pincer-gateway`. */
  applicationName?: string | undefined;
}

/** Default bound on one statement, the connect included. */
export const POSTGRES_STATEMENT_TIMEOUT_MS = 15_000;

// The worker: CommonJS, evaluated from this string so the built package needs no second file.
// It owns one pg.Client; each request is answered on the port, then the shared flag is raised.
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const pg = require(workerData.pgPath);
const flag = new Int32Array(workerData.flag);
const port = workerData.port;
pg.types.setTypeParser(20, (value) => Number(value));
const client = new pg.Client({
  connectionString: workerData.url,
  application_name: workerData.applicationName,
  statement_timeout: workerData.timeoutMs,
  connectionTimeoutMillis: workerData.timeoutMs,
  options: workerData.schema ? '-c search_path=' + workerData.schema : undefined,
});
let lost = null;
client.on('error', (error) => { lost = error; });
const ready = client.connect();
// Statements with parameters are prepared once per connection (pg names them; the server keeps
// the plan), at most 256 distinct ones: the store's statements are a fixed set.
const names = new Map();
function statementName(sql) {
  let name = names.get(sql);
  if (name === undefined && names.size < 256) {
    name = 'pincer_' + names.size;
    names.set(sql, name);
  }
  return name;
}
function reply(message) {
  port.postMessage(message);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}
port.on('message', async (request) => {
  try {
    await ready;
    if (lost) throw lost;
    if (request.kind === 'close') {
      await client.end();
      reply({ ok: true, rows: [], rowCount: 0 });
      port.close();
      return;
    }
    const result = request.params
      ? await client.query({ text: request.sql, values: request.params, name: statementName(request.sql) })
      : await client.query(request.sql);
    const last = Array.isArray(result) ? result[result.length - 1] : result;
    reply({ ok: true, rows: last ? last.rows : [], rowCount: last && last.rowCount != null ? last.rowCount : 0 });
  } catch (error) {
    reply({ ok: false, message: String(error && error.message ? error.message : error), code: String(error && error.code ? error.code : '') });
  }
});
`;

/** Connection strings with their password replaced, for messages. */
export function redactPostgresUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable postgres url>';
  }
}

/**
 * Open a connection to `url` answered synchronously (see {@link SyncPostgresClient}). Connecting
 * happens on the first statement; a server that does not answer within the timeout is a typed
 * `unavailable` error, never a hang.
 */
export function openSyncPostgresClient(url: string, options: SyncPostgresOptions = {}): SyncPostgresClient {
  const timeoutMs = options.timeoutMs ?? POSTGRES_STATEMENT_TIMEOUT_MS;
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  const pgPath = createRequire(import.meta.url).resolve('pg');
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      url,
      pgPath,
      flag: flag.buffer,
      port: port2,
      timeoutMs,
      schema: options.schema,
      applicationName: options.applicationName ?? 'pincer-gateway',
    },
    transferList: [port2],
    // Not the parent's flags (a loader such as tsx, or --input-type): the worker is plain CommonJS.
    execArgv: [],
    resourceLimits: { maxOldGenerationSizeMb: 256 },
  });
  worker.unref();
  let open = true;
  let workerError: Error | undefined;
  worker.on('error', (error) => {
    workerError = error;
  });

  const unavailable = (message: string, cause?: unknown) =>
    new GatewayError('unavailable', `PostgreSQL at ${redactPostgresUrl(url)}: ${message}`, cause === undefined ? undefined : { cause });

  const call = (request: { kind: 'query' | 'close'; sql?: string; params?: unknown[] | undefined }) => {
    if (!open) throw unavailable('the store is closed');
    if (workerError) throw unavailable(`the connection worker failed: ${workerError.message}`, workerError);
    Atomics.store(flag, 0, 0);
    port1.postMessage(request);
    // The worker raises the flag after posting its reply; a grace second covers the connect.
    const waited = Atomics.wait(flag, 0, 0, timeoutMs + 1_000);
    const received = receiveMessageOnPort(port1);
    if (waited === 'timed-out' || !received) {
      open = false;
      void worker.terminate();
      throw unavailable(`no answer within ${timeoutMs} ms; the connection was dropped`);
    }
    const message = received.message as
      | { ok: true; rows: Record<string, unknown>[]; rowCount: number }
      | { ok: false; message: string; code: string };
    if (!message.ok) {
      // Connection lost or refused, server shutting down: the store is unavailable. Other
      // SQLSTATEs (a full disk 53100 included) go to the caller, which classifies them.
      if (/^(08|57P)/.test(message.code) || message.code === '' || /ECONNREFUSED|ENOTFOUND|terminat/i.test(message.message)) {
        throw unavailable(message.message, new PostgresQueryError(message.message, message.code));
      }
      throw new PostgresQueryError(message.message, message.code);
    }
    return message;
  };

  return {
    query<Row>(sql: string, params?: ReadonlyArray<unknown>): SyncQueryResult<Row> {
      const result = call({ kind: 'query', sql, params: params ? [...params] : [] });
      return result as unknown as SyncQueryResult<Row>;
    },
    exec(sql: string): void {
      call({ kind: 'query', sql });
    },
    get isOpen() {
      return open;
    },
    close(): void {
      if (!open) return;
      try {
        call({ kind: 'close' });
      } catch {
        // the connection is gone either way
      }
      open = false;
      port1.close();
      void worker.terminate();
    },
  };
}
