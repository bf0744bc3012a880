import { existsSync, statSync } from 'node:fs';
// biome-ignore lint/style/noRestrictedImports: the kill ceremony and exit drain wait on real processes in wall-clock time (grace against /proc); a fake clock cannot make a real process exit.
import { setTimeout as sleep } from 'node:timers/promises';
import type { z } from 'zod';
import { type ChildEnvPolicy, type EnvDenial, buildChildEnv, deniedPolicyNames } from './child-env.js';
import { ProcessRegistryError, notFound } from './errors.js';
import { type KillCeremonyResult, PROCESS_MARKER_ENV, runKillCeremony } from './kill-tree.js';
import {
  type NamespaceKillTarget,
  createNamespaceScanner,
  discoverNamespace,
  namespaceFromInfo,
  runNamespaceKillCeremony,
} from './namespace-kill.js';
import { type Clock, type ProcessRegistryOptions, ProcessRegistryLimitsSchema, createSystemClock } from './options.js';
import { type OutputStream, SessionOutput, UnreadOutput } from './output-buffer.js';
import { type ProcIdentity, hasProcfs, isIdentityAlive, processGroupExists, readBootId, readProcStat, sendSignal } from './proc.js';
import { type CursorKeyMode, bracketPaste, decodeHexBytes, encodeKeys, nextCursorKeyMode } from './pty-keys.js';
import { allocateUniqueId, createProcessId } from './slug.js';
import type { SandboxDecision, SandboxLaunch, SandboxStatus } from './sandbox.js';
import { type LeaderExit, type ProcessHandle, type PtyModule, loadPtyModule, spawnChild, spawnPty } from './spawn.js';
import {
  type ExecInput,
  ExecInputSchema,
  type ExecResult,
  type ExitEvent,
  type InputResult,
  type KillResult,
  type LogInput,
  LogInputSchema,
  type LogResult,
  type OrphanRecord,
  OrphanRecordSchema,
  type PasteInput,
  PasteInputSchema,
  type PollInput,
  PollInputSchema,
  type PollResult,
  type ProcessJournalRecord,
  type ProcessRegistryStats,
  type ProcessSnapshot,
  type ProcessStatus,
  type ReapOutcome,
  type ScopeInput,
  ScopeInputSchema,
  type SendKeysInput,
  SendKeysInputSchema,
  type SessionInput,
  SessionInputSchema,
  type StdinMode,
  type WriteInput,
  WriteInputSchema,
} from './types.js';

/** A registry of background shells, isolated per scope. Create one with `createProcessRegistry`. */
export interface ProcessRegistry {
  /** Runs a command in its own process group; resolves finished, or `running` after the yield window / with `background`. */
  exec(input: ExecInput): Promise<ExecResult>;
  /** Background sessions of the scope (running and retained finished), newest first. */
  list(input: ScopeInput): ProcessSnapshot[];
  /** Drains unread output and reports status; `waitMs` (≤ 30 000) waits for output or exit. */
  poll(input: PollInput): Promise<PollResult>;
  /** Pages retained output by lines (default: the last 200). */
  log(input: LogInput): LogResult;
  /** Writes to stdin (`stdin: 'pipe' | 'pty'`), then closes it when `eof`. */
  write(input: WriteInput): InputResult;
  /** Sends literal text, hex bytes and tmux-style keys (`Enter`, `C-c`, `Up`, …). */
  sendKeys(input: SendKeysInput): InputResult;
  /** Pastes text, bracketed (`ESC[200~…ESC[201~`) unless `bracketed: false`. */
  paste(input: PasteInput): InputResult;
  /** Sends CR. */
  submit(input: SessionInput): InputResult;
  /** Kill ceremony; resolves when the whole tree is gone. Finished sessions: quiet `already-exited`. */
  kill(input: SessionInput): Promise<KillResult>;
  /** Forgets a finished session of the scope. */
  clear(input: SessionInput): void;
  /** Kills (if running) and forgets a session of the scope; no notification. */
  remove(input: SessionInput): Promise<void>;
  /** Subscribes to exit events (one per backgrounded session); returns an unsubscribe function. */
  on(event: 'exit', listener: (event: ExitEvent) => void): () => void;
  /** Deep-frozen copies of every running (foreground too) and retained finished session, for operators. */
  snapshot(): { running: ReadonlyArray<ProcessSnapshot>; finished: ReadonlyArray<ProcessSnapshot> };
  /** Operator kill by id across scopes, with the same ceremony as `kill`. */
  killById(id: string): Promise<KillResult>;
  /** Kills process trees a previous run left behind, never a reused pid. */
  reapOrphans(records: ReadonlyArray<OrphanRecord>): Promise<ReapOutcome[]>;
  /** Cheap counters for metrics. */
  stats(): ProcessRegistryStats;
  /** Kills everything still running (full ceremony), flushes the journal and clears every timer. */
  dispose(): Promise<void>;
}

type KillReason = 'kill' | 'operator-kill' | 'timeout' | 'dispose' | 'remove' | 'leftover';

type Outcome =
  | { kind: 'exit'; exit: LeaderExit }
  | { kind: 'killed' | 'timeout'; exit: LeaderExit; reason: KillReason }
  | { kind: 'spawn-error'; error: string };

