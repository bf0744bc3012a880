import { Cron } from 'croner';
import { z } from 'zod';
import { parseDurationMs } from './duration.js';
import { HeartbeatRouterError } from './errors.js';
import { isValidTimeZone } from './format.js';

/** When a cron job runs: `at` (one-shot ISO time), `every` (duration) or `cron` (5/6-field expression). */
export const cronScheduleSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('at'),
    /** ISO 8601 time; without an offset it is UTC. */
    at: z.string().min(1),
  }),
  z.object({
    kind: z.literal('every'),
    /** Duration (`"5m"`, `"1h"`, bare number = minutes) or ms. Minimum 1 s. */
    every: z.union([z.string(), z.number()]),
    /** Phase anchor, epoch ms. Default: the job's creation time. */
    anchorMs: z.number().int().optional(),
  }),
  z.object({
    kind: z.literal('cron'),
    /** 5 fields (`m h dom mon dow`) or 6 (leading seconds). Vixie day OR semantics. */
    expr: z.string().min(1),
    /** IANA zone. Default: the scheduler's `timeZone` (UTC). */
    tz: z.string().optional(),
  }),
]);
/** See {@link cronScheduleSchema}. */
export type CronSchedule = z.infer<typeof cronScheduleSchema>;

const OFFSET_RE = /(?:[zZ]|[+-]\d{2}(?::?\d{2})?)$/;
const DATE_ONLY_RE = /^\d{4}-\d{2}-\d{2}$/;

/** Parses an `at` time to epoch ms (no offset → UTC). */
export function parseAtMs(at: string): number {
  const trimmed = at.trim();
  const iso = DATE_ONLY_RE.test(trimmed) || OFFSET_RE.test(trimmed) ? trimmed : `${trimmed}Z`;
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) {
    throw new HeartbeatRouterError('INVALID_SCHEDULE', `schedule.at "${at}" is not an ISO 8601 time (e.g. 2026-05-01T09:00:00Z).`, {
      field: 'schedule.at',
    });
  }
  return ms;
}

/** Internal: computes next run times, caching parsed cron expressions. */
export interface ScheduleComputer {
  /** Validates a schedule (throws `INVALID_SCHEDULE`). */
  validate(schedule: CronSchedule): void;
  /** First run strictly after `afterMs` (for `at`: the time itself, whenever it is), or null. */
  next(schedule: CronSchedule, afterMs: number, createdAtMs: number): number | null;
}

export function createScheduleComputer(defaultTimeZone: string): ScheduleComputer {
  const crons = new Map<string, Cron>();

  function cronFor(expr: string, tz: string | undefined): Cron {
    const zone = tz ?? defaultTimeZone;
    const key = `${zone}\u0000${expr}`;
    let cron = crons.get(key);
    if (cron) return cron;
    const fields = expr.trim().split(/\s+/).length;
    if (fields !== 5 && fields !== 6) {
      throw new HeartbeatRouterError('INVALID_SCHEDULE', `schedule.expr "${expr}" must have 5 or 6 fields.`, { field: 'schedule.expr' });
    }
    if (!isValidTimeZone(zone)) {
      throw new HeartbeatRouterError('INVALID_SCHEDULE', `schedule.tz "${zone}" is not an IANA time zone.`, { field: 'schedule.tz' });
    }
    try {
      cron = new Cron(expr.trim(), { timezone: zone, paused: true, legacyMode: true });
    } catch (cause) {
      throw new HeartbeatRouterError('INVALID_SCHEDULE', `schedule.expr "${expr}" is not a valid cron expression.`, {
        field: 'schedule.expr',
        cause,
      });
    }
    if (crons.size > 1000) crons.clear();
    crons.set(key, cron);
    return cron;
  }

  function everyMs(schedule: Extract<CronSchedule, { kind: 'every' }>): number {
    const ms = parseDurationMs(schedule.every, { field: 'schedule.every', defaultUnit: 'm' });
    if (ms < 1000) {
      throw new HeartbeatRouterError('INVALID_SCHEDULE', 'schedule.every must be at least 1 s.', { field: 'schedule.every' });
    }
    return ms;
  }

  return {
    validate(schedule) {
      if (schedule.kind === 'at') parseAtMs(schedule.at);
      else if (schedule.kind === 'every') everyMs(schedule);
      else cronFor(schedule.expr, schedule.tz);
    },
    next(schedule, afterMs, createdAtMs) {
      if (schedule.kind === 'at') return parseAtMs(schedule.at);
      if (schedule.kind === 'every') {
        const every = everyMs(schedule);
        const anchor = schedule.anchorMs ?? createdAtMs;
        if (afterMs < anchor) return anchor;
        return anchor + (Math.floor((afterMs - anchor) / every) + 1) * every;
      }
      const next = cronFor(schedule.expr, schedule.tz).nextRun(new Date(afterMs));
      return next ? next.getTime() : null;
    },
  };
}
