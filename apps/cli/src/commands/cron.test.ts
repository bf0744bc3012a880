import { describe, expect, it } from 'vitest';
import { buildCronJobRequest, describeSchedule } from './cron.js';

describe('buildCronJobRequest', () => {
  it('builds an every/cron/at schedule with a system-event payload by default', () => {
    expect(buildCronJobRequest({ every: '15m', message: 'check' }, undefined)).toEqual({
      schedule: { kind: 'every', every: '15m' },
      payload: { kind: 'systemEvent', text: 'check' },
    });
    expect(buildCronJobRequest({ cron: '0 9 * * *', tz: 'UTC', message: 'm', payload: 'agentTurn', agent: 'ops', name: 'n' }, undefined)).toEqual({
      name: 'n',
      agentId: 'ops',
      schedule: { kind: 'cron', expr: '0 9 * * *', tz: 'UTC' },
      payload: { kind: 'agentTurn', message: 'm' },
    });
    expect(buildCronJobRequest({ at: '2030-01-01T00:00:00Z', message: 'm' }, 'agent:ops:x')).toMatchObject({
      schedule: { kind: 'at', at: '2030-01-01T00:00:00.000Z' },
      target: 'session:agent:ops:x',
    });
  });

  it('demands exactly one schedule, a message and sane flags', () => {
    expect(() => buildCronJobRequest({ message: 'm' }, undefined)).toThrow(/exactly one schedule/);
    expect(() => buildCronJobRequest({ every: '1m', cron: '* * * * *', message: 'm' }, undefined)).toThrow(/exactly one schedule/);
    expect(() => buildCronJobRequest({ every: '1m', message: ' ' }, undefined)).toThrow(/Missing --message/);
    expect(() => buildCronJobRequest({ at: 'tomorrow', message: 'm' }, undefined)).toThrow(/ISO-8601/);
    expect(() => buildCronJobRequest({ every: ' ', message: 'm' }, undefined)).toThrow('--every must not be blank');
    expect(() => buildCronJobRequest({ every: '1m', tz: 'UTC', message: 'm' }, undefined)).toThrow(/--tz only applies/);
  });

  it('describes schedules', () => {
    expect(describeSchedule({ kind: 'cron', expr: '0 9 * * *', tz: 'UTC' })).toBe('cron 0 9 * * * (UTC)');
    expect(describeSchedule({ kind: 'every', every: '5m' })).toBe('every 5m');
    expect(describeSchedule(undefined)).toBe('-');
  });
});
