import { describe, expect, it } from 'vitest';
import { buildCronJobRequest, describeSchedule, formatDuration } from './cron.js';

describe('buildCronJobRequest', () => {
  it('builds the gateway body for every / at / in schedules', () => {
    expect(buildCronJobRequest({ every: '15m', message: 'check' }, 'agent:main:main')).toEqual({
      sessionKey: 'agent:main:main',
      text: 'check',
      every: '15m',
    });
    expect(buildCronJobRequest({ in: '10m', message: 'm', kind: 'agentTurn', target: 'isolated', name: ' n ' }, 'agent:ops:x')).toEqual({
      sessionKey: 'agent:ops:x',
      text: 'm',
      in: '10m',
      kind: 'agentTurn',
      target: 'isolated',
      name: 'n',
    });
    expect(buildCronJobRequest({ at: '2030-01-01T00:00:00Z', message: 'm' }, 'agent:ops:x')).toMatchObject({
      at: '2030-01-01T00:00:00.000Z',
    });
    expect(buildCronJobRequest({ cron: ' 0 9 * * 1-5 ', tz: 'Europe/Berlin', message: 'm' }, 'agent:ops:x')).toEqual({
      sessionKey: 'agent:ops:x',
      text: 'm',
      cron: '0 9 * * 1-5',
      tz: 'Europe/Berlin',
    });
  });

  it('demands exactly one schedule, a message and well-formed values', () => {
    expect(() => buildCronJobRequest({ message: 'm' }, 'k')).toThrow(/exactly one schedule/);
    expect(() => buildCronJobRequest({ every: '1m', in: '1m', message: 'm' }, 'k')).toThrow(/exactly one schedule/);
    expect(() => buildCronJobRequest({ every: '1m', message: ' ' }, 'k')).toThrow(/Missing --message/);
    expect(() => buildCronJobRequest({ at: 'tomorrow', message: 'm' }, 'k')).toThrow(/ISO-8601/);
    expect(() => buildCronJobRequest({ every: 'often', message: 'm' }, 'k')).toThrow(/duration like 30s/);
    expect(() => buildCronJobRequest({ every: ' ', message: 'm' }, 'k')).toThrow('--every must not be blank');
    expect(() => buildCronJobRequest({ every: '1m', tz: 'UTC', message: 'm' }, 'k')).toThrow('--tz only applies to --cron.');
    expect(() => buildCronJobRequest({ cron: '* * *', message: 'm' }, 'k')).toThrow(/5 or 6 fields/);
  });
});

describe('describeSchedule', () => {
  it('describes the gateway schedule shapes', () => {
    expect(describeSchedule({ kind: 'every', every: 90_000 })).toBe('every 1m30s');
    expect(describeSchedule({ kind: 'every', every: '15m' })).toBe('every 15m');
    expect(describeSchedule({ kind: 'at', at: '2030-01-01T00:00:00Z' })).toBe('at 2030-01-01T00:00:00Z');
    expect(describeSchedule({ kind: 'cron', expr: '0 9 * * *', tz: 'UTC' })).toBe('cron 0 9 * * * (UTC)');
    expect(describeSchedule(undefined)).toBe('-');
    expect(formatDuration(500)).toBe('500ms');
    expect(formatDuration(86_400_000 + 1000)).toBe('1d1s');
  });
});
