import { z } from 'zod';
import type { OutputChunk } from './output-buffer.js';
import { type Sandbox, type SandboxStatus, isSandbox } from './sandbox.js';

/** A non-blank scope key (trimmed). Derive it with `deriveProcessScopeKey` from `@pincer/session-key`. */
export const ScopeKeySchema = z.string().trim().min(1, 'scopeKey must not be blank').max(1024);

/** A session id (slug). */
export const ProcessIdSchema = z.string().trim().min(1, 'id must not be blank').max(256);

/** How the child's stdin is wired: `closed` (default, /dev/null), `pipe` (writable) or `pty` (pseudo-terminal). */
export const StdinModeSchema = z.enum(['closed', 'pipe', 'pty']);
/** @see StdinModeSchema */
export type StdinMode = z.infer<typeof StdinModeSchema>;

/** Lifecycle status of a session as shown to operators and in `list`. */
export type ProcessStatus = 'running' | 'completed' | 'failed' | 'killed' | 'timeout';

/** Input of `exec`. */
export const ExecInputSchema = z.object({
  /** Shell command, run through `bash -c` (or `/bin/sh -c` when bash is absent). */
  command: z
    .string()
    .min(1)
    .max(1_000_000)
    .refine((v) => v.trim().length > 0, 'command must not be blank'),
  /** Working directory; default the registry's `cwd`. */
  cwd: z.string().min(1).optional(),
  /** Extra environment variables, merged over the registry's base env and the non-interactive defaults. */
  env: z.record(z.string(), z.string()).optional(),
  /** The caller's scope: only this scope can ever see or touch the session. */
  scopeKey: ScopeKeySchema,
  /** Session key that owns the process (routing of exit notices). */
  sessionKey: z.string().trim().min(1).max(1024).optional(),
  /** Wait this long for the command to finish before returning `running`, ms (clamped 10–120 000; default 10 000). */
  yieldMs: z.number().min(0).optional(),
  /** Return `running` immediately. */
  background: z.boolean().optional(),
  /** Process lifetime, ms; 0 disables; default the registry's `defaultTimeoutMs` (1 800 000). */
  timeoutMs: z.number().int().min(0).optional(),
  /** Emit a notifiable exit event (default the registry's `notifyOnExit`, true). */
  notifyOnExit: z.boolean().optional(),
  /** Notify even for a successful run without output (default the registry's option, false). */
  notifyOnExitEmptySuccess: z.boolean().optional(),
  /** stdin wiring, default `closed`. */
  stdin: StdinModeSchema.optional(),
  /** Sandbox for this one shell (e.g. per agent), instead of the registry's. */
  sandbox: z.custom<Sandbox>((value) => isSandbox(value), 'sandbox must be a Sandbox (createBwrapSandbox)').optional(),
});
/** @see ExecInputSchema */
export type ExecInput = z.input<typeof ExecInputSchema>;

/** `{ scopeKey }` — the input of `list`. */
export const ScopeInputSchema = z.object({ scopeKey: ScopeKeySchema });
/** @see ScopeInputSchema */
export type ScopeInput = z.input<typeof ScopeInputSchema>;

/** `{ scopeKey, id }` — the input of `submit`, `kill`, `clear`, `remove`. */
export const SessionInputSchema = z.object({ scopeKey: ScopeKeySchema, id: ProcessIdSchema });
/** @see SessionInputSchema */
export type SessionInput = z.input<typeof SessionInputSchema>;

/** Input of `poll`: `waitMs` waits (up to 30 000 ms) for new output or exit. */
export const PollInputSchema = SessionInputSchema.extend({ waitMs: z.number().min(0).optional() });
/** @see PollInputSchema */
export type PollInput = z.input<typeof PollInputSchema>;

/** Input of `log`: line-based paging; both omitted → the last 200 lines. */
export const LogInputSchema = SessionInputSchema.extend({
  offset: z.number().min(0).optional(),
  limit: z.number().int().min(1).optional(),
});
/** @see LogInputSchema */
export type LogInput = z.input<typeof LogInputSchema>;

