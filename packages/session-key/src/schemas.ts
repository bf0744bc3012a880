import { z } from 'zod';
import { isValidAgentId, normalizeAgentId } from './agent-id.js';
import { classifySessionKeyShape } from './parse.js';

/**
 * A strictly valid agent id (1–64 chars, `[a-z0-9][a-z0-9_-]*`, any ASCII case, surrounding
 * whitespace allowed); parses to the normalized (lower-cased, trimmed) id.
 */
export const agentIdSchema = z
  .string()
  .refine((value) => isValidAgentId(value), {
    message: 'Agent id must be 1-64 characters of [a-z0-9_-] and start with a letter or digit.',
  })
  .transform((value) => normalizeAgentId(value));

/** Parsed output of {@link agentIdSchema}. */
export type AgentId = z.output<typeof agentIdSchema>;

/**
 * A non-blank session key that is not a malformed `agent:` key (agent-prefixed, bare or
 * sentinel); parses to the trimmed key (case kept).
 */
export const sessionKeySchema = z
  .string()
  .transform((value) => value.trim())
  .refine((value) => value.length > 0, { message: 'Session key must not be blank.' })
  .refine((value) => classifySessionKeyShape(value) !== 'malformed_agent', {
    message: 'Agent-prefixed session keys must use agent:<agent-id>:<session-key>.',
  });

/** Parsed output of {@link sessionKeySchema}. */
export type SessionKey = z.output<typeof sessionKeySchema>;

/** An agent-prefixed session key (`agent:<id>:<rest>`); parses to the trimmed key. */
export const agentSessionKeySchema = z
  .string()
  .transform((value) => value.trim())
  .refine((value) => classifySessionKeyShape(value) === 'agent', {
    message: 'Expected an agent-prefixed session key: agent:<agent-id>:<session-key>.',
  });

/** Parsed output of {@link agentSessionKeySchema}. */
export type AgentSessionKey = z.output<typeof agentSessionKeySchema>;

/** Input of `normalizeExplicitSessionKey` (types only; the rules live in the function). */
export const explicitSessionKeyInputSchema = z.object({
  sessionKey: z.string(),
  agentId: z.string().nullish(),
  defaultAgentId: z.string(),
  knownAgentIds: z.array(z.string()).nullish(),
});

/** Input type accepted by {@link explicitSessionKeyInputSchema}. */
export type ExplicitSessionKeyInputShape = z.input<typeof explicitSessionKeyInputSchema>;

/** Input of `resolveSubagentSessionKey` (types only). */
export const subagentSessionKeyInputSchema = z.object({
  targetAgentId: z.string(),
  sessionKey: z.string().nullish(),
  newId: z.custom<() => string>((value) => typeof value === 'function', {
    message: 'newId must be a function returning a string.',
  }),
});

/** Input of `deriveProcessScopeKey` (types only). */
export const processScopeKeyInputSchema = z.object({
  scopeKey: z.string().nullish(),
  sessionKey: z.string().nullish(),
  sessionId: z.string().nullish(),
  agentId: z.string().nullish(),
});
