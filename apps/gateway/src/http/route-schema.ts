import type { FastifySchemaCompiler } from 'fastify';
import type { z } from 'zod';
import { parse } from '../validate.js';
import { ErrorBodySchema } from './schemas.js';

/** Statuses a route may answer with the uniform error body. */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 500 | 503;

/** Every route can answer these: bad input or path (400), no/invalid token (401), auth lockout (429), internal (500). */
const ALWAYS: ReadonlyArray<ErrorStatus> = [400, 401, 429, 500];
/** A route with a JSON body can also answer these: too large (413), not JSON (415). */
export const BODY_ERRORS: ReadonlyArray<ErrorStatus> = [413, 415];

/** The error part of a route's `response` map: the statuses every route answers plus `extra`. */
export function errorResponses(
  ...extra: ReadonlyArray<ErrorStatus | ReadonlyArray<ErrorStatus>>
): Record<ErrorStatus, typeof ErrorBodySchema> {
  const statuses = new Set<ErrorStatus>([...ALWAYS, ...extra.flat()]);
  const responses = {} as Record<ErrorStatus, typeof ErrorBodySchema>;
  for (const status of [...statuses].sort((left, right) => left - right)) responses[status] = ErrorBodySchema;
  return responses;
}

const PREFIX_BY_PART: Readonly<Record<string, string>> = { body: '', querystring: 'query', params: 'path', headers: 'headers' };

/**
 * Validates params, query and body with their zod schemas and answers a refusal exactly like the
 * embedded runtime does (`parse`: the first issue, its field, `Unknown field …`), as a
 * `GatewayError('invalid_request')` the error handler sends as the uniform 400 body.
 */
export const zodValidatorCompiler: FastifySchemaCompiler<z.ZodType> = ({ schema, httpPart }) => {
  const prefix = PREFIX_BY_PART[httpPart ?? 'body'] ?? '';
  return (data) => {
    try {
      return { value: parse(schema, data, prefix) };
    } catch (error) {
      return { error: error instanceof Error ? error : new Error(String(error)) };
    }
  };
};
