import { HeartbeatRouterError } from './errors.js';

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const DURATION_RE = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/i;

/**
 * Parses a duration: a number of milliseconds, or a string like `"500ms"`, `"30s"`, `"5m"`,
 * `"2h"`, `"1d"`. A bare numeric string uses `defaultUnit` (default `"m"`, so `"5"` = 5 minutes,
 * as in OpenClaw's heartbeat `every`). Returns integer milliseconds (≥ 0).
 * @throws HeartbeatRouterError `INVALID_INPUT` for anything else.
 */
export function parseDurationMs(
  value: string | number,
  options: { defaultUnit?: 'ms' | 's' | 'm' | 'h' | 'd'; field?: string } = {},
): number {
  const field = options.field ?? 'duration';
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) {
      throw new HeartbeatRouterError('INVALID_INPUT', `${field} must be a non-negative number of milliseconds.`, { field });
    }
    return Math.floor(value);
  }
  const match = DURATION_RE.exec(value.trim());
  if (!match) {
    throw new HeartbeatRouterError('INVALID_INPUT', `${field} "${value}" is not a duration; use e.g. "30s", "5m", "2h" or milliseconds.`, {
      field,
    });
  }
  const amount = Number(match[1]);
  const unit = (match[2] ?? options.defaultUnit ?? 'm').toLowerCase();
  const ms = Math.floor(amount * (UNIT_MS[unit] ?? 60_000));
  if (!Number.isFinite(ms)) {
    throw new HeartbeatRouterError('INVALID_INPUT', `${field} "${value}" is too large.`, { field });
  }
  return ms;
}
