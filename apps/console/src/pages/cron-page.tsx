import type { CronList } from '../api/types.js';
import { useApp } from '../app-context.js';
import { CronTable } from '../components/cron-table.js';
import { Problem } from '../components/problem.js';
import { useResource } from '../use-resource.js';

/** Every cron job the token may see, with Run now and Delete. */
export function CronPage() {
  const { api } = useApp();
  const cron = useResource('cron', () => api.get<CronList>('/v1/cron'), { pollMs: 10_000 });
  return (
    <>
      <h1 tabIndex={-1}>Cron jobs</h1>
      {cron.error && !cron.data ? (
        <Problem error={cron.error} what="Cron jobs" onRetry={cron.reload} />
      ) : !cron.data ? (
        <p role="status">Loading cron jobs…</p>
      ) : (
        <CronTable jobs={cron.data.jobs} caption="Cron jobs" showOwner emptyText="No cron jobs." onChanged={cron.reload} />
      )}
    </>
  );
}
