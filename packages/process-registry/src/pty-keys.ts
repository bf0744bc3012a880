/** Cursor-key mode of a terminal program (DECCKM): arrows are CSI in `normal`, SS3 in `application`. */
export type CursorKeyMode = 'normal' | 'application';

const ESC = '\x1b';

const NAMED: Record<string, string> = {
  enter: '\r',
  return: '\r',
  tab: '\t',
  escape: ESC,
  esc: ESC,
  space: ' ',
  bspace: '\x7f',
  backspace: '\x7f',
  home: `${ESC}[1~`,
  end: `${ESC}[4~`,
  pageup: `${ESC}[5~`,
  pgup: `${ESC}[5~`,
  ppage: `${ESC}[5~`,
  pagedown: `${ESC}[6~`,
  pgdn: `${ESC}[6~`,
  npage: `${ESC}[6~`,
  insert: `${ESC}[2~`,
  ic: `${ESC}[2~`,
  delete: `${ESC}[3~`,
  del: `${ESC}[3~`,
  dc: `${ESC}[3~`,
  btab: `${ESC}[Z`,
  f1: `${ESC}OP`,
  f2: `${ESC}OQ`,
  f3: `${ESC}OR`,
  f4: `${ESC}OS`,
  f5: `${ESC}[15~`,
  f6: `${ESC}[17~`,
  f7: `${ESC}[18~`,
  f8: `${ESC}[19~`,
  f9: `${ESC}[20~`,
  f10: `${ESC}[21~`,
  f11: `${ESC}[23~`,
  f12: `${ESC}[24~`,
  kpenter: `${ESC}OM`,
};

const ARROWS: Record<string, string> = { up: 'A', down: 'B', right: 'C', left: 'D' };
const TILDE_PARAM: Record<string, string> = {
  home: '1',
  end: '4',
  pageup: '5',
  pgup: '5',
  ppage: '5',
  pagedown: '6',
  pgdn: '6',
  npage: '6',
  insert: '2',
  ic: '2',
  delete: '3',
  del: '3',
  dc: '3',
};

/** Result of encoding tmux-style key names. */
export interface EncodedKeys {
  readonly data: string;
  readonly warnings: readonly string[];
}

function encodeOne(token: string, mode: CursorKeyMode, warnings: string[]): string {
  let rest = token;
  let ctrl = false;
  let alt = false;
  let shift = false;
  // Modifier prefixes (C-, M-, S-), repeatable; a bare "C-" style token is taken literally.
  for (;;) {
    const m = /^([CMS])-(.+)$/i.exec(rest);
    if (!m) break;
    const mod = m[1]!.toUpperCase();
    if (mod === 'C') ctrl = true;
    else if (mod === 'M') alt = true;
    else shift = true;
    rest = m[2]!;
  }
  if (rest.length === 2 && rest[0] === '^') {
    ctrl = true;
    rest = rest[1]!;
  }
  const lower = rest.toLowerCase();
  const modParam = 1 + (shift ? 1 : 0) + (alt ? 2 : 0) + (ctrl ? 4 : 0);
  const arrow = ARROWS[lower];
  if (arrow !== undefined) {
    if (modParam > 1) return `${ESC}[1;${modParam}${arrow}`;
    return mode === 'application' ? `${ESC}O${arrow}` : `${ESC}[${arrow}`;
  }
  if (lower === 'home' || lower === 'end') {
    const final = lower === 'home' ? 'H' : 'F';
    if (modParam > 1) return `${ESC}[1;${modParam}${final}`;
    if (mode === 'application') return `${ESC}O${final}`;
  }
  const tilde = TILDE_PARAM[lower];
  if (tilde !== undefined && modParam > 1) return `${ESC}[${tilde};${modParam}~`;
  if (lower === 'tab' && shift) return `${ESC}[Z`;
  const named = NAMED[lower];
  if (named !== undefined) return (alt ? ESC : '') + named;
  if ([...rest].length === 1) {
    let ch = rest;
    if (shift) ch = ch.toUpperCase();
    if (ctrl) {
      if (ch === '?') ch = '\x7f';
      else {
        const code = ch.toUpperCase().charCodeAt(0);
        if (code >= 0x40 && code <= 0x5f) ch = String.fromCharCode(code & 0x1f);
        else if (ch === ' ') ch = '\x00';
      }
    }
    return (alt ? ESC : '') + ch;
  }
  if (ctrl || alt || shift) warnings.push(`Unknown key "${rest}" for modifiers; sending literal.`);
  return rest;
}

/**
 * Encodes tmux-style key names (`Enter`, `Tab`, `Escape`, `C-c`, `M-x`, `S-Tab`, `Up`, `PageDown`, `F5`, …)
 * into the bytes a terminal would send. Unknown multi-char names are sent literally.
 */
export function encodeKeys(keys: readonly string[], mode: CursorKeyMode = 'normal'): EncodedKeys {
  const warnings: string[] = [];
  let data = '';
  for (const key of keys) data += encodeOne(key, mode, warnings);
  return { data, warnings };
}

/** Decodes hex byte strings (`"0d"`, `"0x0a"`); invalid entries are skipped with a warning. */
export function decodeHexBytes(hex: readonly string[]): { bytes: Buffer; warnings: string[] } {
  const warnings: string[] = [];
  const bytes: number[] = [];
  for (const raw of hex) {
    const v = raw.trim().replace(/^0x/i, '');
    if (/^[0-9a-f]{1,2}$/i.test(v)) bytes.push(Number.parseInt(v, 16));
    else warnings.push(`Invalid hex byte: ${raw}`);
  }
  return { bytes: Buffer.from(bytes), warnings };
}

/** Wraps text in bracketed-paste markers (`ESC[200~` … `ESC[201~`). */
export function bracketPaste(text: string): string {
  return `${ESC}[200~${text}${ESC}[201~`;
}

/** Tracks DECCKM toggles (`ESC[?1h` / `ESC[?1l`) in output; the last toggle in `text` wins. */
export function nextCursorKeyMode(current: CursorKeyMode, text: string): CursorKeyMode {
  const on = text.lastIndexOf(`${ESC}[?1h`);
  const off = text.lastIndexOf(`${ESC}[?1l`);
  if (on < 0 && off < 0) return current;
  return on > off ? 'application' : 'normal';
}
