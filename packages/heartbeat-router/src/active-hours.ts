import { z } from 'zod';

/** `activeHours`: `start` inclusive, `end` exclusive (`24:00` allowed), wall-clock time in `timeZone`. */
export const activeHoursSchema = z.object({
  /** `HH:MM`, inclusive. */
  start: z.string(),
  /** `HH:MM`, exclusive; `24:00` = end of day. Earlier than `start` = overnight window. */
  end: z.string(),
  /** IANA zone (e.g. `America/New_York`). Unset or invalid → the runner's default zone (UTC). */
  timeZone: z.string().optional(),
});
/** See {@link activeHoursSchema}. */
export type ActiveHours = z.infer<typeof activeHoursSchema>;

const HHMM = /^([01]\d|2[0-4]):([0-5]\d)$/;

function parseMinutes(value: string): number | null {
  const match = HHMM.exec(value.trim());
  if (!match) return null;
  const minutes = Number(match[1]) * 60 + Number(match[2]);
  return minutes > 24 * 60 ? null : minutes;
}

function minutesOfDay(nowMs: number, timeZone: string): number | null {
  let formatter: Intl.DateTimeFormat;
  try {
    formatter = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', hour: '2-digit', minute: '2-digit' });
  } catch {
    return null;
  }
  let hour = 0;
  let minute = 0;
  for (const part of formatter.formatToParts(new Date(nowMs))) {
    if (part.type === 'hour') hour = Number(part.value);
    else if (part.type === 'minute') minute = Number(part.value);
  }
  return (hour % 24) * 60 + minute;
}

/**
 * Is `nowMs` inside the window, judged on the wall clock of its zone (so DST shifts the UTC
 * instants, not the local hours)? No config or an invalid `HH:MM` → inside; `start == end` →
 * always outside; `end < start` wraps past midnight.
 */
export function isWithinActiveHours(activeHours: ActiveHours | undefined, nowMs: number, defaultTimeZone = 'UTC'): boolean {
  if (!activeHours) return true;
  const start = parseMinutes(activeHours.start);
  const end = parseMinutes(activeHours.end);
  if (start === null || end === null) return true;
  if (start === end) return false;
  const minutes =
    (activeHours.timeZone ? minutesOfDay(nowMs, activeHours.timeZone) : null) ??
    minutesOfDay(nowMs, defaultTimeZone) ??
    minutesOfDay(nowMs, 'UTC')!;
  if (start < end) return minutes >= start && minutes < end;
  return minutes >= start || minutes < end;
}
