import type { z } from 'zod';
import { HeartbeatRouterError } from './errors.js';

/** Parses `value` with `schema`; failures become `INVALID_INPUT` naming the field path. */
export function parseInput<T extends z.ZodType>(schema: T, value: unknown, where: string): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue && issue.path.length > 0 ? `${where}.${issue.path.join('.')}` : where;
  throw new HeartbeatRouterError('INVALID_INPUT', `${path}: ${issue?.message ?? 'invalid input'}`, {
    field: path,
    cause: result.error,
  });
}
