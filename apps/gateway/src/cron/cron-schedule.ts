import { parseDurationMs, type CronJobInput } from '@pincer/heartbeat-router';
import { hasExactlyOneSchedule, type CronShorthand } from './cron-shorthand.js';

const positiveDurationMs = (value: string): number | undefined => {
  try {
    const ms = parseDurationMs(value, { defaultUnit: 's' });
    return ms > 0 ? ms : undefined;
  } catch {
    return undefined;
  }
};

/** Smallest `every`, ms. */
const MIN_EVERY_MS = 1000;

/** The scheduler's schedule from the shorthand (`in` becomes an `at` from `now`), or why not. */
export function buildCronSchedule(shorthand: CronShorthand, now: number): { schedule: CronJobInput['schedule'] } | { error: string } {
  if (!hasExactlyOneSchedule(shorthand)) return { error: 'cron add needs exactly one of every, at, in, cron.' };
  if (shorthand.every !== undefined) {
    const ms = positiveDurationMs(shorthand.every);
    if (!ms || ms < MIN_EVERY_MS) return { error: `Invalid "every": ${shorthand.every} (use e.g. 30s, 5m, 1h; at least 1s).` };
    return { schedule: { kind: 'every', every: ms } };
  }
  if (shorthand.in !== undefined) {
    const ms = positiveDurationMs(shorthand.in);
    if (!ms) return { error: `Invalid "in": ${shorthand.in} (use e.g. 30s, 5m).` };
    return { schedule: { kind: 'at', at: new Date(now + ms).toISOString() } };
  }
  if (shorthand.at !== undefined) {
    if (Number.isNaN(Date.parse(shorthand.at))) return { error: `Invalid "at": ${shorthand.at} (ISO timestamp).` };
    return { schedule: { kind: 'at', at: shorthand.at } };
  }
  return { schedule: { kind: 'cron', expr: shorthand.cron!, ...(shorthand.tz ? { tz: shorthand.tz } : {}) } };
}
