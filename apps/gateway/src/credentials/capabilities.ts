import { z } from 'zod';

/**
 * What a scoped token may do, as `resource:verb`. Additive and default-deny: a token can do
 * exactly what its capabilities name, inside its scope, and nothing else. Unknown names are
 * refused when a token is minted (an exact match is required; there are no wildcards).
 */
export const CAPABILITIES = [
  'sessions:read',
  'sessions:write',
  'transcripts:read',
  'agent:run',
  'agent:spawn',
  'processes:read',
  'processes:exec',
  'processes:kill',
  'events:read',
  'cron:read',
  'cron:write',
  'tools:invoke',
  'plugins:call',
] as const;

/** One grantable capability. */
export type Capability = (typeof CAPABILITIES)[number];

/** zod schema of one grantable capability (the mint boundary). */
export const CapabilitySchema = z.enum(CAPABILITIES);

/**
 * Powers only the operator credential has; never grantable to a scoped token (minting one,
 * listing or revoking tokens, reading the audit log, `/metrics`, gateway-wide status).
 */
export const OPERATOR_ONLY = ['tokens:admin', 'audit:read', 'metrics:read'] as const;

/** An operator-only power. */
export type OperatorPower = (typeof OPERATOR_ONLY)[number];

/** Anything a route or an effect can require: a grantable capability or an operator-only power. */
export type Permission = Capability | OperatorPower;

/** One line per capability: what it grants (README table, `pincer token create --help`). */
export const CAPABILITY_DESCRIPTIONS: Readonly<Record<Capability, string>> = {
  'sessions:read': 'list and read sessions in scope (GET /v1/sessions, /v1/sessions/:key); the sessions_list tool',
  'sessions:write': 'reset and delete sessions in scope (POST /v1/sessions/:key/reset, DELETE /v1/sessions/:key)',
  'transcripts:read':
    'read transcripts and run replies in scope (GET /v1/sessions/:key/transcript, GET /v1/runs/:id); the sessions_history tool',
  'agent:run': 'start turns in sessions in scope (POST /v1/agent, POST /v1/inbound) and read their runs (GET /v1/runs/:id)',
  'agent:spawn': 'the sessions_spawn tool in runs this token started (children inherit the same ceiling)',
  'processes:read':
    'list shells and read their output in scope (GET /v1/processes, /v1/processes/:id/log, /v1/processes/:id/tree); process list/poll/log',
  'processes:exec': 'the exec tool and process write/send-keys/paste/submit in runs this token started',
  'processes:kill': 'kill shells in scope (POST /v1/processes/:id/kill); process kill/clear/remove',
  'events:read': 'stream events of sessions in scope (GET /v1/events)',
  'cron:read': 'list and read cron jobs owned by sessions in scope (GET /v1/cron, /v1/cron/:id, /v1/cron/:id/runs); cron list',
  'cron:write':
    'add, delete and run cron jobs owned by sessions in scope (POST /v1/cron, DELETE /v1/cron/:id, POST /v1/cron/:id/run); cron add/remove',
  'tools:invoke': 'POST /v1/tools/invoke in scope (the tool still needs its own capability) and plugin tools in runs this token started',
  'plugins:call': 'plugin routes that use gateway auth (the plugin sees the caller\u2019s identity and scope)',
};

/** Upper bound on how many capabilities one token carries (there are only this many). */
export const MAX_CAPABILITIES = CAPABILITIES.length;

/** Type guard: is `value` a grantable capability name? */
export function isCapability(value: unknown): value is Capability {
  return typeof value === 'string' && (CAPABILITIES as ReadonlyArray<string>).includes(value);
}

/** Type guard: is `value` an operator-only power? */
export function isOperatorPower(value: unknown): value is OperatorPower {
  return typeof value === 'string' && (OPERATOR_ONLY as ReadonlyArray<string>).includes(value);
}

/**
 * Sort and de-duplicate a capability list (the stored, canonical form), so two grants of the
 * same set compare equal and `pincer token list` shows them in one order.
 */
export function canonicalCapabilities(capabilities: Iterable<Capability>): Capability[] {
  const wanted = new Set(capabilities);
  return CAPABILITIES.filter((capability) => wanted.has(capability));
}
