import { type CliError, errorTypeFor, exitCodeFor, toCliError } from './errors.js';
import { type CliOutput, writeJson, writeLine } from './io.js';

/** One column of a {@link formatTable}: header and how to read the cell. */
export interface TableColumn<Row> {
  header: string;
  value: (row: Row) => string | number | boolean | null | undefined;
  /** Cells longer than this are cut with `…` (not in `layout: 'full'`). Default 60. */
  maxWidth?: number;
  /**
   * How willing the column is to shrink when the table must fit a terminal width: columns with
   * a higher `shrink` give up width first (the command column is 2, session keys 1); 0 (default)
   * never shrinks.
   */
  shrink?: number;
  /** Width a shrinking column keeps while other shrinking columns can still give up width. */
  minWidth?: number;
}

/**
 * How a table is laid out:
 * - `{ width }`: fit `width` terminal columns (cells cut with `…`, the most shrinkable column first);
 * - `'full'`: never cut a cell (pipes and files, or `--wide`);
 * - `undefined`: cut cells at each column's `maxWidth` only.
 */
export type TableLayout = { width: number } | 'full' | undefined;

/** Smallest width a shrinking column is cut to. */
const MIN_SHRUNK_WIDTH = 8;

/**
 * Renders rows as a plain, space-aligned text table (header, then one line per row). Cell text is
 * made safe for a terminal ({@link escapeControls}: escapes shown as `\x1b`, whitespace runs as
 * one space), so no key, command or output can move the cursor or recolour the screen.
 */
