import type { BashSessionSnapshot } from '@pincer/plugin-sdk/bash-sessions';

/** A running shell with how long it has been running. */
export interface ShellRuntime {
  readonly shell: BashSessionSnapshot;
  /** Milliseconds since the shell started, by the host clock (never negative). */
  readonly runtimeMs: number;
  /** True when `runtimeMs` is strictly greater than the limit. */
  readonly isOverLimit: boolean;
}

/** Measures every running shell against `maxRuntimeMs` at time `now` (epoch ms). Pure. */
export function measureShells(running: ReadonlyArray<BashSessionSnapshot>, now: number, maxRuntimeMs: number): ShellRuntime[] {
  return running
    .filter((shell) => shell.status === 'running')
    .map((shell) => {
      const runtimeMs = Math.max(0, now - shell.startedAt);
      return { shell, runtimeMs, isOverLimit: runtimeMs > maxRuntimeMs };
    });
}
