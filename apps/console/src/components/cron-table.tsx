import { useState } from 'preact/hooks';
import { segment } from '../api/api-client.js';
import type { CronJob } from '../api/types.js';
import { useApp, useCapability } from '../app-context.js';
import { formatDuration, formatTime } from '../format.js';
import { pathFor } from '../router.js';
import { ConfirmDialog } from './confirm-dialog.js';
import { Link } from './link.js';

/** A cron schedule in words. Pure. */
export function describeSchedule(job: CronJob): string {
  const schedule = job.schedule;
  if (!schedule) return '—';
  if (schedule.kind === 'every' && typeof schedule.every === 'number') return `every ${formatDuration(schedule.every)}`;
  if (schedule.kind === 'every' && typeof schedule.every === 'string') return `every ${schedule.every}`;
  if (schedule.kind === 'at' && schedule.at !== undefined)
    return `once at ${typeof schedule.at === 'number' ? formatTime(schedule.at) : schedule.at}`;
  const expression = schedule.cron ?? schedule.expr;
  if (expression) return `cron ${expression}${schedule.tz ? ` (${schedule.tz})` : ''}`;
  return schedule.kind;
}

/** Cron jobs with "Run now" and "Delete" (confirmed) when the token may write cron jobs. */
export function CronTable(props: {
  jobs: ReadonlyArray<CronJob>;
  caption: string;
  showOwner?: boolean;
  emptyText: string;
  onChanged: () => void;
}) {
  const { api, capabilities } = useApp();
  const mayWrite = useCapability('cron:write');
  const [pendingDelete, setPendingDelete] = useState<CronJob | undefined>(undefined);
  const [message, setMessage] = useState<string | undefined>(undefined);
  const [isBusy, setBusy] = useState(false);
  const act = async (what: string, action: () => Promise<unknown>) => {
    setBusy(true);
    try {
      await capabilities.guard('cron:write', action);
      setMessage(what);
    } catch (error) {
      setMessage(`Failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      setBusy(false);
      props.onChanged();
    }
  };
  return (
    <>
      <p role="status" class="summary" data-testid="cron-outcome">
        {message ?? ''}
      </p>
      {props.jobs.length === 0 ? (
        <p class="hint">{props.emptyText}</p>
      ) : (
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region takes keyboard focus so it can be scrolled without a mouse (WCAG 2.1.1).
        <section class="table-wrap" tabIndex={0} aria-label={props.caption}>
          <table class="data" data-testid="cron-table">
            <caption class="visually-hidden">{props.caption}</caption>
            <thead>
              <tr>
                <th scope="col">Job</th>
                {props.showOwner && <th scope="col">Session</th>}
                <th scope="col">Schedule</th>
                <th scope="col">Does</th>
                <th scope="col">Next run (UTC)</th>
                <th scope="col">Last run</th>
                {mayWrite && (
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {props.jobs.map((job) => (
                <tr key={job.id}>
                  <td>
                    {job.name ?? '(unnamed)'}
                    <div class="hint">
                      <code>{job.id}</code>
                    </div>
                  </td>
                  {props.showOwner && (
                    <td class="key">
                      {job.ownerSessionKey ? (
                        <Link href={pathFor({ name: 'session', key: job.ownerSessionKey })}>{job.ownerSessionKey}</Link>
                      ) : (
                        '—'
                      )}
                    </td>
                  )}
                  <td>
                    {describeSchedule(job)}
                    {job.enabled === false ? ' (disabled)' : ''}
                  </td>
                  <td>
                    {job.payload?.kind ?? '—'}: {job.payload?.text ?? job.payload?.message ?? ''}
                  </td>
                  <td>{formatTime(job.state?.nextRunAtMs)}</td>
                  <td>
                    {job.state?.lastStatus ?? 'never'} {job.state?.lastRunAtMs ? formatTime(job.state.lastRunAtMs) : ''}
                  </td>
                  {mayWrite && (
                    <td class="actions">
                      <button
                        type="button"
                        disabled={isBusy}
                        onClick={() => void act(`Ran ${job.name ?? job.id}`, () => api.post(`/v1/cron/${segment(job.id)}/run`))}
                      >
                        Run now<span class="visually-hidden"> {job.name ?? job.id}</span>
                      </button>
                      <button type="button" class="danger" disabled={isBusy} aria-haspopup="dialog" onClick={() => setPendingDelete(job)}>
                        Delete<span class="visually-hidden"> {job.name ?? job.id}</span>
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
      <ConfirmDialog
        isOpen={pendingDelete !== undefined}
        title={`Delete cron job ${pendingDelete?.name ?? pendingDelete?.id ?? ''}?`}
        confirmLabel="Delete job"
        isBusy={isBusy}
        onCancel={() => setPendingDelete(undefined)}
        onConfirm={() => {
          const job = pendingDelete;
          setPendingDelete(undefined);
          if (job) void act(`Deleted ${job.name ?? job.id}`, () => api.delete(`/v1/cron/${segment(job.id)}`));
        }}
      >
        <p>The job stops for good; its run history goes with it.</p>
      </ConfirmDialog>
    </>
  );
}