export function formatTable<Row>(rows: readonly Row[], columns: readonly TableColumn<Row>[], layout?: TableLayout): string {
  const isFull = layout === 'full';
  const cells = rows.map((row) =>
    columns.map((column) => cell(column.value(row), isFull ? Number.POSITIVE_INFINITY : (column.maxWidth ?? 60))),
  );
  const widths = columns.map((column, i) => Math.max(column.header.length, ...cells.map((line) => (line[i] ?? '').length)));
  if (layout !== undefined && layout !== 'full') fitWidths(widths, columns, layout.width);
  const render = (line: readonly string[]): string =>
    line
      .map((text, i) => {
        const width = widths[i] ?? 0;
        const fitted = text.length > width ? `${text.slice(0, Math.max(0, width - 1))}…` : text;
        return i === line.length - 1 ? fitted : fitted.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  return [render(columns.map((column) => column.header)), ...cells.map(render)].join('\n');
}

function fitWidths<Row>(widths: number[], columns: readonly TableColumn<Row>[], total: number): void {
  const used = (): number => widths.reduce((sum, width) => sum + width, 0) + 2 * Math.max(0, widths.length - 1);
  const order = columns
    .map((column, index) => ({ index, shrink: column.shrink ?? 0 }))
    .filter((entry) => entry.shrink > 0)
    .sort((left, right) => right.shrink - left.shrink);
  // First pass: no column below its own `minWidth`; second pass: down to the common floor.
  for (const isFirstPass of [true, false]) {
    for (const { index } of order) {
      const excess = used() - total;
      if (excess <= 0) return;
      const column = columns[index];
      const floor = Math.max(MIN_SHRUNK_WIDTH, column?.header.length ?? 0, isFirstPass ? (column?.minWidth ?? 0) : 0);
      const current = widths[index] ?? 0;
      widths[index] = Math.max(floor, current - excess);
    }
  }
}

function cell(value: string | number | boolean | null | undefined, maxWidth: number): string {
  if (value === null || value === undefined) return '-';
  const text = escapeControls(String(value).replace(/[ \t\n\r\f\v]+/g, ' '));
  return text.length > maxWidth ? `${text.slice(0, Math.max(1, maxWidth - 1))}…` : text;
}

// C0 controls but tab/newline, DEL, C1 controls, and the Unicode bidi overrides/isolates.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is this regex's purpose.
const UNSAFE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]|\r(?!\n)/g;

/**
 * Makes text safe to print on a terminal: every control character but tab and newline (ESC,
 * BEL, backspace, a lone carriage return, DEL, C1 controls) and every bidi override is shown as
 * a visible escape (`\x1b`, `\r`, `\u202e`); `\r\n` stays a line break. Applied to tables and,
 * on a TTY, to replies, transcripts and process output; `--json` and pipes keep the bytes.
 */
export function escapeControls(text: string): string {
  return text.replace(UNSAFE, (char) => {
    if (char === '\r') return '\\r';
    const code = char.charCodeAt(0);
    return code > 0xff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\x${code.toString(16).padStart(2, '0')}`;
  });
}

/** Text for `out`: escaped with {@link escapeControls} when `out` is a terminal, the bytes as they are otherwise. */
export function forTerminal(out: CliOutput, text: string): string {
  return out.isTTY === true ? escapeControls(text) : text;
}

/** The table layout for a stream: fit its width on a TTY (unless `wide`), never cut otherwise. */
export function tableLayout(
  out: CliOutput & { columns?: number },
  env: Readonly<Record<string, string | undefined>>,
  wide = false,
): TableLayout {
  if (wide || out.isTTY !== true) return 'full';
  const fromEnv = Number(env.COLUMNS);
  const width = typeof out.columns === 'number' && out.columns > 0 ? out.columns : Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : 80;
  return { width };
}

/** Formats an epoch-ms or ISO timestamp as ISO-8601 (UTC); `-` when absent. */
export function formatTime(value: unknown): string {
  if (typeof value === 'number' && Number.isFinite(value)) return new Date(value).toISOString();
  if (typeof value === 'string' && value !== '') return value;
  return '-';
}

/**
 * A timestamp relative to `nowMs`, as tables show it: `12s ago`, `2m ago`, `3h ago`, `4d ago`,
 * `in 5m` for the future, the ISO date (`2026-11-02`) beyond 30 days; `-` when absent.
 */
export function formatAge(value: unknown, nowMs: number): string {
  const at = typeof value === 'number' ? value : typeof value === 'string' && value !== '' ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(at)) return typeof value === 'string' && value !== '' ? value : '-';
  const delta = nowMs - at;
  const seconds = Math.round(Math.abs(delta) / 1000);
  if (seconds >= 30 * 86_400) return new Date(at).toISOString().slice(0, 10);
  const text =
    seconds < 60
      ? `${seconds}s`
      : seconds < 3600
        ? `${Math.floor(seconds / 60)}m`
        : seconds < 86_400
          ? `${Math.floor(seconds / 3600)}h`
          : `${Math.floor(seconds / 86_400)}d`;
  return delta >= 0 ? `${text} ago` : `in ${text}`;
}

/** The `--json` error document. */
export interface JsonErrorDocument {
  ok: false;
  error: { type: string; code: string; message: string; field?: string; [detail: string]: unknown };
}

/** Builds the `--json` error document for an error: `{ ok: false, error: { type, code, message, field?, …details } }`. */
export function jsonError(error: CliError): JsonErrorDocument {
  return {
    ok: false,
    error: {
      type: errorTypeFor(error.code),
      code: error.stableCode,
      message: error.message,
      ...(error.field !== undefined ? { field: error.field } : {}),
      ...(error.details ?? {}),
    },
  };
}

/**
 * Reports a failure: one line `Error: <message>` on stderr (plus the stack and causes when
 * `debug`), and in `--json` mode the `{ ok: false, error: { type, code, message } }` document on
 * stdout. Returns the exit code (2 usage/validation, 130 interrupted, 1 otherwise).
 */
export function reportError(
  thrown: unknown,
  out: { stdout: CliOutput; stderr: CliOutput },
  options: { json: boolean; debug: boolean },
): 1 | 2 | 130 {
  const error = toCliError(thrown);
  writeLine(out.stderr, `Error: ${forTerminal(out.stderr, error.message.split('\n')[0] ?? error.message)}`);
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
