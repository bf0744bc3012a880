import { GatewayError, parseConfig } from '@pincer/gateway';
import { describe, expect, it } from 'vitest';
import { checkDuration, parseDurationFlag } from './duration.js';

const SAMPLES = ['0', '5', '5.5', '-5m', '500ms', '30s', '5m', '1.5h', '2 hours', '1d', '1w', 'fortnight', '', '  ', '5 m', '10 minutes'];

describe('one duration grammar for CLI flags and the config', () => {
  it('accepts and refuses exactly what the gateway config accepts and refuses (heartbeat every)', () => {
    for (const text of SAMPLES) {
      const isCliOk = typeof checkDuration(text) === 'number';
      let isConfigOk = true;
      try {
        parseConfig({ agents: [{ id: 'main', heartbeat: { every: text } }] });
      } catch (error) {
        if (!GatewayError.isInstance(error)) throw error;
        isConfigOk = false;
      }
      expect(isCliOk, JSON.stringify(text)).toBe(isConfigOk);
    }
  });

  it('asks for a unit on a bare number, keeps 0 for "disabled", and reads words through ms', () => {
    expect(checkDuration('5')).toBe('"5" has no unit: write e.g. 5s, 5m or 5h (0 disables).');
    expect(checkDuration('0')).toBe(0);
    expect(checkDuration('2 hours')).toBe(7_200_000);
    expect(checkDuration('1.5h')).toBe(5_400_000);
    expect(() => parseDurationFlag('0', '--every', 1000)).toThrow('--every must be at least 1s (got "0").');
    expect(() => parseDurationFlag('often', '--every')).toThrow(/--every must be a duration like 30s, 15m, 2h or 1d \(got "often"\)/);
    expect(parseDurationFlag('15m', '--every', 1000)).toBe(900_000);
  });
});
