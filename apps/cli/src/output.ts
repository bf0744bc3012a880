import { CliError, errorTypeFor, exitCodeFor, toCliError } from './errors.js';
import { type CliOutput, writeJson, writeLine } from './io.js';

/** One column of a {@link formatTable}: header and how to read the cell. */
export interface TableColumn<Row> {
  header: string;
  value: (row: Row) => string | number | boolean | null | undefined;
  /** Cells longer than this are cut with `…`. Default 60. */
  maxWidth?: number;
}

/** Renders rows as a plain, space-aligned text table (header, then one line per row). */
export function formatTable<Row>(rows: readonly Row[], columns: readonly TableColumn<Row>[]): string {
  const cells = rows.map((row) => columns.map((column) => cell(column.value(row), column.maxWidth ?? 60)));
  const widths = columns.map((column, i) => Math.max(column.header.length, ...cells.map((line) => (line[i] ?? '').length)));
  const render = (line: readonly string[]): string =>
    line
      .map((text, i) => (i === line.length - 1 ? text : text.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [render(columns.map((column) => column.header)), ...cells.map(render)].join('\n');
}

function cell(value: string | number | boolean | null | undefined, maxWidth: number): string {
  if (value === null || value === undefined) return '-';
  const text = String(value).replace(/\s+/g, ' ');
  return text.length > maxWidth ? `${text.slice(0, Math.max(1, maxWidth - 1))}…` : text;
}

/** Formats an epoch-ms or ISO timestamp as ISO-8601 (UTC); `-` when absent. */
export function formatTime(value: unknown): string {
  if (typeof value === 'number' && Number.isFinite(value)) return new Date(value).toISOString();
  if (typeof value === 'string' && value !== '') return value;
  return '-';
}

/** The `--json` error document. */
export interface JsonErrorDocument {
  ok: false;
  error: { type: string; message: string; field?: string };
}

/** Builds the `--json` error document for an error. */
export function jsonError(error: CliError): JsonErrorDocument {
  return {
    ok: false,
    error: { type: errorTypeFor(error.code), message: error.message, ...(error.field !== undefined ? { field: error.field } : {}) },
  };
}

/**
 * Reports a failure: one line `Error: <message>` on stderr (plus the stack and causes when
 * `debug`), and in `--json` mode the `{ ok: false, error: { type, message } }` document on
 * stdout. Returns the exit code (2 usage/validation, 1 otherwise).
 */
export function reportError(
  thrown: unknown,
  out: { stdout: CliOutput; stderr: CliOutput },
  options: { json: boolean; debug: boolean },
): 1 | 2 {
  const error = toCliError(thrown);
  writeLine(out.stderr, `Error: ${error.message.split('\n')[0] ?? error.message}`);
  if (options.debug) {
    let current: unknown = thrown;
    for (let depth = 0; depth < 5 && current instanceof Error; depth += 1) {
      writeLine(out.stderr, current.stack ?? String(current));
      current = current.cause;
    }
  }
  if (options.json) writeJson(out.stdout, jsonError(error));
  return exitCodeFor(error.code);
}
