import type { KillResult, ProcessView } from '../api/types.js';
import { formatTime } from '../format.js';
import { pathFor } from '../router.js';
import { KillButton, sandboxLabel } from './kill-button.js';
import { Link } from './link.js';
import { StatusBadge } from './status-badge.js';

/** A table of shells with links, status, sandbox status and a Kill button for running ones. */
export function ShellsTable(props: {
  shells: ReadonlyArray<ProcessView>;
  caption: string;
  showSession?: boolean;
  onKilled?: (result: KillResult, shell: ProcessView) => void;
}) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region takes keyboard focus so it can be scrolled without a mouse (WCAG 2.1.1).
    <section class="table-wrap" tabIndex={0} aria-label={props.caption}>
      <table class="data" data-testid="shells-table">
        <caption class="visually-hidden">{props.caption}</caption>
        <thead>
          <tr>
            <th scope="col">Shell</th>
            {props.showSession && <th scope="col">Session</th>}
            <th scope="col">Command</th>
            <th scope="col">Status</th>
            <th scope="col">Sandbox</th>
            <th scope="col" class="num">
              Pid
            </th>
            <th scope="col">Started (UTC)</th>
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {props.shells.map((shell) => (
            <tr key={shell.id} data-shell-id={shell.id}>
              <td>
                <Link href={pathFor({ name: 'shell', id: shell.id })}>{shell.id}</Link>
              </td>
              {props.showSession && (
                <td class="key">
                  {shell.sessionKey ? <Link href={pathFor({ name: 'session', key: shell.sessionKey })}>{shell.sessionKey}</Link> : '—'}
                </td>
              )}
              <td class="command">
                <code>{shell.command ?? '—'}</code>
              </td>
              <td>
                <StatusBadge status={shell.status} />
                {shell.exitCode !== undefined && shell.exitCode !== null && <span class="hint"> exit {shell.exitCode}</span>}
                {shell.signal && <span class="hint"> {shell.signal}</span>}
              </td>
              <td>{sandboxLabel(shell)}</td>
              <td class="num">{shell.pid ?? '—'}</td>
              <td>{formatTime(shell.startedAt)}</td>
              <td class="actions">
                <KillButton shell={shell} {...(props.onKilled ? { onKilled: props.onKilled } : {})} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
