import ms from 'ms';
import { CliError } from './errors.js';

/**
 * The one duration grammar of the CLI and the gateway config (the config's `parseDurationText`
 * applies the same rule): a number **with a unit**, parsed by `ms` (`500ms`, `30s`, `5m`, `1.5h`,
 * `2 hours`, `1d`, `1w`), or `0` where disabling makes sense. A bare number (`5`) is refused with
 * a message asking for a unit: it used to mean seconds in `cron add --every` and minutes in a
 * heartbeat `every`. Returns the reason as a string when refused, else whole milliseconds.
 */
export function checkDuration(value: string): number | string {
  const text = value.trim();
  if (text === '0') return 0;
  if (/^[+-]?\d+(?:\.\d+)?$/.test(text)) return `"${value}" has no unit: write e.g. ${text}s, ${text}m or ${text}h (0 disables).`;
  const parsed = text === '' ? undefined : (ms(text as ms.StringValue) as number | undefined);
  if (parsed === undefined || !Number.isFinite(parsed)) return `"${value}" is not a duration: use e.g. 30s, 5m, 2h or 1d.`;
  if (parsed < 0) return `"${value}" must not be negative.`;
  return Math.floor(parsed);
}

/**
 * Parses a duration flag with {@link checkDuration}; `minMs` (default 1) refuses `0` and shorter
 * values. Throws `VALIDATION` (`DURATION_INVALID`) naming the flag.
 */
export function parseDurationFlag(value: string, flag: string, minMs = 1): number {
  const verdict = checkDuration(value);
  if (typeof verdict === 'string') {
    const message = /has no unit/.test(verdict)
      ? `${flag} ${verdict}`
      : `${flag} must be a duration like 30s, 15m, 2h or 1d (got "${value.trim()}"): ${verdict}`;
    throw new CliError('VALIDATION', message, { stableCode: 'DURATION_INVALID' });
  }
  if (verdict < minMs) {
    throw new CliError(
      'VALIDATION',
      `${flag} must be at least ${minMs >= 1000 ? `${minMs / 1000}s` : `${minMs}ms`} (got "${value.trim()}").`,
      {
        stableCode: 'DURATION_INVALID',
      },
    );
  }
  return verdict;
}