interface Session {
  readonly id: string;
  readonly scopeKey: string;
  readonly sessionKey: string | undefined;
  readonly command: string;
  readonly cwd: string;
  readonly startedAt: number;
  readonly stdin: StdinMode;
  readonly notifyOnExit: boolean;
  readonly notifyOnExitEmptySuccess: boolean;
  readonly output: SessionOutput;
  readonly journalBuffer: UnreadOutput | undefined;
  readonly ttlMs: number;
  pid: number | undefined;
  leader: ProcIdentity | undefined;
  handle: ProcessHandle | undefined;
  status: ProcessStatus;
  exitCode: number | null;
  signal: string | null;
  endedAt: number | undefined;
  expiresAt: number | undefined;
  reason: string | undefined;
  spawnError: string | undefined;
  eventStatus: ExitEvent['status'] | undefined;
  isBackgrounded: boolean;
  isRemoved: boolean;
  isKillRequested: boolean;
  isFinal: boolean;
  terminalPollObserved: boolean;
  leaderExit: LeaderExit | undefined;
  killPromise: Promise<KillResult> | undefined;
  timeoutTimer: unknown;
  cursorKeyMode: CursorKeyMode;
  readonly waiters: Set<() => void>;
  readonly done: Promise<void>;
  resolveDone: () => void;
  /** Settles once the spawn attempt finished (a kill waits for it so nothing starts unseen). */
  readonly spawned: Promise<void>;
  resolveSpawned: () => void;
  readonly sandbox: SandboxStatus;
  /** Sandboxed shells: resolves to the pid namespace once bwrap reported it (undefined if it never made one). */
  namespace: Promise<NamespaceKillTarget | undefined> | undefined;
  /** The resolved `namespace`, for synchronous checks. */
  namespaceTarget: NamespaceKillTarget | undefined;
}

function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.map(String).join('.') || undefined;
  throw new ProcessRegistryError(
    'INVALID_INPUT',
    `Invalid input${field ? ` at "${field}"` : ''}: ${issue?.message ?? 'validation failed'}.`,
    field === undefined ? { cause: result.error } : { cause: result.error, field },
  );
}

function deepFreeze<T extends object>(value: T): T {
  return Object.freeze(value);
}

/**
 * Creates a process registry: an instance holding background shells, each owned by one scope.
 * Nothing in one scope can see, read, write to or kill another scope's processes.
 */
