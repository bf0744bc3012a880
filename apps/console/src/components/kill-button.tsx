import { useState } from 'preact/hooks';
import { segment } from '../api/api-client.js';
import { ConsoleError } from '../api/console-error.js';
import type { KillResult, ProcessTree, ProcessView } from '../api/types.js';
import { useApp, useCapability } from '../app-context.js';
import { ConfirmDialog } from './confirm-dialog.js';

/** What the dialog knows of the shell's tree: being counted, the gateway's count, or why there is none. */
export type TreeCount = { state: 'counting' } | { state: 'counted'; tree: ProcessTree } | { state: 'unknown'; reason: string };

/** How many processes a kill ends, in words: the gateway's count (`GET /v1/processes/:id/tree`) when it has one. Pure. */
export function killScopeText(shell: ProcessView, count: TreeCount): string {
  const who = `the shell${shell.pid ? ` (pid ${shell.pid})` : ''}`;
  if (count.state === 'counted') {
    const total = count.tree.processCount;
    const where = count.tree.isSandboxed ? 'its sandbox (pid namespace) and bwrap’s launcher' : `${who} and everything it started`;
    return `This ends ${total} process${total === 1 ? '' : 'es'} now running: ${where} (SIGTERM, then SIGKILL after the grace period).`;
  }
  const ends = `This ends ${who} and every process it started (SIGTERM, then SIGKILL after the grace period).`;
  return count.state === 'counting' ? `${ends} Counting its processes…` : `${ends} ${count.reason}`;
}

/** The announcement after a kill. Pure. */
export function killOutcomeText(result: KillResult): string {
  return result.status === 'killed'
    ? `Killed shell ${result.id}${result.signal ? ` (${result.signal})` : ''}`
    : `Shell ${result.id} had already exited`;
}

/** "Kill" with a confirmation naming the shell and what the kill ends; hidden when the token may not kill. */
export function KillButton(props: { shell: ProcessView; onKilled?: (result: KillResult, shell: ProcessView) => void }) {
  const { api, capabilities } = useApp();
  const mayKill = useCapability('processes:kill');
  const [isOpen, setOpen] = useState(false);
  const [isBusy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | undefined>(undefined);
  const [count, setCount] = useState<TreeCount>({ state: 'counting' });
  if (!mayKill || props.shell.status !== 'running') return message ? <span role="status">{message}</span> : null;
  // Counted when the dialog opens, so the number is the tree as it is now.
  const open = () => {
    setCount({ state: 'counting' });
    setOpen(true);
    api.get<ProcessTree>(`/v1/processes/${segment(props.shell.id)}/tree`).then(
      (tree) => setCount({ state: 'counted', tree }),
      (error: unknown) =>
        setCount({
          state: 'unknown',
          reason:
            ConsoleError.isInstance(error) && error.code === 'not_found'
              ? 'The gateway does not report how many processes that is.'
              : `Could not count them: ${error instanceof Error ? error.message : String(error)}`,
        }),
    );
  };
  const confirm = async () => {
    setBusy(true);
    try {
      const result = await capabilities.guard('processes:kill', () =>
        api.post<KillResult>(`/v1/processes/${segment(props.shell.id)}/kill`),
      );
      setMessage(killOutcomeText(result));
      props.onKilled?.(result, props.shell);
    } catch (error) {
      setMessage(
        ConsoleError.isInstance(error) && error.code === 'not_found'
          ? 'Not found'
          : `Kill failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    } finally {
      setBusy(false);
      setOpen(false);
    }
  };
  return (
    <>
      <button type="button" class="danger" onClick={() => open()} aria-haspopup="dialog">
        Kill<span class="visually-hidden"> shell {props.shell.id}</span>
      </button>
      {message && <span role="status">{message}</span>}
      <ConfirmDialog
        isOpen={isOpen}
        title={`Kill shell ${props.shell.id}?`}
        confirmLabel="Kill shell"
        isBusy={isBusy}
        onConfirm={() => void confirm()}
        onCancel={() => setOpen(false)}
      >
        <p data-testid="kill-scope" aria-live="polite">
          {killScopeText(props.shell, count)}
        </p>
        {props.shell.command && (
          <p>
            Command: <code>{props.shell.command}</code>
          </p>
        )}
        {props.shell.sessionKey && (
          <p>
            Session: <code>{props.shell.sessionKey}</code>
          </p>
        )}
      </ConfirmDialog>
    </>
  );
}

/** The sandbox status of a shell (`bwrap`, `none: <why>`), or `unknown` when the gateway does not report one. Pure. */
export function sandboxLabel(shell: ProcessView): string {
  const value = shell.sandbox;
  if (typeof value === 'string' && value !== '') return value;
  if (value && typeof value === 'object') {
    if ('isSandboxed' in value)
      return value.isSandboxed ? (value.backend ?? 'sandboxed') : `none${value.reason ? `: ${value.reason}` : ''}`;
    return value.status ?? value.mode ?? 'unknown';
  }
  return 'unknown';
}
