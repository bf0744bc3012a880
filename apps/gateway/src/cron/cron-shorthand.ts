import { z } from 'zod';

/** The schedule shorthand of the `cron` tool and `POST /v1/cron`: exactly one of the four. */
export const CronShorthandShape = {
  every: z.string().optional().describe('Interval such as 30s, 5m, 1h.'),
  at: z.string().optional().describe('ISO timestamp for a one-shot.'),
  in: z.string().optional().describe('Delay for a one-shot, such as 10s or 5m.'),
  cron: z.string().optional().describe('5/6-field cron expression.'),
  tz: z.string().optional(),
};

/** A schedule shorthand (any of the four may be missing before the rule is checked). */
export interface CronShorthand {
  every?: string | undefined;
  at?: string | undefined;
  in?: string | undefined;
  cron?: string | undefined;
  tz?: string | undefined;
}

/** The field names of the shorthand, in the order their errors are reported. */
const SHORTHAND_FIELDS = ['every', 'at', 'in', 'cron'] as const;

/** The one "exactly one of every/at/in/cron" rule. */
export function hasExactlyOneSchedule(shorthand: CronShorthand): boolean {
  return SHORTHAND_FIELDS.filter((field) => shorthand[field] !== undefined).length === 1;
}

/** The shorthand field that was given (the one an error is reported on); `every` when none. */
export function scheduleField(shorthand: CronShorthand): (typeof SHORTHAND_FIELDS)[number] {
  return SHORTHAND_FIELDS.find((field) => shorthand[field] !== undefined) ?? 'every';
}