export function createProcessRegistry(options: ProcessRegistryOptions = {}): ProcessRegistry {
  const {
    env: baseEnvOption,
    passEnv,
    fixedEnv,
    deniedEnvNames,
    deniedEnvPrefixes,
    onEnvDenied,
    sandbox: defaultSandbox,
    procRoot,
    clock: clockOption,
    idGenerator,
    journal,
    logger,
    ...limitInput
  } = options;
  if (process.platform !== 'linux' || !hasProcfs(procRoot ?? '/proc')) {
    throw new ProcessRegistryError(
      'UNSUPPORTED_PLATFORM',
      `The process registry needs Linux with procfs at ${procRoot ?? '/proc'} (this is ${process.platform}); without it kills cannot be confirmed.`,
    );
  }
  const limits = parse(ProcessRegistryLimitsSchema, limitInput);
  const clock: Clock = clockOption ?? createSystemClock();
  const shell = limits.shell ?? (existsSync('/bin/bash') ? '/bin/bash' : '/bin/sh');
  const defaultCwd = limits.cwd ?? process.cwd();
  const envPolicy: ChildEnvPolicy = {
    source: baseEnvOption ?? process.env,
    passEnv: [...(passEnv ?? [])],
    fixedEnv: { ...(fixedEnv ?? {}) },
    // The marker is the registry's alone: no config list and no exec's env can set or spoof it.
    deniedNames: [...(deniedEnvNames ?? []), PROCESS_MARKER_ENV],
    deniedPrefixes: [...(deniedEnvPrefixes ?? [])],
  };
  const scanner = createNamespaceScanner();
  const generateId = idGenerator ?? ((attempt: number) => createProcessId(attempt));
  const bootId = readBootId();
  const ceremony = {
    graceMs: limits.killGraceMs,
    confirmTimeoutMs: limits.killConfirmTimeoutMs,
    pollIntervalMs: limits.killPollIntervalMs,
  };

  const running = new Map<string, Session>();
  const finished = new Map<string, Session>();
  const listeners = new Set<(event: ExitEvent) => void>();
  const pendingEmits = new Set<NodeJS.Immediate>();
  let isDisposed = false;
  let ptyModule: Promise<PtyModule> | undefined;
  let sweepTimer: unknown;
  let sweepAt = Number.POSITIVE_INFINITY;
  let journalTimer: unknown;
  const journalDirty = new Set<Session>();

  const warn = (message: string, meta?: Record<string, unknown>): void => {
    try {
      logger?.warn(message, meta);
    } catch {
      // a broken logger must not break the registry
    }
  };
  const reportDenied = (denial: EnvDenial): void => {
    try {
      if (onEnvDenied) onEnvDenied(denial);
      else warn(`environment variable ${denial.name} (from ${denial.source}) is denied and never passed to a shell`, { ...denial });
    } catch {
      // a broken callback must not break the registry
    }
  };
  for (const denial of deniedPolicyNames(envPolicy)) reportDenied(denial);

  const snapshotOf = (s: Session): ProcessSnapshot =>
    deepFreeze({
      id: s.id,
      pid: s.pid,
      scopeKey: s.scopeKey,
      sessionKey: s.sessionKey,
      command: s.command,
      cwd: s.cwd,
      startedAt: s.startedAt,
      endedAt: s.endedAt,
      status: s.status,
      exitCode: s.exitCode,
      signal: s.signal,
      tail: s.output.tail(limits.tailChars),
      truncated: s.output.truncated,
      sandbox: s.sandbox,
    });

  const journalRecordOf = (s: Session): ProcessJournalRecord =>
    deepFreeze({
      ...snapshotOf(s),
      procStartTime: s.leader?.startTime,
      bootId,
      stdin: s.stdin,
      isBackgrounded: s.isBackgrounded,
      reason: s.reason,
    });

  const callJournal = (name: string, fn: () => void): void => {
    try {
      fn();
    } catch (error) {
      warn(`process journal ${name} failed`, { error: String(error) });
    }
  };

  const flushJournal = (s: Session): void => {
    journalDirty.delete(s);
    if (!s.journalBuffer || s.journalBuffer.length === 0) return;
    const { chunks, droppedChars } = s.journalBuffer.drainChunks();
    callJournal('onOutput', () => journal?.onOutput?.(s.id, Object.freeze(chunks), { droppedChars }));
  };

  const flushAllJournals = (): void => {
    journalTimer = undefined;
    for (const s of [...journalDirty]) flushJournal(s);
  };

  /** Taken in memory or, through the journal, by any process ever recorded (a journal that fails counts as taken). */
  const isTaken = (id: string): boolean => {
    if (running.has(id) || finished.has(id)) return true;
    if (!journal?.isIdTaken) return false;
    try {
      return journal.isIdTaken(id);
    } catch (error) {
      warn('process journal isIdTaken failed; treating the id as taken', { id, error: String(error) });
      return true;
    }
  };

  const visible = (scopeKey: string, id: string): Session | undefined => {
    const s = running.get(id) ?? finished.get(id);
    if (!s || s.scopeKey !== scopeKey || !s.isBackgrounded || s.isRemoved) return undefined;
    return s;
  };

  const requireVisible = (scopeKey: string, id: string): Session => {
    const s = visible(scopeKey, id);
    if (!s) throw notFound(id);
    return s;
  };

  const wake = (s: Session): void => {
    if (s.waiters.size === 0) return;
    const waiters = [...s.waiters];
    s.waiters.clear();
    for (const w of waiters) w();
  };

  const onOutput = (s: Session, stream: OutputStream, text: string): void => {
    if (s.isFinal) return;
    s.output.append(stream, text);
    if (s.handle?.isPty) s.cursorKeyMode = nextCursorKeyMode(s.cursorKeyMode, text);
    if (s.journalBuffer) {
      s.journalBuffer.push(stream, text);
      journalDirty.add(s);
      if (journalTimer === undefined && !isDisposed) journalTimer = clock.setTimeout(flushAllJournals, limits.journalFlushMs);
    }
    wake(s);
  };

  // ---- retention -------------------------------------------------------------------------------
  const finishedRetainedChars = (): number => {
    let total = 0;
    for (const s of finished.values()) total += s.output.retainedChars;
    return total;
  };

  const evict = (): void => {
    let total = finishedRetainedChars();
    for (const [id, s] of finished) {
      if (finished.size <= limits.maxFinished && (finished.size <= 1 || total <= limits.maxRetainedChars)) break;
      finished.delete(id);
      total -= s.output.retainedChars;
    }
  };

  const sweep = (): void => {
    sweepTimer = undefined;
    sweepAt = Number.POSITIVE_INFINITY;
    const now = clock.now();
    for (const [id, s] of finished) if (s.expiresAt !== undefined && s.expiresAt <= now) finished.delete(id);
    scheduleSweep();
  };

  function scheduleSweep(): void {
    if (isDisposed) return;
    let earliest = Number.POSITIVE_INFINITY;
    for (const s of finished.values()) if (s.expiresAt !== undefined && s.expiresAt < earliest) earliest = s.expiresAt;
    if (earliest === Number.POSITIVE_INFINITY) {
      if (sweepTimer !== undefined) clock.clearTimeout(sweepTimer);
      sweepTimer = undefined;
      sweepAt = earliest;
      return;
    }
    if (sweepTimer !== undefined && sweepAt <= earliest) return;
    if (sweepTimer !== undefined) clock.clearTimeout(sweepTimer);
    sweepAt = earliest;
    sweepTimer = clock.setTimeout(sweep, Math.max(0, earliest - clock.now()));
  }

  // ---- exit ------------------------------------------------------------------------------------
  const shouldNotify = (s: Session): boolean => {
    if (!s.notifyOnExit || s.isKillRequested || s.isRemoved || s.terminalPollObserved) return false;
    const isEmptySuccess = s.eventStatus === 'exited' && s.exitCode === 0 && s.output.totalChars === 0 && s.signal === null;
    return !(isEmptySuccess && !s.notifyOnExitEmptySuccess);
  };

  const emitExit = (s: Session): void => {
    const event: ExitEvent = deepFreeze({
      id: s.id,
      scopeKey: s.scopeKey,
      sessionKey: s.sessionKey,
      status: s.eventStatus ?? 'exited',
      exitCode: s.exitCode,
      signal: s.signal,
      durationMs: (s.endedAt ?? clock.now()) - s.startedAt,
      tail: s.output.tail(limits.tailChars),
      shouldNotify: shouldNotify(s),
    });
    for (const listener of [...listeners]) {
      try {
        listener(event);
      } catch (error) {
        warn('process exit listener failed', { error: String(error), id: s.id });
      }
    }
  };

  const finalize = (s: Session, outcome: Outcome): void => {
    if (s.isFinal) return;
    s.isFinal = true;
    s.endedAt = clock.now();
    if (outcome.kind === 'spawn-error') {
      s.status = 'failed';
      s.eventStatus = 'spawn-error';
      // exec returns the failure to its caller directly, so the event is informational only.
      s.terminalPollObserved = true;
      s.reason = 'spawn-error';
      s.spawnError = outcome.error;
    } else {
      s.exitCode = outcome.exit.exitCode;
      s.signal = outcome.exit.signal;
      if (outcome.kind === 'exit') {
        const isShellFailure = s.exitCode === 126 || s.exitCode === 127;
        s.status = s.signal === null && !isShellFailure ? 'completed' : 'failed';
        s.eventStatus = 'exited';
        s.reason = 'exit';
      } else {
        s.status = outcome.kind === 'timeout' ? 'timeout' : 'killed';
        s.eventStatus = outcome.kind === 'timeout' ? 'timeout' : 'killed';
        s.reason = outcome.reason;
      }
    }
    running.delete(s.id);
    if (s.timeoutTimer !== undefined) clock.clearTimeout(s.timeoutTimer);
    s.timeoutTimer = undefined;
    s.handle?.dispose();
    flushJournal(s);
    callJournal('onExit', () => journal?.onExit?.(journalRecordOf(s)));
    if (s.isBackgrounded && !s.isRemoved) {
      s.expiresAt = s.endedAt + s.ttlMs;
      finished.delete(s.id);
      finished.set(s.id, s);
      evict();
      scheduleSweep();
    }
    s.resolveDone();
    wake(s);
    if (s.isBackgrounded) {
      // After waiting polls resumed, so a poll that observed the exit suppresses the notice.
      const handle = setImmediate(() => {
        pendingEmits.delete(handle);
        emitExit(s);
      });
      pendingEmits.add(handle);
    }
  };

  const drainStdio = async (s: Session): Promise<void> => {
    if (!s.handle) return;
    const { closed } = s.handle;
    const isClosed = await Promise.race([closed.then(() => true), sleep(limits.exitDrainMs).then(() => false)]);
    if (isClosed) return;
    // A leftover in the group may hold the pipe open forever: the caller kills it, then drains again.
    if (hasLeftovers(s)) return;
    // No writer is left, so the pipe closes as soon as its buffered output is read. A blocked event
    // loop can run the drain timer before those reads; waiting for close keeps the last lines.
    await Promise.race([closed, sleep(limits.exitCloseTimeoutMs)]);
  };

  /** Something of the shell may still be running: its namespace has members, or (unsandboxed) its group exists. */
  const hasLeftovers = (s: Session): boolean => {
    if (s.namespace !== undefined) {
      const target = s.namespaceTarget;
      if (target === undefined) return s.leader !== undefined && isIdentityAlive(s.leader);
      // A recent scan will do: an empty namespace stays empty, a stale "members left" only costs a ceremony.
      return scanner.members(target.pidNamespace, Math.max(target.knownAt, scanner.relaxed(limits.killPollIntervalMs))).length > 0;
    }
    return s.pid !== undefined && processGroupExists(s.pid);
  };

  /** The ceremony for one session: on its pid namespace when sandboxed, on its process tree otherwise. */
  const runCeremony = async (s: Session): Promise<KillCeremonyResult> => {
    if (s.namespace === undefined) {
      return runKillCeremony({ pgid: s.pid!, minStartTime: s.leader?.startTime ?? 0, leader: s.leader, marker: { id: s.id } }, ceremony);
    }
    const target = await s.namespace;
    if (target !== undefined) return runNamespaceKillCeremony(target, scanner, ceremony);
    // bwrap never reported a namespace: if the launcher still lives, SIGKILL it (its children die with it).
    if (s.leader !== undefined && isIdentityAlive(s.leader)) {
      sendSignal(s.leader.pid, 'SIGKILL');
      return { signal: 'SIGKILL', trackedCount: 1 };
    }
    return { signal: null, trackedCount: 0 };
  };

  const killSession = (s: Session, reason: KillReason): Promise<KillResult> => {
    if (s.isFinal) return Promise.resolve({ status: 'already-exited' });
    if (s.killPromise) return s.killPromise;
    const wasLeaderExited = s.leaderExit !== undefined;
    if (reason !== 'timeout') s.isKillRequested = true;
    const promise = (async (): Promise<KillResult> => {
      await s.spawned;
      if (s.isFinal) return { status: 'already-exited' } as const;
      const handle = s.handle;
      if (!handle || s.pid === undefined) {
        finalize(s, { kind: 'killed', exit: { exitCode: null, signal: null }, reason });
        return { status: 'killed' };
      }
      const result = await runCeremony(s);
      const exit = await Promise.race([
        handle.exited,
        sleep(limits.killConfirmTimeoutMs).then(() => ({ exitCode: null, signal: result.signal }) as LeaderExit),
      ]);
      await drainStdio(s);
      if (s.isFinal) return { status: 'already-exited' };
      if (wasLeaderExited && result.signal === null) {
        s.isKillRequested = false;
        finalize(s, { kind: 'exit', exit });
        return { status: 'already-exited' };
      }
      const signal = exit.signal ?? result.signal;
      finalize(s, { kind: reason === 'timeout' ? 'timeout' : 'killed', exit: { exitCode: exit.exitCode, signal }, reason });
      return signal ? { status: 'killed', signal } : { status: 'killed' };
    })();
    s.killPromise = promise;
    promise.catch(() => {
      // A failed ceremony (KILL_FAILED) leaves the session running so the kill can be retried.
      s.killPromise = undefined;
    });
    return promise;
  };

  const watchExit = async (s: Session): Promise<void> => {
    const handle = s.handle!;
    const exit = await handle.exited;
    s.leaderExit = exit;
    await drainStdio(s);
    if (s.killPromise || s.isFinal) return;
    // A sandbox's namespace dies with its launcher (--die-with-parent): always confirm it is empty.
    const isSandboxed = s.namespace !== undefined;
    if ((isSandboxed || limits.killLeftoversOnExit) && s.pid !== undefined && (isSandboxed || processGroupExists(s.pid))) {
      try {
        await runCeremony(s);
      } catch (error) {
        warn('leftover processes survived the kill ceremony', { id: s.id, error: String(error) });
      }
      await drainStdio(s);
    }
    if (s.killPromise || s.isFinal) return;
    finalize(s, { kind: 'exit', exit });
  };

  const finishedResult = (s: Session): ExecResult =>
    deepFreeze({
      status: s.status as Exclude<ProcessStatus, 'running'>,
      id: s.id,
      pid: s.pid,
      exitCode: s.exitCode,
      signal: s.signal,
      output: s.output.text(),
      truncated: s.output.truncated,
      durationMs: (s.endedAt ?? clock.now()) - s.startedAt,
      ...(s.spawnError !== undefined ? { error: s.spawnError } : {}),
      sandbox: s.sandbox,
    });

  const runningResult = (s: Session): ExecResult =>
    deepFreeze({
      status: 'running',
      id: s.id,
      pid: s.pid,
      startedAt: s.startedAt,
      tail: s.output.tail(limits.tailChars),
      sandbox: s.sandbox,
    });

  // ---- public API ------------------------------------------------------------------------------
  const exec = async (rawInput: ExecInput): Promise<ExecResult> => {
    const input = parse(ExecInputSchema, rawInput);
    if (isDisposed) throw new ProcessRegistryError('DISPOSED', 'The process registry was disposed; create a new one.');
    const stdin = input.stdin ?? 'closed';
    let pty: PtyModule | undefined;
    if (stdin === 'pty') {
      ptyModule ??= loadPtyModule();
      try {
        pty = await ptyModule;
      } catch (error) {
        ptyModule = undefined;
        throw new ProcessRegistryError('SPAWN_FAILED', `PTY support is unavailable on this host; use stdin: 'pipe'. (${String(error)})`, {
          cause: error,
        });
      }
    }
    if (isDisposed) throw new ProcessRegistryError('DISPOSED', 'The process registry was disposed; create a new one.');
    if (running.size >= limits.maxRunning) {
      throw new ProcessRegistryError(
        'LIMIT_EXCEEDED',
        `Too many running processes (${running.size} of ${limits.maxRunning}); kill or wait for one before starting another.`,
      );
    }
    // The sandbox decides before anything exists: `required` without a working sandbox refuses here.
    const sandbox = input.sandbox ?? defaultSandbox;
    const decision: SandboxDecision = sandbox
      ? await sandbox.prepare({ scopeKey: input.scopeKey, shell, command: input.command, cwd: input.cwd, stdin })
      : { kind: 'unsandboxed', reason: 'no sandbox configured' };
    if (isDisposed) throw new ProcessRegistryError('DISPOSED', 'The process registry was disposed; create a new one.');
    if (running.size >= limits.maxRunning) {
      throw new ProcessRegistryError(
        'LIMIT_EXCEEDED',
        `Too many running processes (${running.size} of ${limits.maxRunning}); kill or wait for one before starting another.`,
      );
    }
    const launch: SandboxLaunch | undefined = decision.kind === 'sandboxed' ? decision.launch : undefined;
    const sandboxStatus: SandboxStatus = Object.freeze(
      launch
        ? { isSandboxed: true, backend: 'bwrap' as const, reason: undefined }
        : { isSandboxed: false, backend: undefined, reason: decision.kind === 'unsandboxed' ? decision.reason : undefined },
    );
    const id = allocateUniqueId(generateId, isTaken);
    if (id === undefined) {
      throw new ProcessRegistryError(
        'SPAWN_FAILED',
        'No free process id: every proposed id is taken (check the idGenerator and the journal).',
      );
    }
    const cwd = launch ? launch.cwd : (input.cwd ?? defaultCwd);
    let resolveDone!: () => void;
    const done = new Promise<void>((resolve) => {
      resolveDone = resolve;
    });
    let resolveSpawned!: () => void;
    const spawned = new Promise<void>((resolve) => {
      resolveSpawned = resolve;
    });
    const s: Session = {
      id,
      scopeKey: input.scopeKey,
      sessionKey: input.sessionKey,
      command: input.command,
      cwd,
      startedAt: clock.now(),
      stdin,
      notifyOnExit: input.notifyOnExit ?? limits.notifyOnExit,
      notifyOnExitEmptySuccess: input.notifyOnExitEmptySuccess ?? limits.notifyOnExitEmptySuccess,
      output: new SessionOutput({ maxOutputChars: limits.maxOutputChars, maxPendingChars: limits.maxPendingChars }),
      journalBuffer: journal?.onOutput ? new UnreadOutput(limits.maxOutputChars) : undefined,
      ttlMs: limits.finishedTtlMs,
      pid: undefined,
      leader: undefined,
      handle: undefined,
      status: 'running',
      exitCode: null,
      signal: null,
      endedAt: undefined,
      expiresAt: undefined,
      reason: undefined,
      spawnError: undefined,
      eventStatus: undefined,
      isBackgrounded: false,
      isRemoved: false,
      isKillRequested: false,
      isFinal: false,
      terminalPollObserved: false,
      leaderExit: undefined,
      killPromise: undefined,
      timeoutTimer: undefined,
      cursorKeyMode: 'normal',
      waiters: new Set(),
      done,
      resolveDone,
      spawned,
      resolveSpawned,
      sandbox: sandboxStatus,
      namespace: undefined,
      namespaceTarget: undefined,
    };
    running.set(id, s);
    if (input.background) s.isBackgrounded = true;

    const childEnv = buildChildEnv(envPolicy, {
      defaults: { PAGER: 'cat', GIT_PAGER: 'cat', NO_COLOR: '1', TERM: stdin === 'pty' ? 'xterm-256color' : 'dumb' },
      callEnv: input.env,
      // Sandboxed: the sandbox's HOME, no marker (its PID namespace finds every process; only the
      // launcher, outside, carries it).
      // Unsandboxed: the one marker, the shell's own (unique) id, so processes that left the group
      // and the parent chain (setsid + a parent that exited) are still found. Never overridable.
      overrides: launch ? { ...launch.env } : { [PROCESS_MARKER_ENV]: id },
    });
    for (const denial of childEnv.denied) reportDenied(denial);
    const env = childEnv.env;

    // The journal learns of the shell before it exists: a crash right after the spawn still leaves a row.
    if (journal?.onBeforeSpawn) {
      try {
        journal.onBeforeSpawn(journalRecordOf(s));
      } catch (error) {
        warn('process journal onBeforeSpawn failed; the shell is not started', { id, error: String(error) });
        finalize(s, { kind: 'spawn-error', error: `the process journal could not record the shell: ${String(error)}` });
        s.resolveSpawned();
        return finishedResult(s);
      }
    }

    try {
      const stat = statSync(cwd, { throwIfNoEntry: false });
      if (!stat?.isDirectory()) throw new Error(`working directory does not exist: ${cwd}`);
      const spec = {
        file: launch ? launch.file : shell,
        // Sandboxed: the launcher alone carries the marker (it unsets it for the shell inside).
        args: launch ? [...launch.launcherOnlyEnvArgs(PROCESS_MARKER_ENV), ...launch.args] : ['-c', input.command],
        cwd,
        env: launch ? { ...env, [PROCESS_MARKER_ENV]: id } : env,
        stdin,
        hasInfoFd: launch?.infoFd !== undefined,
        onOutput: (st: OutputStream, t: string) => onOutput(s, st, t),
      };
      s.handle = pty ? await spawnPty(pty, spec) : await spawnChild(spec);
      s.pid = s.handle.pid;
      const stat22 = readProcStat(s.pid);
      if (stat22) s.leader = { pid: s.pid, startTime: stat22.startTime };
      if (launch) {
        const handle = s.handle;
        const leader = s.leader;
        s.namespace = (
          launch.infoFd !== undefined
            ? handle.info.then(namespaceFromInfo)
            : leader
              ? discoverNamespace(leader, limits.killConfirmTimeoutMs)
              : Promise.resolve(undefined)
        ).then((target) => {
          s.namespaceTarget = target;
          return target;
        });
      }
    } catch (error) {
      callJournal('onStart', () => journal?.onStart?.(journalRecordOf(s)));
      finalize(s, { kind: 'spawn-error', error: error instanceof Error ? error.message : String(error) });
      s.resolveSpawned();
      return finishedResult(s);
    }
    callJournal('onStart', () => journal?.onStart?.(journalRecordOf(s)));
    void watchExit(s);
    s.resolveSpawned();

    if (isDisposed) void killSession(s, 'dispose');
    const timeoutMs = input.timeoutMs ?? limits.defaultTimeoutMs;
    if (timeoutMs > 0 && !s.isFinal) {
      const armTimeout = (delayMs: number): void => {
        s.timeoutTimer = clock.setTimeout(() => {
          s.timeoutTimer = undefined;
          killSession(s, 'timeout').catch((error: unknown) => {
            warn('timeout kill failed; retrying', { id, error: String(error) });
            // The tree is still running past its deadline: try the ceremony again rather than let it run unbounded.
            if (!s.isFinal && !isDisposed) armTimeout(limits.killConfirmTimeoutMs);
          });
        }, delayMs);
      };
      armTimeout(Math.min(timeoutMs, 2_147_483_647));
    }
    if (s.isBackgrounded) return runningResult(s);

    const yieldMs = Math.min(120_000, Math.max(10, input.yieldMs ?? limits.defaultYieldMs));
    let yieldTimer: unknown;
    const yielded = new Promise<'yield'>((resolve) => {
      yieldTimer = clock.setTimeout(() => resolve('yield'), yieldMs);
    });
    const winner = await Promise.race([s.done.then(() => 'done' as const), yielded]);
    clock.clearTimeout(yieldTimer);
    if (winner === 'done' || s.isFinal) return finishedResult(s);
    s.isBackgrounded = true;
    return runningResult(s);
  };

  const list = (rawInput: ScopeInput): ProcessSnapshot[] => {
    const { scopeKey } = parse(ScopeInputSchema, rawInput);
    const out: Session[] = [];
    for (const s of running.values()) if (s.scopeKey === scopeKey && s.isBackgrounded && !s.isRemoved) out.push(s);
    for (const s of finished.values()) if (s.scopeKey === scopeKey && !s.isRemoved) out.push(s);
    return out.sort((a, b) => b.startedAt - a.startedAt).map(snapshotOf);
  };

  const poll = async (rawInput: PollInput): Promise<PollResult> => {
    const input = parse(PollInputSchema, rawInput);
    const s = requireVisible(input.scopeKey, input.id);
    const waitMs = Math.min(limits.maxPollWaitMs, Math.floor(input.waitMs ?? 0));
    if (waitMs > 0 && !s.isFinal && !s.output.hasUnread && !isDisposed) {
      let timer: unknown;
      await new Promise<void>((resolve) => {
        s.waiters.add(resolve);
        timer = clock.setTimeout(() => {
          s.waiters.delete(resolve);
          resolve();
        }, waitMs);
      });
      clock.clearTimeout(timer);
    }
    if (s.isFinal) s.terminalPollObserved = true;
    const { output, droppedChars } = s.output.drain();
    return deepFreeze({
      id: s.id,
      status: s.status,
      output,
      droppedChars,
      exitCode: s.exitCode,
      signal: s.signal,
      truncated: s.output.truncated,
    });
  };

  const log = (rawInput: LogInput): LogResult => {
    const input = parse(LogInputSchema, rawInput);
    const s = requireVisible(input.scopeKey, input.id);
    const text = s.output.text().replace(/\r\n/g, '\n');
    const lines = text.length === 0 ? [] : text.split('\n');
    if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    const total = lines.length;
    let start: number;
    let end: number;
    let hint: string | undefined;
    if (input.offset === undefined && input.limit === undefined) {
      start = Math.max(0, total - limits.logDefaultLines);
      end = total;
      if (start > 0) hint = `showing last ${limits.logDefaultLines} of ${total} lines; pass offset/limit to page`;
    } else if (input.offset === undefined) {
      start = Math.max(0, total - input.limit!);
      end = total;
    } else {
      start = Math.min(total, Math.floor(input.offset));
      end = input.limit === undefined ? total : Math.min(total, start + input.limit);
    }
    const slice = lines.slice(start, end);
    return deepFreeze({
      id: s.id,
      status: s.status,
      output: slice.join('\n'),
      offset: start,
      lineCount: slice.length,
      totalLines: total,
      totalChars: s.output.retainedChars,
      truncated: s.output.truncated,
      hint,
    });
  };

  const writable = (scopeKey: string, id: string): Session => {
    const s = requireVisible(scopeKey, id);
    if (s.isFinal) throw new ProcessRegistryError('PROCESS_NOT_RUNNING', `Process session "${id}" has already exited.`);
    if (s.killPromise) throw new ProcessRegistryError('PROCESS_NOT_RUNNING', `Process session "${id}" is being killed.`);
    if (!s.handle || s.stdin === 'closed' || !s.handle.isStdinWritable()) {
      throw new ProcessRegistryError(
        'STDIN_NOT_WRITABLE',
        `Process session "${id}" has no writable stdin; start it with stdin: 'pipe' or 'pty'.`,
      );
    }
    return s;
  };

  const send = (s: Session, data: string | Buffer, warnings: readonly string[], eof = false): InputResult => {
    const bytes = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    if (bytes > 0) s.handle!.write(data);
    if (eof) s.handle!.end();
    return deepFreeze({ id: s.id, bytes, isStdinClosed: eof, warnings: Object.freeze([...warnings]) });
  };

  const write = (rawInput: WriteInput): InputResult => {
    const input = parse(WriteInputSchema, rawInput);
    return send(writable(input.scopeKey, input.id), input.data, [], input.eof === true);
  };

  const sendKeys = (rawInput: SendKeysInput): InputResult => {
    const input = parse(SendKeysInputSchema, rawInput);
    const s = writable(input.scopeKey, input.id);
    const hex = decodeHexBytes(input.hex ?? []);
    const keys = encodeKeys(input.keys ?? [], s.cursorKeyMode);
    const payload = Buffer.concat([Buffer.from(input.literal ?? '', 'utf8'), hex.bytes, Buffer.from(keys.data, 'utf8')]);
    if (payload.length === 0) {
      throw new ProcessRegistryError('INVALID_INPUT', 'No key data provided: pass keys, hex or literal.', { field: 'keys' });
    }
    return send(s, payload, [...hex.warnings, ...keys.warnings]);
  };

  const paste = (rawInput: PasteInput): InputResult => {
    const input = parse(PasteInputSchema, rawInput);
    const s = writable(input.scopeKey, input.id);
    const data = input.bracketed === false ? input.text : bracketPaste(input.text);
    if (data.length === 0) throw new ProcessRegistryError('INVALID_INPUT', 'No paste text provided.', { field: 'text' });
    return send(s, data, []);
  };

  const submit = (rawInput: SessionInput): InputResult => {
    const input = parse(SessionInputSchema, rawInput);
    return send(writable(input.scopeKey, input.id), '\r', []);
  };

  const kill = async (rawInput: SessionInput): Promise<KillResult> => {
    const input = parse(SessionInputSchema, rawInput);
    return killSession(requireVisible(input.scopeKey, input.id), 'kill');
  };

  const clear = (rawInput: SessionInput): void => {
    const input = parse(SessionInputSchema, rawInput);
    const s = requireVisible(input.scopeKey, input.id);
    if (!s.isFinal) {
      throw new ProcessRegistryError('PROCESS_RUNNING', `Process session "${input.id}" is still running; kill or remove it instead.`);
    }
    finished.delete(s.id);
    scheduleSweep();
  };

  const remove = async (rawInput: SessionInput): Promise<void> => {
    const input = parse(SessionInputSchema, rawInput);
    const s = requireVisible(input.scopeKey, input.id);
    if (!s.isFinal) {
      s.isRemoved = true;
      s.isKillRequested = true;
      try {
        await killSession(s, 'remove');
      } catch (error) {
        // A failed ceremony (KILL_FAILED) leaves the tree running: keep the session visible to its
        // scope and to operators (list, snapshot, killById) so the kill can be retried.
        if (!s.isFinal) s.isRemoved = false;
        throw error;
      }
    }
    finished.delete(s.id);
    scheduleSweep();
  };

  const killById = async (rawId: string): Promise<KillResult> => {
    const id = parse(SessionInputSchema.shape.id, rawId);
    const s = running.get(id) ?? finished.get(id);
    if (!s || s.isRemoved) return { status: 'not-found' };
    return killSession(s, 'operator-kill');
  };

  const snapshot = (): { running: ReadonlyArray<ProcessSnapshot>; finished: ReadonlyArray<ProcessSnapshot> } =>
    deepFreeze({
      running: Object.freeze([...running.values()].filter((s) => !s.isRemoved).map(snapshotOf)),
      finished: Object.freeze([...finished.values()].filter((s) => !s.isRemoved).map(snapshotOf)),
    });

  const reapOne = async (raw: OrphanRecord): Promise<ReapOutcome> => {
    const record = parse(OrphanRecordSchema, raw);
    const base = { id: record.id, pid: record.pid };
    if (record.bootId !== undefined && bootId !== undefined && record.bootId !== bootId) {
      return deepFreeze({ ...base, outcome: 'other-boot' });
    }
    if (record.pid === undefined || record.procStartTime === undefined) {
      // Journaled before its spawn, never completed: whatever runs carries the marker (the id, unique).
      try {
        const result = await runKillCeremony({ pgid: undefined, minStartTime: 0, marker: { id: record.id } }, ceremony);
        return deepFreeze({
          ...base,
          ...(result.signal !== null ? { outcome: 'killed', signal: result.signal } : { outcome: 'not-running' }),
        });
      } catch (error) {
        return deepFreeze({ ...base, outcome: 'failed', error: error instanceof Error ? error.message : String(error) });
      }
    }
    const leader: ProcIdentity = { pid: record.pid, startTime: record.procStartTime };
    const leaderStat = readProcStat(record.pid);
    const isLeaderSame = isIdentityAlive(leader);
    const isPidReused = leaderStat !== undefined && leaderStat.startTime !== record.procStartTime;
    // With the leader gone or replaced, the ceremony only touches processes that carry this
    // record's marker (PINCER_PROCESS_ID=<id>) and started after it: a reused pid is never signalled.
    try {
      const result = await runKillCeremony(
        {
          pgid: record.pid,
          minStartTime: record.procStartTime,
          leader: isLeaderSame ? leader : undefined,
          marker: { id: record.id },
        },
        ceremony,
      );
      if (result.signal !== null) return deepFreeze({ ...base, outcome: 'killed', signal: result.signal });
      return deepFreeze({ ...base, outcome: isPidReused ? 'pid-reused' : 'not-running' });
    } catch (error) {
      return deepFreeze({ ...base, outcome: 'failed', error: error instanceof Error ? error.message : String(error) });
    }
  };

  const reapOrphans = async (records: ReadonlyArray<OrphanRecord>): Promise<ReapOutcome[]> => {
    if (!Array.isArray(records)) throw new ProcessRegistryError('INVALID_INPUT', 'records must be an array.', { field: 'records' });
    return Promise.all(records.map(reapOne));
  };

  const stats = (): ProcessRegistryStats => {
    let bufferedChars = 0;
    for (const s of running.values()) bufferedChars += s.output.bufferedChars;
    for (const s of finished.values()) bufferedChars += s.output.bufferedChars;
    return deepFreeze({ running: running.size, finished: finished.size, finishedRetainedChars: finishedRetainedChars(), bufferedChars });
  };

  const dispose = async (): Promise<void> => {
    isDisposed = true;
    const results = await Promise.allSettled([...running.values()].map((s) => killSession(s, 'dispose')));
    for (const r of results) if (r.status === 'rejected') warn('dispose could not kill a process tree', { error: String(r.reason) });
    await new Promise<void>((resolve) => setImmediate(resolve));
    for (const h of pendingEmits) clearImmediate(h);
    pendingEmits.clear();
    if (journalTimer !== undefined) clock.clearTimeout(journalTimer);
    flushAllJournals();
    if (sweepTimer !== undefined) clock.clearTimeout(sweepTimer);
    sweepTimer = undefined;
    for (const s of running.values()) if (s.timeoutTimer !== undefined) clock.clearTimeout(s.timeoutTimer);
    listeners.clear();
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  };

  return {
    exec,
    list,
    poll,
    log,
    write,
    sendKeys,
    paste,
    submit,
    kill,
    clear,
    remove,
    on: (event, listener) => {
      if (event !== 'exit') throw new ProcessRegistryError('INVALID_INPUT', `Unknown event "${String(event)}".`, { field: 'event' });
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    snapshot,
    killById,
    reapOrphans,
    stats,
    dispose,
  };
}
