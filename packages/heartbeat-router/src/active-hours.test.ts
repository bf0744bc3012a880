import { describe, expect, it } from 'vitest';
import { isWithinActiveHours } from './active-hours.js';

const utc = (iso: string) => Date.parse(iso);

describe('isWithinActiveHours', () => {
  it('no config or invalid times → inside; start == end → outside', () => {
    expect(isWithinActiveHours(undefined, utc('2026-01-01T03:00:00Z'))).toBe(true);
    expect(isWithinActiveHours({ start: '8am', end: '17:00' }, utc('2026-01-01T03:00:00Z'))).toBe(true);
    expect(isWithinActiveHours({ start: '25:00', end: '17:00' }, utc('2026-01-01T03:00:00Z'))).toBe(true);
    expect(isWithinActiveHours({ start: '09:00', end: '09:00' }, utc('2026-01-01T09:00:00Z'))).toBe(false);
  });

  it('start is inclusive, end exclusive, 24:00 is end of day', () => {
    const hours = { start: '08:00', end: '24:00' };
    expect(isWithinActiveHours(hours, utc('2026-01-01T07:59:00Z'))).toBe(false);
    expect(isWithinActiveHours(hours, utc('2026-01-01T08:00:00Z'))).toBe(true);
    expect(isWithinActiveHours(hours, utc('2026-01-01T23:59:00Z'))).toBe(true);
    expect(isWithinActiveHours(hours, utc('2026-01-02T00:00:00Z'))).toBe(false);
  });

  it('an overnight window wraps across midnight (America/New_York)', () => {
    const hours = { start: '22:00', end: '06:00', timeZone: 'America/New_York' };
    // January: EST = UTC-5.
    expect(isWithinActiveHours(hours, utc('2026-01-15T02:59:00Z'))).toBe(false); // 21:59 local
    expect(isWithinActiveHours(hours, utc('2026-01-15T03:00:00Z'))).toBe(true); // 22:00 local
    expect(isWithinActiveHours(hours, utc('2026-01-15T05:00:00Z'))).toBe(true); // 00:00 local
    expect(isWithinActiveHours(hours, utc('2026-01-15T10:59:00Z'))).toBe(true); // 05:59 local
    expect(isWithinActiveHours(hours, utc('2026-01-15T11:00:00Z'))).toBe(false); // 06:00 local
  });

  it('follows the wall clock across the spring-forward DST change', () => {
    // 2026-03-08: New York jumps 02:00 EST → 03:00 EDT.
    const hours = { start: '22:00', end: '06:00', timeZone: 'America/New_York' };
    expect(isWithinActiveHours(hours, utc('2026-03-08T06:30:00Z'))).toBe(true); // 01:30 EST
    expect(isWithinActiveHours(hours, utc('2026-03-08T09:59:00Z'))).toBe(true); // 05:59 EDT
    expect(isWithinActiveHours(hours, utc('2026-03-08T10:00:00Z'))).toBe(false); // 06:00 EDT (was 05:00 the day before)
    expect(isWithinActiveHours(hours, utc('2026-03-07T10:00:00Z'))).toBe(true); // 05:00 EST the day before

    const office = { start: '08:00', end: '17:00', timeZone: 'America/New_York' };
    expect(isWithinActiveHours(office, utc('2026-03-06T12:30:00Z'))).toBe(false); // 07:30 EST
    expect(isWithinActiveHours(office, utc('2026-03-09T12:30:00Z'))).toBe(true); // 08:30 EDT, same UTC time
  });

  it('follows the wall clock across the fall-back DST change', () => {
    // 2026-11-01: New York falls back 02:00 EDT → 01:00 EST; 01:30 happens twice.
    const hours = { start: '01:00', end: '02:00', timeZone: 'America/New_York' };
    expect(isWithinActiveHours(hours, utc('2026-11-01T05:30:00Z'))).toBe(true); // 01:30 EDT
    expect(isWithinActiveHours(hours, utc('2026-11-01T06:30:00Z'))).toBe(true); // 01:30 EST
    expect(isWithinActiveHours(hours, utc('2026-11-01T07:00:00Z'))).toBe(false); // 02:00 EST
  });

  it('an invalid zone falls back to the default zone', () => {
    const hours = { start: '08:00', end: '09:00', timeZone: 'Not/AZone' };
    expect(isWithinActiveHours(hours, utc('2026-01-01T08:30:00Z'))).toBe(true);
    expect(isWithinActiveHours(hours, utc('2026-01-01T13:30:00Z'), 'America/New_York')).toBe(true);
  });
});
