import { useState } from 'preact/hooks';
import type { ProcessList, ProcessView } from '../api/types.js';
import { killOutcomeText } from '../components/kill-button.js';
import { useApp } from '../app-context.js';
import { Problem } from '../components/problem.js';
import { ShellsTable } from '../components/shells-table.js';
import { CONSOLE_BASE, navigate } from '../router.js';
import { useResource } from '../use-resource.js';

/** How often the shells list refreshes, ms (the gateway has no cross-session event stream). */
export const SHELLS_POLL_MS = 2_000;

type Show = 'running' | 'finished' | 'all';

/** Running first (newest first), then finished (newest first). Pure. */
export function orderShells(shells: ReadonlyArray<ProcessView>, show: Show): ProcessView[] {
  const isRunning = (shell: ProcessView) => shell.status === 'running';
  return shells
    .filter((shell) => show === 'all' || (show === 'running') === isRunning(shell))
    .sort((left, right) => Number(isRunning(right)) - Number(isRunning(left)) || (right.startedAt ?? 0) - (left.startedAt ?? 0));
}

/** Shells across sessions, running and finished, with Kill. */
export function ShellsPage(props: { search: string }) {
  const { api } = useApp();
  const show = (new URLSearchParams(props.search).get('show') ?? 'all') as Show;
  const shells = useResource('shells', () => api.get<ProcessList>('/v1/processes'), { pollMs: SHELLS_POLL_MS });
  const list = orderShells(shells.data?.processes ?? [], show);
  const [outcome, setOutcome] = useState('');
  const running = (shells.data?.processes ?? []).filter((shell) => shell.status === 'running').length;
  return (
    <>
      <h1 tabIndex={-1}>Shells</h1>
      <p role="status" class="summary" data-testid="kill-outcome">
        {outcome}
      </p>
      <fieldset class="toolbar segmented">
        <legend>Show</legend>
        {(['all', 'running', 'finished'] as const).map((value) => (
          <label key={value}>
            <input
              type="radio"
              name="show"
              value={value}
              checked={show === value}
              onChange={() => navigate(`${CONSOLE_BASE}/shells${value === 'all' ? '' : `?show=${value}`}`, { replace: true })}
            />
            {value}
          </label>
        ))}
      </fieldset>
      {shells.error && !shells.data ? (
        <Problem error={shells.error} what="Shells" onRetry={shells.reload} />
      ) : !shells.data ? (
        <p role="status">Loading shells…</p>
      ) : (
        <>
          <p class="summary">
            {running} running, {shells.data.processes.length - running} finished. Refreshes every {SHELLS_POLL_MS / 1000} s.
          </p>
          {list.length === 0 ? (
            <p class="hint">No shells to show.</p>
          ) : (
            <ShellsTable
              shells={list}
              caption="Shells across sessions"
              showSession
              onKilled={(result) => {
                setOutcome(killOutcomeText(result));
                shells.reload();
              }}
            />
          )}
        </>
      )}
    </>
  );
}
