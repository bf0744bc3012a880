import { describe, expect, it } from 'vitest';
import { compileGuardedRegex } from './regex-guard.js';
import { GatewayError } from '../errors.js';

describe('compileGuardedRegex', () => {
  it('matches like RegExp for the patterns the default rules use', () => {
    const regex = compileGuardedRegex('^run in background:\\s*(.+)$', 'is');
    expect(regex.exec('Run in background: sleep 2; echo done')).toEqual(['Run in background: sleep 2; echo done', 'sleep 2; echo done']);
    expect(regex.exec('hello')).toBeNull();
  });

  it('reports unmatched optional groups as undefined, like RegExp', () => {
    const regex = compileGuardedRegex('^spawn (\\w+)(?: as (\\S+))?:\\s*(.+)$');
    expect(regex.exec('spawn ops: do it')).toEqual(['spawn ops: do it', 'ops', undefined, 'do it']);
  });

  it('finishes a catastrophic-backtracking pattern on a hostile input (RegExp would not)', () => {
    // (a+)+$ on "aaaa…b" takes exponential time in a backtracking engine; RE2 is linear.
    const regex = compileGuardedRegex('^(a+)+$', '');
    const hostile = `${'a'.repeat(50_000)}b`;
    expect(regex.test(hostile)).toBe(false);
    expect(regex.test('a'.repeat(50_000))).toBe(true);
  });

  it('refuses backreferences and lookaround with an invalid_config error naming the field', () => {
    for (const pattern of ['(a)\\1', 'foo(?=bar)']) {
      let caught: unknown;
      try {
        compileGuardedRegex(pattern, 'i', 'rules[3].match');
      } catch (error) {
        caught = error;
      }
      expect(GatewayError.isInstance(caught)).toBe(true);
      expect((caught as GatewayError).code).toBe('invalid_config');
      expect((caught as GatewayError).field).toBe('rules[3].match');
    }
  });

  it('honours the i, m and s flags', () => {
    expect(compileGuardedRegex('^b$', 'm').test('a\nb')).toBe(true);
    expect(compileGuardedRegex('^b$', '').test('a\nb')).toBe(false);
    expect(compileGuardedRegex('a.b', 's').test('a\nb')).toBe(true);
    expect(compileGuardedRegex('ABC', 'i').test('abc')).toBe(true);
    expect(compileGuardedRegex('ABC', '').test('abc')).toBe(false);
  });
});
