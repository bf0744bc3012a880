import { Counter, type Registry } from 'prom-client';
import { createCredentialLabeler, DEFAULT_MAX_CREDENTIAL_LABELS } from './credential-labels.js';

/** Per-credential counters on `/metrics`, with a bounded number of distinct `credential` labels. */
export interface CredentialMetrics {
  /** One authenticated request by `credentialId`. */
  request(credentialId: string): void;
  /** One refusal (403 capability, 404 outside scope) of an authenticated request. */
  refusal(credentialId: string, reason: 'capability' | 'scope'): void;
  /** One failed authentication; `credentialId` only when it named a stored token, else `unknown`. */
  authFailure(credentialId: string | undefined, reason: string): void;
}

/**
 * Registers `pincer_credential_requests_total{credential}`,
 * `pincer_credential_refusals_total{credential,reason}` and
 * `pincer_credential_auth_failures_total{credential,reason}` on `registry`. At most
 * `maxCredentialLabels` ids (default 64) get their own label; the rest count as `other`.
 */
export function createCredentialMetrics(registry: Registry, maxCredentialLabels = DEFAULT_MAX_CREDENTIAL_LABELS): CredentialMetrics {
  const labeler = createCredentialLabeler(maxCredentialLabels);
  const registers = [registry];
  const requests = new Counter({
    name: 'pincer_credential_requests_total',
    help: 'Authenticated HTTP requests, by credential id (operator, tk_…, other beyond the label cap)',
    labelNames: ['credential'],
    registers,
  });
  const refusals = new Counter({
    name: 'pincer_credential_refusals_total',
    help: 'Authenticated requests refused for a missing capability or an object outside scope, by credential id',
    labelNames: ['credential', 'reason'],
    registers,
  });
  const failures = new Counter({
    name: 'pincer_credential_auth_failures_total',
    help: 'Failed authentications, by the stored token they named (unknown otherwise) and reason',
    labelNames: ['credential', 'reason'],
    registers,
  });
  return {
    request: (credentialId) => requests.inc({ credential: labeler.label(credentialId) }),
    refusal: (credentialId, reason) => refusals.inc({ credential: labeler.label(credentialId), reason }),
    authFailure: (credentialId, reason) =>
      failures.inc({ credential: credentialId === undefined ? 'unknown' : labeler.label(credentialId), reason }),
  };
}