/** Input of `write`: `data` to stdin, then close it when `eof`. */
export const WriteInputSchema = SessionInputSchema.extend({
  data: z.string().max(1_000_000).default(''),
  eof: z.boolean().optional(),
});
/** @see WriteInputSchema */
export type WriteInput = z.input<typeof WriteInputSchema>;

/** Input of `sendKeys`: `literal` text, then `hex` bytes, then tmux-style `keys`. */
export const SendKeysInputSchema = SessionInputSchema.extend({
  keys: z.array(z.string().min(1)).max(1000).optional(),
  hex: z.array(z.string()).max(10_000).optional(),
  literal: z.string().max(100_000).optional(),
});
/** @see SendKeysInputSchema */
export type SendKeysInput = z.input<typeof SendKeysInputSchema>;

/** Input of `paste`: bracketed (`ESC[200~ … ESC[201~`) by default. */
export const PasteInputSchema = SessionInputSchema.extend({
  text: z.string().max(1_000_000),
  bracketed: z.boolean().optional(),
});
/** @see PasteInputSchema */
export type PasteInput = z.input<typeof PasteInputSchema>;

/** A record of a process a previous registry run left behind (from the journal). */
export const OrphanRecordSchema = z
  .object({
    id: ProcessIdSchema,
    /** Leader pid = process group id. Absent for a shell journaled just before its spawn (no pid was written). */
    pid: z.number().int().positive().optional(),
    /** `/proc/<pid>/stat` field 22 of the leader at spawn; given exactly when `pid` is. */
    procStartTime: z.number().int().min(0).optional(),
    /** Kernel boot id at spawn; a different boot means the process is long gone. */
    bootId: z.string().optional(),
    scopeKey: ScopeKeySchema,
  })
  .refine((record) => (record.pid === undefined) === (record.procStartTime === undefined), {
    message: 'pid and procStartTime go together',
    path: ['procStartTime'],
  });
/** @see OrphanRecordSchema */
export type OrphanRecord = z.input<typeof OrphanRecordSchema>;

/** Read-only DTO of one session (deep-frozen copy; no handle, stream or buffer escapes). */
export type ProcessSnapshot = Readonly<{
  id: string;
  pid: number | undefined;
  scopeKey: string;
  sessionKey: string | undefined;
  command: string;
  cwd: string;
  /** Epoch ms. */
  startedAt: number;
  /** Epoch ms; undefined while running. */
  endedAt: number | undefined;
  status: ProcessStatus;
  exitCode: number | null;
  signal: string | null;
  /** Last `tailChars` (2 000) chars of retained output. */
  tail: string;
  truncated: boolean;
  /** Whether the shell runs in a sandbox, and why not when it does not. */
  sandbox: SandboxStatus;
}>;

/** What the journal receives on start and exit: the snapshot plus what orphan reaping needs. */
export type ProcessJournalRecord = ProcessSnapshot &
  Readonly<{
    /** `/proc/<pid>/stat` field 22 of the leader (clock ticks since boot). */
    procStartTime: number | undefined;
    bootId: string | undefined;
    stdin: StdinMode;
    isBackgrounded: boolean;
    /** Why it ended: `exit`, `kill`, `operator-kill`, `timeout`, `dispose`, `remove`, `spawn-error`. */
    reason: string | undefined;
  }>;

/** Persistence hooks (the gateway implements them). Calls are synchronous; errors are logged and ignored. */
export interface ProcessJournal {
  /**
   * True when the journal already holds a process with this id (of any scope, any earlier run): the
   * registry then proposes another, so an id never repeats and no insert replaces another row.
   * A throw counts as taken.
   */
  isIdTaken?(id: string): boolean;
  /**
   * Once per session, before anything is spawned (`pid` and `procStartTime` undefined), so a crash in
   * the instant between spawn and `onStart` still leaves a row to reap by (the unsandboxed shell's
   * marker is its id). A throw refuses the spawn: the exec ends `failed` and nothing runs.
   */
  onBeforeSpawn?(record: ProcessJournalRecord): void;
  /** Once per session, right after spawn (or spawn failure), with the leader's pid and start time. */
  onStart?(record: ProcessJournalRecord): void;
  /** Batched output (every `journalFlushMs`, and before `onExit`); at most `maxOutputChars` per batch. */
  onOutput?(id: string, batch: ReadonlyArray<OutputChunk>, info: { readonly droppedChars: number }): void;
  /** Once per session, when it is final. */
  onExit?(record: ProcessJournalRecord): void;
}

