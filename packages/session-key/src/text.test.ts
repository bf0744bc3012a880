import { describe, expect, it } from 'vitest';
import { hasNonBlank, indexOfCI, isTrimmableCode, lastIndexOfCI, matchesAt, startsWithCI } from './text.js';

describe('isTrimmableCode', () => {
  it('matches exactly the code units String.prototype.trim removes (all of the BMP)', () => {
    const mismatches: number[] = [];
    for (let code = 0; code <= 0xffff; code += 1) {
      if (isTrimmableCode(code) !== (String.fromCharCode(code).trim() === '')) mismatches.push(code);
    }
    expect(mismatches).toEqual([]);
  });

  it('hasNonBlank scans a range without allocating a slice', () => {
    expect(hasNonBlank('agent: \u00a0\ufeff:x', 6, 9)).toBe(false);
    expect(hasNonBlank('agent: o :x', 6, 9)).toBe(true);
  });
});

describe('ASCII case-insensitive matching', () => {
  it('folds ASCII letters only', () => {
    expect(startsWithCI('AGENT:x', 'agent:')).toBe(true);
    expect(startsWithCI('agen', 'agent:')).toBe(false);
    // U+212A KELVIN SIGN lower-cases to "k" but is not folded by the ASCII matcher.
    expect(matchesAt('\u212A', 0, 'k')).toBe(false);
    expect(matchesAt('x', -1, 'x')).toBe(false);
  });

  it('finds first and last occurrences', () => {
    expect(indexOfCI('a:THREAD:b:thread:c', ':thread:')).toBe(1);
    expect(lastIndexOfCI('a:THREAD:b:thread:c', ':thread:')).toBe(10);
    expect(lastIndexOfCI('abc', ':thread:')).toBe(-1);
    expect(indexOfCI('abc', 'c', 3)).toBe(-1);
  });
});
