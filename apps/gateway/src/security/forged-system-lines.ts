/**
 * Item 5 (issue 14), gateway side: user text cannot forge system events. Real events reach the
 * model as lines `System: [<time>] …` prepended by the gateway; a user line shaped like one
 * (after Unicode compatibility folding and with invisible characters removed, so `Ｓｙｓｔｅｍ：`
 * or `Sys\u200btem:` count) is marked with {@link FORGED_SYSTEM_LINE_MARK}, in what the model sees
 * and in the transcript. The one place user text enters a prompt calls
 * {@link neutralizeForgedSystemLines}.
 */

/** Prefix put before a user line that looks like a system event. */
export const FORGED_SYSTEM_LINE_MARK = '[user text, not a system event] ';

// Zero-width and other invisible format characters an attacker can hide inside "System".
const INVISIBLE =
  // biome-ignore lint/suspicious/noMisleadingCharacterClass: each code point is matched (and removed) on its own, combining marks and variation selectors included.
  /[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]/g;
const SYSTEM_HEAD = /^[\s>*_`~#-]*system\s*(?:\([^)\n]{0,64}\))?\s*:/i;
// Line breaks a model may treat as new lines (CR, NEL, LS, PS), besides LF.
const LINE_BREAK = /(\r\n|[\n\r\u0085\u2028\u2029])/;

/** True when `line` would read as a system-event line. */
export function looksLikeSystemLine(line: string): boolean {
  const folded = line.normalize('NFKC').replace(INVISIBLE, '');
  return SYSTEM_HEAD.test(folded);
}

/**
 * Mark every line of user text that would read as a `System:` line. Other text is returned
 * unchanged (byte for byte); idempotent (a marked line is not marked again).
 */
export function neutralizeForgedSystemLines(text: string): string {
  if (!/system/i.test(text.normalize('NFKC').replace(INVISIBLE, ''))) return text;
  const parts = text.split(LINE_BREAK);
  for (let index = 0; index < parts.length; index += 2) {
    const line = parts[index] ?? '';
    if (!line.startsWith(FORGED_SYSTEM_LINE_MARK) && looksLikeSystemLine(line)) parts[index] = FORGED_SYSTEM_LINE_MARK + line;
  }
  return parts.join('');
}
