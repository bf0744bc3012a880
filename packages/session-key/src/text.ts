// Internal string helpers. Everything here is a single forward/backward scan: keys are
// untrusted and may be megabytes long, so no backtracking regexes and no per-call RegExp.

/** `value` if it is a string, else `''` (untrusted inputs never make us throw a TypeError). */
export function asString(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** Trimmed string, or `''` for non-strings. */
export function trimmed(value: unknown): string {
  return typeof value === 'string' ? value.trim() : '';
}

/** Lower-case an ASCII code unit; other code units are returned unchanged. */
function lowerCode(code: number): number {
  return code >= 65 && code <= 90 ? code + 32 : code;
}

/**
 * True when `text` contains the lower-case ASCII `marker` at `pos`, comparing ASCII letters
 * case-insensitively.
 */
export function matchesAt(text: string, pos: number, marker: string): boolean {
  if (pos < 0 || pos + marker.length > text.length) return false;
  for (let i = 0; i < marker.length; i += 1) {
    if (lowerCode(text.charCodeAt(pos + i)) !== marker.charCodeAt(i)) return false;
  }
  return true;
}

/** Case-insensitive (ASCII) `startsWith` for a lower-case ASCII marker. */
export function startsWithCI(text: string, marker: string): boolean {
  return matchesAt(text, 0, marker);
}

/** Last index of lower-case ASCII `marker` in `text`, case-insensitively; -1 if absent. */
export function lastIndexOfCI(text: string, marker: string): number {
  const first = marker.charCodeAt(0);
  if (!(first >= 97 && first <= 122)) {
    // The first code unit is case-free (e.g. ":"): hop between its occurrences with the native
    // search and compare the rest there, instead of testing every position.
    const head = marker[0] ?? '';
    let pos = text.lastIndexOf(head, text.length - marker.length);
    while (pos >= 0) {
      if (matchesAt(text, pos, marker)) return pos;
      if (pos === 0) return -1;
      pos = text.lastIndexOf(head, pos - 1);
    }
    return -1;
  }
  for (let pos = text.length - marker.length; pos >= 0; pos -= 1) {
    if (matchesAt(text, pos, marker)) return pos;
  }
  return -1;
}

/** First index of lower-case ASCII `marker` in `text` at or after `from`, case-insensitively. */
export function indexOfCI(text: string, marker: string, from = 0): number {
  const last = text.length - marker.length;
  const first = marker.charCodeAt(0);
  if (!(first >= 97 && first <= 122)) {
    const head = marker[0] ?? '';
    let pos = text.indexOf(head, from);
    while (pos >= 0 && pos <= last) {
      if (matchesAt(text, pos, marker)) return pos;
      pos = text.indexOf(head, pos + 1);
    }
    return -1;
  }
  for (let pos = from; pos <= last; pos += 1) {
    if (matchesAt(text, pos, marker)) return pos;
  }
  return -1;
}

/**
 * True for the code units `String.prototype.trim` removes (WhiteSpace and LineTerminator).
 */
export function isTrimmableCode(code: number): boolean {
  if (code <= 32) return code === 32 || (code >= 9 && code <= 13);
  if (code < 160) return false;
  return (
    code === 160 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}

/** True when `text.slice(start, end)` contains a non-whitespace code unit (no allocation). */
export function hasNonBlank(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i += 1) {
    if (!isTrimmableCode(text.charCodeAt(i))) return true;
  }
  return false;
}

/** Longest excerpt of untrusted input echoed inside an error message, in UTF-16 code units. */
export const MAX_ECHO_LENGTH = 200;

/**
 * `value` for use inside an error message: unchanged up to {@link MAX_ECHO_LENGTH} code units,
 * else the first ones followed by `…` — a megabyte key must not become a megabyte log line.
 */
export function echo(value: string | undefined): string {
  const text = value ?? '';
  return text.length <= MAX_ECHO_LENGTH ? text : `${text.slice(0, MAX_ECHO_LENGTH)}…`;
}
