import type { AuditEntry } from '../api/types.js';
import { useApp } from '../app-context.js';
import { Problem } from '../components/problem.js';
import { formatTime } from '../format.js';
import { useResource } from '../use-resource.js';

/** Reads the entries of a `GET /v1/audit` answer, whatever it wraps them in. Pure. */
export function auditEntries(body: unknown): AuditEntry[] {
  if (Array.isArray(body)) return body as AuditEntry[];
  const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  for (const name of ['entries', 'events', 'records', 'audit']) if (Array.isArray(record[name])) return record[name] as AuditEntry[];
  return [];
}

const when = (entry: AuditEntry): string => {
  const value = entry.at ?? entry.time;
  if (typeof value === 'number') return formatTime(value);
  return value ?? '—';
};

/** The audit log (`GET /v1/audit`, operator only); a gateway without it says so. */
export function AuditPage() {
  const { api } = useApp();
  const audit = useResource('audit', () => api.get<unknown>('/v1/audit'), { pollMs: 15_000 });
  const entries = auditEntries(audit.data);
  return (
    <>
      <h1 tabIndex={-1}>Audit log</h1>
      {audit.error?.code === 'not_found' ? (
        <div class="panel notice" role="status" data-testid="audit-unavailable">
          <h2>Not available on this gateway</h2>
          <p>
            This gateway has no audit log (<code>GET /v1/audit</code> answered 404). It comes with scoped credentials; upgrade the gateway
            to see who killed, reset or ran what.
          </p>
        </div>
      ) : audit.error && !audit.data ? (
        <Problem error={audit.error} what="The audit log" onRetry={audit.reload} />
      ) : !audit.data ? (
        <p role="status">Loading the audit log…</p>
      ) : entries.length === 0 ? (
        <p class="hint">No audit records.</p>
      ) : (
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region takes keyboard focus so it can be scrolled without a mouse (WCAG 2.1.1).
        <section class="table-wrap" tabIndex={0} aria-label="Audit records">
          <table class="data">
            <thead>
              <tr>
                <th scope="col">Time (UTC)</th>
                <th scope="col">Credential</th>
                <th scope="col">Source</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">Result</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((entry, index) => (
                <tr key={String(entry.id ?? index)}>
                  <td>{when(entry)}</td>
                  <td>{entry.credentialId ?? '—'}</td>
                  <td>{entry.source ?? '—'}</td>
                  <td>{entry.action ?? '—'}</td>
                  <td class="key">{entry.target ?? '—'}</td>
                  <td>{entry.result ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </>
  );
}
