import { GatewayError } from '../errors.js';
import type { AuditLog } from './audit-log.js';
import type { AuditAction, AuditResult } from './audit-record.js';
import { requirePermission } from './authorize.js';
import type { Permission } from './capabilities.js';
import type { CredentialMetrics } from './credential-metrics.js';
import type { Identity } from './identity.js';

/** Who is asking and from where (what a guard needs of a request). */
export interface GuardedCaller {
  identity: Identity;
  /** `request.ip`. */
  sourceAddress: string;
}

/** What to write to the audit log about one guarded action. */
export interface AuditNote {
  action: AuditAction;
  /** `session:<key>`, `process:<id>`, `cron:<id>`, `token:<id>`, or `null`; the handler may fill it in (an id it creates). */
  target: string | null;
  /** A short note on success (a token's name); refusals record the error message. */
  detail?: string | null | undefined;
}

/** The route-side gate: permission first, then the handler; state-changing ones are audited. */
export interface RouteGuard {
  /**
   * Run `handler` when `caller` holds `permission` (403 otherwise, the same for every object).
   * A list of permissions means any one of them. With `audit`, one audit row records the outcome — `ok`, `refused` (403), `not_found` (404)
   * or `error` — whether the handler returned or threw.
   */
  run<T>(
    caller: GuardedCaller,
    permission: Permission | ReadonlyArray<Permission>,
    audit: AuditNote | undefined,
    handler: () => T | Promise<T>,
  ): Promise<T>;
}

/** Build the guard over the audit log and the per-credential metrics. */
export function createRouteGuard(options: { audit: AuditLog; metrics?: CredentialMetrics | undefined }): RouteGuard {
  const record = (caller: GuardedCaller, note: AuditNote, result: AuditResult, detail: string | null) =>
    options.audit.record({
      credentialId: caller.identity.credentialId,
      sourceAddress: caller.sourceAddress,
      action: note.action,
      target: note.target,
      result,
      detail,
    });
  return {
    async run(caller, permission, audit, handler) {
      try {
        requirePermission(caller.identity, permission);
      } catch (error) {
        options.metrics?.refusal(caller.identity.credentialId, 'capability');
        if (audit) record(caller, audit, 'refused', (error as Error).message);
        throw error;
      }
      if (!audit) return handler();
      try {
        const value = await handler();
        record(caller, audit, 'ok', audit.detail ?? null);
        return value;
      } catch (error) {
        const result: AuditResult = GatewayError.isInstance(error)
          ? error.status === 404
            ? 'not_found'
            : error.status === 403
              ? 'refused'
              : 'error'
          : 'error';
        record(caller, audit, result, error instanceof Error ? error.message : String(error));
        throw error;
      }
    },
  };
}
