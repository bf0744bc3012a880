import { describe, expect, it } from 'vitest';
import { HeartbeatRouterError } from './errors.js';
import { formatForPrompt } from './format.js';

describe('formatForPrompt', () => {
  const ts = Date.UTC(2026, 3, 19, 21, 51, 13); // 2026-04-19T21:51:13Z

  it('prints System: [YYYY-MM-DD HH:MM:SS TZ] <text> in UTC by default', () => {
    expect(formatForPrompt([{ ts, text: 'Exec completed (faint-em, code 0) :: ok' }])).toBe(
      'System: [2026-04-19 21:51:13 UTC] Exec completed (faint-em, code 0) :: ok',
    );
  });

  it('uses the zone abbreviation of an IANA zone, DST included', () => {
    const winter = Date.UTC(2026, 0, 15, 14, 0, 0);
    const lines = formatForPrompt(
      [
        { ts, text: 'summer' },
        { ts: winter, text: 'winter' },
      ],
      { timeZone: 'America/New_York' },
    );
    expect(lines).toBe('System: [2026-04-19 17:51:13 EDT] summer\nSystem: [2026-01-15 09:00:00 EST] winter');
  });

  it('prefixes continuation lines and keeps midnight as 00', () => {
    const midnight = Date.UTC(2026, 0, 1, 0, 0, 5);
    expect(formatForPrompt([{ ts: midnight, text: 'line one\nline two' }])).toBe(
      'System: [2026-01-01 00:00:05 UTC] line one\nSystem: line two',
    );
  });

  it('returns an empty string for no events and rejects an unknown zone', () => {
    expect(formatForPrompt([])).toBe('');
    expect(() => formatForPrompt([], { timeZone: 'Mars/Olympus' })).toThrow(HeartbeatRouterError);
  });

  it('prints unknown-time for a bad timestamp', () => {
    expect(formatForPrompt([{ ts: Number.NaN, text: 'x' }])).toBe('System: [unknown-time] x');
  });
});
