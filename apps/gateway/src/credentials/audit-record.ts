import { z } from 'zod';

/**
 * State-changing actions the audit log records. Refused attempts are recorded too (with
 * `result` saying why), so a scoped token probing other sessions leaves a trail.
 */
export const AUDIT_ACTIONS = [
  'token.create',
  'token.revoke',
  'process.kill',
  'session.reset',
  'session.delete',
  'cron.add',
  'cron.delete',
  'cron.run',
  'tools.invoke',
  'config.change',
  'sandbox.change',
] as const;

/** One audited action. */
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** How an audited action ended. */
export const AUDIT_RESULTS = ['ok', 'refused', 'not_found', 'error'] as const;
/** @see AUDIT_RESULTS */
export type AuditResult = (typeof AUDIT_RESULTS)[number];

/** Longest stored `target` / `detail` / `sourceAddress` (characters); longer values are cut. */
export const AUDIT_MAX_FIELD_CHARS = 512;

/** Defaults of the audit log's retention (config `gateway.audit`). */
export const AUDIT_RETENTION_DEFAULTS = {
  /** Rows kept; the oldest beyond this are deleted. */
  maxRows: 100_000,
  /** Age after which rows are deleted, ms (30 days). */
  maxAgeMs: 30 * 24 * 60 * 60 * 1000,
  /** Appends between two pruning passes (pruning also runs at start). */
  pruneEveryAppends: 256,
} as const;

/** What a caller records. */
export interface AuditEntry {
  /** Epoch ms. */
  at: number;
  /** `operator`, a token id (`tk_…`) or `anonymous`. */
  credentialId: string;
  /** The request's source address (`request.ip`), or `internal` for gateway-initiated actions. */
  sourceAddress: string;
  action: AuditAction;
  /** What was acted on: `session:<key>`, `process:<id>`, `cron:<id>`, `token:<id>`; `null` if nothing. */
  target: string | null;
  result: AuditResult;
  /** A short note (the error message of a refusal, a token's name); `null` if none. */
  detail: string | null;
}

/** A stored audit row: the entry plus its sequence number (monotonic, never reused). */
export interface AuditRecord extends AuditEntry {
  seq: number;
}

/** zod schema of an audit row as `GET /v1/audit` answers it. */
export const AuditRecordSchema = z.object({
  seq: z.number().int(),
  at: z.number().int(),
  credentialId: z.string(),
  sourceAddress: z.string(),
  action: z.enum(AUDIT_ACTIONS),
  target: z.string().nullable(),
  result: z.enum(AUDIT_RESULTS),
  detail: z.string().nullable(),
});

/** Most rows one `GET /v1/audit` returns. */
export const AUDIT_MAX_PAGE = 1_000;
/** Rows `GET /v1/audit` returns without `limit`. */
export const AUDIT_DEFAULT_PAGE = 100;

/** Query of `GET /v1/audit` (`since` in epoch ms; `afterSeq` to page on). */
export const AuditQuerySchema = z
  .object({
    since: z.coerce.number().int().min(0).optional(),
    afterSeq: z.coerce.number().int().min(0).optional(),
    limit: z.coerce.number().int().min(1).max(AUDIT_MAX_PAGE).optional(),
  })
  .strict();
/** @see AuditQuerySchema */
export type AuditQuery = z.infer<typeof AuditQuerySchema>;

/** Cut a free-text field to {@link AUDIT_MAX_FIELD_CHARS}. */
export function clipAuditField(value: string): string;
export function clipAuditField(value: string | null): string | null;
export function clipAuditField(value: string | null): string | null {
  if (value === null) return null;
  return value.length > AUDIT_MAX_FIELD_CHARS ? `${value.slice(0, AUDIT_MAX_FIELD_CHARS - 1)}…` : value;
}
