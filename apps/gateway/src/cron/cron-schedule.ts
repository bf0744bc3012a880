import type { CronJobInput } from '@pincer/heartbeat-router';
import { checkDurationText } from '../config.js';
import { hasExactlyOneSchedule, type CronShorthand } from './cron-shorthand.js';

/** Smallest `every`, ms. */
const MIN_EVERY_MS = 1000;

/** The scheduler's schedule from the shorthand (`in` becomes an `at` from `now`), or why not. */
export function buildCronSchedule(shorthand: CronShorthand, now: number): { schedule: CronJobInput['schedule'] } | { error: string } {
  if (!hasExactlyOneSchedule(shorthand)) return { error: 'cron add needs exactly one of every, at, in, cron.' };
  if (shorthand.every !== undefined) {
    // The one duration grammar of the config and the CLI: a bare number is refused asking for a unit.
    const verdict = checkDurationText(shorthand.every);
    if (typeof verdict === 'string') return { error: `Invalid "every": ${verdict}` };
    if (verdict < MIN_EVERY_MS) return { error: `Invalid "every": ${shorthand.every} (use e.g. 30s, 5m, 1h; at least 1s).` };
    return { schedule: { kind: 'every', every: verdict } };
  }
  if (shorthand.in !== undefined) {
    const verdict = checkDurationText(shorthand.in);
    if (typeof verdict === 'string') return { error: `Invalid "in": ${verdict}` };
    if (verdict <= 0) return { error: `Invalid "in": ${shorthand.in} (use e.g. 30s, 5m).` };
    return { schedule: { kind: 'at', at: new Date(now + verdict).toISOString() } };
  }
  if (shorthand.at !== undefined) {
    if (Number.isNaN(Date.parse(shorthand.at))) return { error: `Invalid "at": ${shorthand.at} (ISO timestamp).` };
    return { schedule: { kind: 'at', at: shorthand.at } };
  }
  return { schedule: { kind: 'cron', expr: shorthand.cron!, ...(shorthand.tz ? { tz: shorthand.tz } : {}) } };
}
