import type { BashSessionSnapshot } from './bash-session-types.js';

/**
 * One record of a host registry snapshot, as the SDK reads it. `@pincer/process-registry`'s
 * `ProcessSnapshot` satisfies it; extra fields are ignored (and stripped before any plugin sees
 * the record). It has exactly the fields a plugin's {@link BashSessionSnapshot} has.
 */
export type PluginHostRegistryRecord = BashSessionSnapshot;

/** An exit event as the host registry emits it (`@pincer/process-registry`'s `ExitEvent`). */
export interface PluginHostExitEvent {
  readonly id: string;
  readonly scopeKey: string;
  readonly sessionKey: string | undefined;
  readonly status: 'exited' | 'killed' | 'timeout' | 'spawn-error';
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly durationMs: number;
  readonly tail: string;
}

/**
 * The slice of a process registry the plugin host needs. `@pincer/process-registry`'s
 * `ProcessRegistry` satisfies it structurally, so the SDK's public types never name the
 * registry's own types.
 */
export interface PluginHostRegistry {
  /** Copies of every running and retained finished process, across all scopes. */
  snapshot(): {
    readonly running: ReadonlyArray<PluginHostRegistryRecord>;
    readonly finished: ReadonlyArray<PluginHostRegistryRecord>;
  };
  /** Kill one process tree by id through the registry's kill ceremony; resolves when it is gone. */
  killById(id: string): Promise<{ status: 'killed' | 'already-exited' | 'not-found'; signal?: string | undefined }>;
}

/** A registry that can also report exits (used to feed the `process_exit` plugin hook). */
export interface PluginHostExitSource {
  /** Subscribe to exit events; may return an unsubscribe function. */
  on(event: 'exit', listener: (event: PluginHostExitEvent) => void): unknown;
}