/** One event per backgrounded session when it ends. */
export type ExitEvent = Readonly<{
  id: string;
  scopeKey: string;
  sessionKey: string | undefined;
  status: 'exited' | 'killed' | 'timeout' | 'spawn-error';
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
  tail: string;
  /** False after a requested kill, for an empty successful run (unless opted in), when `notifyOnExit` is false, once a poll observed the exit, and for `spawn-error` (exec already returned the failure). */
  shouldNotify: boolean;
}>;

/** Result of `exec` once it returned before the command finished. */
export type ExecRunningResult = Readonly<{
  status: 'running';
  id: string;
  pid: number | undefined;
  startedAt: number;
  tail: string;
  sandbox: SandboxStatus;
}>;

/** Result of `exec` for a command that finished within the yield window (foreground; not retained). */
export type ExecFinishedResult = Readonly<{
  status: Exclude<ProcessStatus, 'running'>;
  id: string;
  pid: number | undefined;
  exitCode: number | null;
  signal: string | null;
  /** Retained output (last `maxOutputChars`). */
  output: string;
  truncated: boolean;
  durationMs: number;
  /** Spawn error message, when the process could not start. */
  error?: string;
  sandbox: SandboxStatus;
}>;

/** @see ExecRunningResult @see ExecFinishedResult */
export type ExecResult = ExecRunningResult | ExecFinishedResult;

/** Result of `poll`. */
export type PollResult = Readonly<{
  id: string;
  status: ProcessStatus;
  /** Unread output since the previous poll, both streams in arrival order. */
  output: string;
  /** Unread chars dropped at the per-stream cap since the previous poll (use `log` for retained output). */
  droppedChars: number;
  exitCode: number | null;
  signal: string | null;
  truncated: boolean;
}>;

/** Result of `log`. */
export type LogResult = Readonly<{
  id: string;
  status: ProcessStatus;
  output: string;
  /** Index of the first returned line. */
  offset: number;
  lineCount: number;
  totalLines: number;
  totalChars: number;
  truncated: boolean;
  /** Paging hint when the default window hid earlier lines. */
  hint: string | undefined;
}>;

/** Result of `kill` and `killById`. */
export type KillResult = Readonly<{ status: 'killed' | 'already-exited' | 'not-found'; signal?: string }>;

/** Result of `write`, `sendKeys`, `paste`, `submit`. */
export type InputResult = Readonly<{ id: string; bytes: number; isStdinClosed: boolean; warnings: readonly string[] }>;

/** What `reapOrphans` did with one record. */
export type ReapOutcome = Readonly<{
  id: string;
  /** The record's pid; undefined for a pid-less record (found by its marker only). */
  pid: number | undefined;
  /** `killed`: the tree was still there and is gone now; `not-running`: nothing left; `pid-reused`: the pid belongs to another process now (left alone); `other-boot`: recorded in an earlier boot. */
  outcome: 'killed' | 'not-running' | 'pid-reused' | 'other-boot' | 'failed';
  signal?: string;
  error?: string;
}>;

/** Registry-wide counters (cheap; for metrics). */
export type ProcessRegistryStats = Readonly<{
  running: number;
  finished: number;
  /** Retained chars of finished sessions (bounded by `maxRetainedChars`, newest always kept). */
  finishedRetainedChars: number;
  /** All chars buffered by the registry (retained + unread, running and finished). */
  bufferedChars: number;
}>;
