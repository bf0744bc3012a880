import { z } from 'zod';
import type { EnvDenial } from './child-env.js';
import type { Sandbox } from './sandbox.js';
import type { ProcessJournal } from './types.js';

/** Numeric and boolean settings of a registry; every field optional with the documented default. */
export const ProcessRegistryLimitsSchema = z.object({
  /** Shell used as `<shell> -c <command>`; default `/bin/bash` when present, else `/bin/sh`. */
  shell: z.string().min(1).optional(),
  /** Default working directory; default `process.cwd()`. */
  cwd: z.string().min(1).optional(),
  /** Default yield window of `exec`, ms (10–120 000). */
  defaultYieldMs: z.number().int().min(10).max(120_000).default(10_000),
  /** Default process lifetime, ms; 0 disables (max 2 147 483 647). */
  defaultTimeoutMs: z.number().int().min(0).max(2_147_483_647).default(1_800_000),
  /** Retained output per session, chars (oldest dropped, `truncated: true`). */
  maxOutputChars: z.number().int().min(1_000).max(50_000_000).default(200_000),
  /** Unread output per stream between polls, chars (never more than `maxOutputChars`). */
  maxPendingChars: z.number().int().min(1_000).max(50_000_000).default(30_000),
  /** Length of `tail`, chars. */
  tailChars: z.number().int().min(0).max(100_000).default(2_000),
  /** How long a finished background session stays readable, ms from exit (1 min – 3 h). */
  finishedTtlMs: z.number().int().min(60_000).max(10_800_000).default(1_800_000),
  /** Finished sessions kept at most (oldest evicted first). */
  maxFinished: z.number().int().min(1).max(100_000).default(50),
  /** Retained chars over all finished sessions (oldest evicted first; the newest is always kept). */
  maxRetainedChars: z.number().int().min(1_000).max(1_000_000_000).default(2_000_000),
  /** Running sessions at most; `exec` beyond it fails with `LIMIT_EXCEEDED`. */
  maxRunning: z.number().int().min(1).max(10_000).default(64),
  /** Grace between SIGTERM and SIGKILL, ms (0–60 000). */
  killGraceMs: z.number().int().min(0).max(60_000).default(3_000),
  /** Bound on waiting for the OS to confirm a killed tree is gone, ms. */
  killConfirmTimeoutMs: z.number().int().min(100).max(120_000).default(5_000),
  /** /proc polling interval during a kill, ms. */
  killPollIntervalMs: z.number().int().min(1).max(1_000).default(10),
  /** After the leader exits, wait this long for its stdio to close before looking for leftovers, ms. */
  exitDrainMs: z.number().int().min(0).max(60_000).default(250),
  /**
   * When `exitDrainMs` ran out but no process of the group is left (so nothing can still write),
   * keep reading the buffered output until the pipes close, at most this long, ms. A busy event
   * loop can fire the drain timer before it has read what the exited shell wrote last.
   */
  exitCloseTimeoutMs: z.number().int().min(0).max(120_000).default(5_000),
  /** Run the kill ceremony on processes left in the group after the leader exited. */
  killLeftoversOnExit: z.boolean().default(true),
  /** Default of `exec`'s `notifyOnExit`. */
  notifyOnExit: z.boolean().default(true),
  /** Default of `exec`'s `notifyOnExitEmptySuccess`. */
  notifyOnExitEmptySuccess: z.boolean().default(false),
  /** Journal output batching interval, ms. */
  journalFlushMs: z.number().int().min(1).max(60_000).default(200),
  /** Lines `log` returns when neither `offset` nor `limit` is given. */
  logDefaultLines: z.number().int().min(1).max(100_000).default(200),
  /** Upper bound of `poll`'s `waitMs`, ms. */
  maxPollWaitMs: z.number().int().min(0).max(300_000).default(30_000),
});
/** Parsed limits with defaults applied. */
export type ProcessRegistryLimits = z.output<typeof ProcessRegistryLimitsSchema>;

/** Injected time source. `setTimeout`/`clearTimeout` drive TTLs, timeouts, yield windows and poll waits. */
export interface Clock {
  /** Epoch ms. */
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Minimal logger; registry internals report swallowed errors (journal, listeners) here. */
export interface ProcessRegistryLogger {
  warn(message: string, meta?: Record<string, unknown>): void;
}

/** Options of `createProcessRegistry` (all optional). */
export type ProcessRegistryOptions = z.input<typeof ProcessRegistryLimitsSchema> & {
  /**
   * The environment the allowlist (`PATH`, `LANG`, `LC_*`, `TERM`, `TZ`, `HOME`, `USER`) and `passEnv`
   * names are read from; default `process.env`. Nothing else of it reaches a child.
   */
  env?: Readonly<Record<string, string | undefined>>;
  /** More names children get from `env` when set (the deny rule still applies). */
  passEnv?: readonly string[];
  /** Fixed values every child gets (the deny rule still applies). */
  fixedEnv?: Readonly<Record<string, string>>;
  /** Names never passed to a child, even when listed in `passEnv`, `fixedEnv` or an exec's `env` (exact match). */
  deniedEnvNames?: readonly string[];
  /** Prefixes never passed to a child (e.g. `PINCER_`), with the same reach as `deniedEnvNames`. */
  deniedEnvPrefixes?: readonly string[];
  /** Called for each denied name: once at creation for `passEnv`/`fixedEnv`, per exec for its `env`. Default: `logger.warn`. */
  onEnvDenied?: (denial: EnvDenial) => void;
  /** Sandbox backend for every shell (`createBwrapSandbox`); an exec's own `sandbox` overrides it. Default: none (unsandboxed). */
  sandbox?: Sandbox;
  /** Where procfs is expected (default `/proc`); the registry refuses to start (`UNSUPPORTED_PLATFORM`) without it. It always reads `/proc`. */
  procRoot?: string;
  /** Time source; default real time (timers unref'd). */
  clock?: Clock;
  /**
   * Proposes an id; `attempt` counts collisions (in memory or, through `journal.isIdTaken`, in the
   * journal). After 16 taken proposals the registry appends random 8-char suffixes itself. Default:
   * a slug and a random suffix (`amber-atlas-k3f9x2`). Unsandboxed shells carry their id as their
   * env marker, so a custom generator must give ids unique on the host, not only in this registry.
   */
  idGenerator?: (attempt: number) => string;
  /** Persistence hooks. */
  journal?: ProcessJournal;
  logger?: ProcessRegistryLogger;
};

/** The real clock: `Date.now` and unref'd timers. */
export function createSystemClock(): Clock {
  return {
    now: () => Date.now(),
    setTimeout: (callback, ms) => {
      const handle = setTimeout(callback, ms);
      handle.unref();
      return handle;
    },
    clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  };
}
