import type { BashSessionKillResult, BashSessions } from './bash-session-types.js';
import { createBashSessionView } from './bash-session-view.js';
import { PluginSdkError } from './errors.js';
import { readHostSlot } from './host-binding.js';
import type { PluginHostRegistry } from './registry-port.js';

export {
  BASH_SESSION_ID_MAX_LENGTH,
  bashSessionIdSchema,
  bashSessionKillResultSchema,
  bashSessionSandboxStatusSchema,
  bashSessionSnapshotSchema,
  bashSessionStatusSchema,
  finishedBashSessionSnapshotSchema,
  finishedBashSessionStatusSchema,
} from './bash-session-types.js';
export type {
  BashSessionKillResult,
  BashSessionSandboxStatus,
  BashSessionSnapshot,
  BashSessionStatus,
  BashSessions,
  BashSessionsApi,
  FinishedBashSessionSnapshot,
  FinishedBashSessionStatus,
} from './bash-session-types.js';
export { PluginSdkError } from './errors.js';
export type { PluginSdkErrorCode } from './errors.js';

function boundRegistry(): PluginHostRegistry {
  const registry = readHostSlot()?.current();
  if (!registry) {
    throw new PluginSdkError(
      'NO_HOST',
      'No Pincer plugin host is bound in this process: bash sessions are only available inside a running gateway (or after the host calls bindPluginHost from @pincer/plugin-sdk/host).',
    );
  }
  return registry;
}

const view = createBashSessionView(boundRegistry);

/**
 * Returns immutable, deep-frozen copies of every background shell the running gateway's process
 * registry holds, across all scopes: `{ running, finished }`. Each call reads live state; a shell
 * started after a call is absent from that call's result and present in the next.
 *
 * @throws PluginSdkError `NO_HOST` outside a running gateway (no host bound);
 *   `INVALID_SNAPSHOT` if the registry returned malformed data.
 */
export function loadBashSessions(): BashSessions {
  return view.loadBashSessions();
}

/**
 * Kills one background shell's whole process tree through the registry's own kill ceremony (the
 * same code as the `process` tool's `kill`: graceful signal, grace period, forced kill) and
 * resolves only once the tree is gone.
 *
 * @param id registry process id, as in `BashSessionSnapshot.id` (1–256 characters).
 * @returns `{ status: 'killed', signal }`, `{ status: 'already-exited' }` or `{ status: 'not-found' }`.
 * @throws PluginSdkError (as a rejection) `NO_HOST` outside a running gateway, `INVALID_INPUT`
 *   for a malformed id, `KILL_FAILED` if the registry's ceremony failed.
 */
export async function killBashSession(id: string): Promise<BashSessionKillResult> {
  return view.killBashSession(id);
}
