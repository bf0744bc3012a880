import { describe, expect, it } from 'vitest';
import { parseSince } from './audit.js';

describe('parseSince', () => {
  const now = Date.parse('2026-12-01T12:00:00Z');

  it('reads an ISO time or a duration ago', () => {
    expect(parseSince('2026-12-01T00:00:00Z', now)).toBe(Date.parse('2026-12-01T00:00:00Z'));
    expect(parseSince('1h', now)).toBe(now - 3_600_000);
    expect(parseSince('7d', now)).toBe(now - 7 * 86_400_000);
  });

  it('refuses anything else', () => {
    expect(() => parseSince('', now)).toThrow(/must not be blank/);
    expect(() => parseSince('yesterday', now)).toThrow(/ISO-8601 time or a duration/);
    expect(() => parseSince('12', now)).toThrow(/ISO-8601 time or a duration/);
  });
});
