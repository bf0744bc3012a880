import type { z } from 'zod';
import { GatewayError, formatPath } from './errors.js';

/**
 * Parses untrusted input with `schema`, or throws `GatewayError('invalid_request')` whose message
 * and `field` name the first offending field (prefixed with `prefix`, e.g. `query`). Shared by the
 * HTTP routes and the embedded runtime so both refuse the same input the same way.
 */
export function parse<T extends z.ZodType>(schema: T, value: unknown, prefix: string): z.output<T> {
  const result = schema.safeParse(value ?? {});
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const path = issue.path.length > 0 ? formatPath(issue.path) : '';
    const field = prefix ? (path ? `${prefix}.${path}` : prefix) : path || '(root)';
    const message =
      issue.code === 'unrecognized_keys'
        ? `Unknown field ${issue.keys.map((key) => `"${key}"`).join(', ')} in ${prefix || 'body'}`
        : `${field}: ${issue.message}`;
    throw new GatewayError('invalid_request', message, {
      field: issue.code === 'unrecognized_keys' ? (path ? `${path}.${issue.keys[0]}` : String(issue.keys[0])) : path || field,
    });
  }
  return result.data;
}
