import { HeartbeatRouterError } from './errors.js';

/** Minimal event shape {@link formatForPrompt} needs. */
export interface FormattableEvent {
  readonly text: string;
  /** Epoch ms. */
  readonly ts: number;
}

/** Options of {@link formatForPrompt}. */
export interface FormatForPromptOptions {
  /** IANA time zone for the timestamps. Default `"UTC"`. */
  timeZone?: string;
  /** Line prefix. Default `"System"`. */
  prefix?: string;
}

function createFormatter(timeZone: string): Intl.DateTimeFormat {
  try {
    return new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      timeZoneName: 'short',
    });
  } catch (cause) {
    throw new HeartbeatRouterError('INVALID_INPUT', `Unknown time zone "${timeZone}"; use an IANA name such as "America/New_York".`, {
      field: 'timeZone',
      cause,
    });
  }
}

/** `YYYY-MM-DD HH:MM:SS TZ` for `ts` in the formatter's zone, or `unknown-time`. */
function formatTimestamp(formatter: Intl.DateTimeFormat, ts: number): string {
  if (!Number.isFinite(ts)) return 'unknown-time';
  const parts: Record<string, string> = {};
  for (const part of formatter.formatToParts(new Date(ts))) parts[part.type] = part.value;
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second} ${parts.timeZoneName}`;
}

// Every break a reader may render as a new line, so each visual line carries the prefix.
const EVENT_LINE_BREAK = /\r\n|[\n\r\u0085\u2028\u2029\v\f]/;

/**
 * Formats events for a turn's context: the first line of each event is
 * `System: [YYYY-MM-DD HH:MM:SS TZ] <text>` and continuation lines are `System: <line>`;
 * events are joined by `\n`. Every line break in an event's text (CRLF, LF, CR, NEL, U+2028,
 * U+2029, VT, FF) starts a continuation line, so no visual line of the block lacks the prefix. The zone abbreviation comes from `Intl` (e.g. `EST`/`EDT`, `UTC`).
 */
export function formatForPrompt(events: readonly FormattableEvent[], options: FormatForPromptOptions = {}): string {
  const formatter = createFormatter(options.timeZone ?? 'UTC');
  const prefix = options.prefix ?? 'System';
  const lines: string[] = [];
  for (const event of events) {
    const [first = '', ...rest] = event.text.split(EVENT_LINE_BREAK);
    lines.push(`${prefix}: [${formatTimestamp(formatter, event.ts)}] ${first}`);
    for (const line of rest) lines.push(`${prefix}: ${line}`);
  }
  return lines.join('\n');
}

/** Internal: is `timeZone` a zone `Intl` knows? */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}
