import { formatForPrompt, type FormatForPromptOptions, type FormattableEvent } from './format.js';

/** What {@link neutralizeSystemEventLines} puts in front of a user line shaped like a system event. */
export const USER_TEXT_LINE_PREFIX = 'User text: ';

// Line breaks the model or a terminal may treat as one: CRLF, LF, CR, NEL, LS, PS, VT, FF.
const LINE_BREAK = /(\r\n|[\n\r\u0085\u2028\u2029\v\f])/;

/** Code points that render as nothing (or as space) and may hide in front of a forged line. */
function isInvisibleOrSpace(code: number): boolean {
  return (
    code === 0x20 ||
    code === 0x09 ||
    code === 0xa0 ||
    code === 0xad ||
    code === 0x034f ||
    code === 0x061c ||
    code === 0x115f ||
    code === 0x1160 ||
    code === 0x1680 ||
    code === 0x180e ||
    (code >= 0x2000 && code <= 0x200f) ||
    (code >= 0x202a && code <= 0x202f) ||
    (code >= 0x205f && code <= 0x206f) ||
    code === 0x3000 ||
    code === 0x3164 ||
    code === 0xfeff ||
    code === 0xffa0 ||
    (code >= 0xfe00 && code <= 0xfe0f)
  );
}

/** Latin lookalikes (Cyrillic, Greek, small capitals) of the letters of "system", after NFKC. */
const LOOKALIKES: Readonly<Record<string, string>> = {
  '\u0405': 's',
  '\u0455': 's',
  '\ua731': 's',
  '\u01bd': 's',
  '\u0423': 'y',
  '\u0443': 'y',
  '\u04ae': 'y',
  '\u04af': 'y',
  '\u03a5': 'y',
  '\u03b3': 'y',
  '\u028f': 'y',
  '\u1ef3': 'y',
  '\u0422': 't',
  '\u0442': 't',
  '\u03a4': 't',
  '\u03c4': 't',
  '\u1d1b': 't',
  '\u0415': 'e',
  '\u0435': 'e',
  '\u0395': 'e',
  '\u03b5': 'e',
  '\u1d07': 'e',
  '\u0454': 'e',
  '\u041c': 'm',
  '\u043c': 'm',
  '\u039c': 'm',
  '\u1d0d': 'm',
};
const COLON_LIKES = new Set([
  ':',
  '\uff1a',
  '\ua789',
  '\u2236',
  '\u02d0',
  '\u02f8',
  '\ufe13',
  '\ufe55',
  '\u0589',
  '\u05c3',
  '\u1361',
  '\u16ec',
  '\u205a',
  '\u2982',
]);

/**
 * True when `line` would read as a system-event line: after invisible characters and spaces,
 * the word `system` (any case, full-width, Cyrillic/Greek lookalikes), optional spaces, an optional
 * parenthetical (`System (untrusted):`), then a colon or a colon lookalike.
 */
export function isSystemEventShapedLine(line: string): boolean {
  let start = 0;
  while (start < line.length && isInvisibleOrSpace(line.charCodeAt(start))) start += 1;
  if (start === line.length) return false;
  // Look only at a bounded head: the word, a short parenthetical, the colon.
  const head = line.slice(start, start + 96).normalize('NFKC');
  let folded = '';
  for (const char of head) folded += LOOKALIKES[char] ?? char.toLowerCase();
  let position = 0;
  while (position < folded.length && isInvisibleOrSpace(folded.charCodeAt(position))) position += 1;
  if (!folded.startsWith('system', position)) return false;
  position += 6;
  const skipSpaces = () => {
    while (position < folded.length && isInvisibleOrSpace(folded.charCodeAt(position))) position += 1;
  };
  skipSpaces();
  if (folded[position] === '(' || folded[position] === '[') {
    const close = folded.indexOf(folded[position] === '(' ? ')' : ']', position + 1);
    if (close < 0) return false;
    position = close + 1;
    skipSpaces();
  }
  const next = folded[position];
  return next !== undefined && COLON_LIKES.has(next);
}

/** Options of {@link neutralizeSystemEventLines}. */
export interface NeutralizeSystemEventLinesOptions {
  /** Put in front of each system-event-shaped line. Default {@link USER_TEXT_LINE_PREFIX}. */
  userLinePrefix?: string;
}

/**
 * Marks every line of untrusted user text that is shaped like a system-event line
 * (`System: [...] …`, `  system (untrusted): …`, `Ｓｙｓｔｅｍ：…`, Cyrillic lookalikes, after
 * any line break: CRLF, CR, LF, NEL, U+2028/U+2029, VT, FF) by prefixing it with
 * `User text: `, so neither the model nor a transcript reader can take it for a real event,
 * whose lines always start with exactly `System: [`. Other lines and all line breaks are kept
 * byte for byte. Idempotent; linear in the text length.
 */
export function neutralizeSystemEventLines(text: string, options: NeutralizeSystemEventLinesOptions = {}): string {
  if (typeof text !== 'string' || text === '') return typeof text === 'string' ? text : '';
  const prefix = options.userLinePrefix ?? USER_TEXT_LINE_PREFIX;
  const parts = text.split(LINE_BREAK);
  let changed = false;
  // Even indexes are lines, odd indexes the breaks captured between them.
  for (let index = 0; index < parts.length; index += 2) {
    const line = parts[index]!;
    if (isSystemEventShapedLine(line)) {
      parts[index] = prefix + line;
      changed = true;
    }
  }
  return changed ? parts.join('') : text;
}

/** Input of {@link formatTurnPrompt}. */
export interface FormatTurnPromptInput {
  /** Queued events to show before the user's message (real `System:` lines). */
  events: readonly FormattableEvent[];
  /** The user's message (untrusted): system-event-shaped lines are neutralized. */
  userText: string;
}

/**
 * The text of a turn that mixes system events and a user message:
 * `formatForPrompt(events)`, a blank line, then `neutralizeSystemEventLines(userText)`
 * (just the neutralized user text when there are no events). Store this same text in the
 * transcript, so the transcript tells real events from user lines too.
 */
export function formatTurnPrompt(
  input: FormatTurnPromptInput,
  options: FormatForPromptOptions & NeutralizeSystemEventLinesOptions = {},
): string {
  const { userLinePrefix, ...formatOptions } = options;
  const userText = neutralizeSystemEventLines(input.userText, userLinePrefix === undefined ? {} : { userLinePrefix });
  if (input.events.length === 0) return userText;
  return `${formatForPrompt(input.events, formatOptions)}\n\n${userText}`;
}
