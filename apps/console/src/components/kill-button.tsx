import { useState } from 'preact/hooks';
import { segment } from '../api/api-client.js';
import { ConsoleError } from '../api/console-error.js';
import type { KillResult, ProcessView } from '../api/types.js';
import { useApp, useCapability } from '../app-context.js';
import { ConfirmDialog } from './confirm-dialog.js';

/** How many processes a kill ends, in words: the gateway's count when it reports one, else what it does say. */
export function killScopeText(shell: ProcessView): string {
  if (typeof shell.processCount === 'number') {
    return `This ends ${shell.processCount} process${shell.processCount === 1 ? '' : 'es'}: the shell${shell.pid ? ` (pid ${shell.pid})` : ''} and everything it started.`;
  }
  return `This ends the shell${shell.pid ? ` (pid ${shell.pid})` : ''} and every process it started (its whole process group: SIGTERM, then SIGKILL after the grace period). The gateway does not report how many processes that is.`;
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
  if (!mayKill || props.shell.status !== 'running') return message ? <span role="status">{message}</span> : null;
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
      <button type="button" class="danger" onClick={() => setOpen(true)} aria-haspopup="dialog">
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
        <p>{killScopeText(props.shell)}</p>
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

/** The sandbox status of a shell, or `unknown` when the gateway does not report one. */
export function sandboxLabel(shell: ProcessView): string {
  const value = shell.sandbox;
  if (typeof value === 'string' && value !== '') return value;
  if (value && typeof value === 'object') return value.status ?? value.mode ?? 'unknown';
  return 'unknown';
}
