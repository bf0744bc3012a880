import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ACCOUNT_ID,
  DEFAULT_AGENT_ID,
  DEFAULT_MAIN_KEY,
  LEGACY_IMPLICIT_AGENT_ID,
  isValidAgentId,
  normalizeAccountId,
  normalizeAgentId,
  normalizeAgentIdStrict,
  normalizeMainKey,
  normalizeOptionalAccountId,
  normalizeOptionalAgentId,
  sanitizeAgentId,
} from './agent-id.js';

// Reference §2.1 table, every cell.
const NORMALIZE_AGENT_ID_TABLE: ReadonlyArray<readonly [string | null | undefined, string]> = [
  [undefined, 'main'],
  [null, 'main'],
  ['', 'main'],
  [' ', 'main'],
  ['\t\n', 'main'],
  ['Ops Team', 'ops-team'],
  [' ops ', 'ops'],
  ['OPS', 'ops'],
  ['-ops-', 'ops'],
  ['--', 'main'],
  ['!!!', 'main'],
  ['***', 'main'],
  ['日本語', 'main'],
  ['ÆØÅ', 'main'],
  ['👍', 'main'],
  ['___', '___'],
  ['_x', '_x'],
  ['-x', 'x'],
  ['x-', 'x-'],
  ['a'.repeat(65), 'a'.repeat(64)],
  ['b'.repeat(63) + '-c', 'b'.repeat(63) + '-'],
  ['x' + '-'.repeat(70) + 'y', 'x' + '-'.repeat(63)],
  ['ops/../etc', 'ops-etc'],
  ['../../../etc/passwd', 'etc-passwd'],
  ['agent:ops:main', 'agent-ops-main'],
  ['ops.main', 'ops-main'],
  ['ops@home', 'ops-home'],
  ['café', 'caf'],
  ['Café-Bar', 'caf--bar'],
  ['straße', 'stra-e'],
  ['İstanbul', 'i-stanbul'],
  ['エージェント-1', '1'],
  ['a👍b', 'a-b'],
  ['ops\u0000x', 'ops-x'],
  ['ops\nx', 'ops-x'],
  ['__proto__', '__proto__'],
  ['constructor', 'constructor'],
  ['toString', 'tostring'],
  ['  MiXeD_Case-ID  ', 'mixed_case-id'],
];

describe('normalizeAgentId', () => {
  it.each(NORMALIZE_AGENT_ID_TABLE)('normalizes %j to %j (reference §2.1)', (input, expected) => {
    expect(normalizeAgentId(input)).toBe(expected);
  });

  it('keeps the truncate-after-strip quirk: a 64-char result may end in "-"', () => {
    const out = normalizeAgentId('b'.repeat(63) + '-c');
    expect(out).toHaveLength(64);
    expect(out.endsWith('-')).toBe(true);
  });

  it('folds every BMP code unit exactly like String.prototype.toLowerCase would', () => {
    // The sanitizer folds code units one by one instead of lower-casing the whole input.
    const mismatches: number[] = [];
    for (let code = 0; code <= 0xffff; code += 1) {
      const input = `a${String.fromCharCode(code)}b`;
      const expected = input.toLowerCase().replace(/[^a-z0-9_-]+/g, '-');
      if (normalizeAgentId(input) !== expected) mismatches.push(code);
    }
    expect(mismatches).toEqual([]);
  });

  it('treats non-string input as blank instead of throwing', () => {
    expect(normalizeAgentId(42 as unknown as string)).toBe('main');
    expect(normalizeAgentId({} as unknown as string)).toBe('main');
  });

  it('is the same function as sanitizeAgentId', () => {
    for (const [input, expected] of NORMALIZE_AGENT_ID_TABLE) expect(sanitizeAgentId(input)).toBe(expected);
  });
});

describe('normalizeAgentIdStrict', () => {
  it.each(['', '--', '!!!', '日本語', '👍'])('reports %j as unrepresentable', (input) => {
    expect(normalizeAgentIdStrict(input)).toEqual({ ok: false, error: 'unrepresentable' });
  });

  it('returns the normalized id for representable input (no "main" fallback needed)', () => {
    expect(normalizeAgentIdStrict('Ops Team')).toEqual({ ok: true, value: 'ops-team' });
    expect(normalizeAgentIdStrict('b'.repeat(63) + '-c')).toEqual({ ok: true, value: 'b'.repeat(63) + '-' });
    expect(normalizeAgentIdStrict(undefined)).toEqual({ ok: false, error: 'unrepresentable' });
  });
});

describe('isValidAgentId', () => {
  it.each(['Main', ' ops ', 'x-', 'a--b', 'a'.repeat(64), '0'])('accepts %j', (input) => {
    expect(isValidAgentId(input)).toBe(true);
  });

  it.each(['_x', '-x', 'Ops Team', 'a'.repeat(65), '__proto__', '', '   ', 'é', '\u212Aelvin'])('rejects %j', (input) => {
    expect(isValidAgentId(input)).toBe(false);
  });

  it('rejects null, undefined and non-strings', () => {
    expect(isValidAgentId(null)).toBe(false);
    expect(isValidAgentId(undefined)).toBe(false);
    expect(isValidAgentId(7 as unknown as string)).toBe(false);
  });
});

describe('normalizeOptionalAgentId', () => {
  it('returns undefined for non-strings and blanks, else the normalized id', () => {
    expect(normalizeOptionalAgentId(undefined)).toBeUndefined();
    expect(normalizeOptionalAgentId(3)).toBeUndefined();
    expect(normalizeOptionalAgentId('   ')).toBeUndefined();
    expect(normalizeOptionalAgentId('!!!')).toBe('main');
    expect(normalizeOptionalAgentId(' Ops ')).toBe('ops');
  });
});

describe('normalizeAccountId', () => {
  it.each([
    [undefined, 'default'],
    ['', 'default'],
    ['Work Acct', 'work-acct'],
    ['__proto__', 'default'],
    ['constructor', 'default'],
    ['__PROTO__', 'default'],
    ['!!!', 'default'],
    ['Bot', 'bot'],
  ] as const)('normalizes %j to %j', (input, expected) => {
    expect(normalizeAccountId(input)).toBe(expected);
  });

  it('normalizeOptionalAccountId returns undefined for blank, unrepresentable and prototype keys', () => {
    expect(normalizeOptionalAccountId('  ')).toBeUndefined();
    expect(normalizeOptionalAccountId('日本')).toBeUndefined();
    expect(normalizeOptionalAccountId('constructor')).toBeUndefined();
    expect(normalizeOptionalAccountId(null)).toBeUndefined();
    expect(normalizeOptionalAccountId('Work Acct')).toBe('work-acct');
  });
});

describe('normalizeMainKey', () => {
  it.each([
    [' WORK ', 'work'],
    ['a:b', 'a:b'],
    ['日本', '日本'],
    ['', 'main'],
    [undefined, 'main'],
    [null, 'main'],
  ] as const)('normalizes %j to %j', (input, expected) => {
    expect(normalizeMainKey(input)).toBe(expected);
  });
});

describe('constants', () => {
  it('match the reference defaults', () => {
    expect(DEFAULT_AGENT_ID).toBe('main');
    expect(LEGACY_IMPLICIT_AGENT_ID).toBe('main');
    expect(DEFAULT_MAIN_KEY).toBe('main');
    expect(DEFAULT_ACCOUNT_ID).toBe('default');
  });
});
