import type { Logger } from 'pino';
import type { CliOutput } from './io.js';
import { escapeControls } from './output.js';

/** pino's numeric levels, as names. */
const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** Fields every pino line has that a readable line leaves out (shown elsewhere or noise). */
const OMITTED = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'app', 'v']);

/**
 * Turns one pino JSON line into a readable one: `12:04:05.123 WARN  heartbeat failed agentId=ops
 * error="…"`. Control characters in any part are escaped ({@link escapeControls}); a line that
 * is not pino JSON is printed escaped as it is.
 */
export function formatLogLine(line: string): string {
  let record: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return escapeControls(line);
    record = parsed as Record<string, unknown>;
  } catch {
    return escapeControls(line);
  }
  const time = typeof record.time === 'number' ? new Date(record.time).toISOString().slice(11, 23) : '--:--:--.---';
  const level =
    typeof record.level === 'number' ? (LEVEL_NAMES[record.level] ?? String(record.level)) : String(record.level ?? 'INFO').toUpperCase();
  const message = typeof record.msg === 'string' ? record.msg : '';
  const extras = Object.entries(record)
    .filter(([name]) => !OMITTED.has(name))
    .map(([name, value]) => `${name}=${typeof value === 'string' && /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value)}`);
  return escapeControls([time, level.padEnd(5), message, ...extras].filter((part) => part !== '').join(' '));
}

/** A pino destination that prints each JSON line through {@link formatLogLine}. */
export function createLogDestination(out: CliOutput): { write(chunk: string): boolean } {
  let pending = '';
  return {
    write(chunk) {
      pending += chunk;
      let newline = pending.indexOf('\n');
      // Bounded: each pass consumes one line of the buffered text.
      while (newline >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        if (line.trim() !== '') out.write(`${formatLogLine(line)}\n`);
        newline = pending.indexOf('\n');
      }
      return true;
    },
  };
}

/** A pino logger at `level` whose lines are printed readably on `out` (used by `pincer gateway` on a TTY). */
export async function createLogPrinter(out: CliOutput, level: string): Promise<Logger> {
  const { pino } = await import('pino');
  return pino({ level, base: { app: 'pincer-gateway' } }, createLogDestination(out));
}
