const SUBAGENT_SPAWN_ERROR_MARKER = Symbol.for('@pincer/subagent-spawn/SubagentSpawnError');

/**
 * Failure codes of `SubagentSpawnError`. Policy refusals are **not** errors: `spawn()` answers them
 * as `{ status: 'forbidden', code }` (see {@link SpawnForbiddenCode}). This class is thrown only for
 * programming and wiring mistakes, and by the run store.
 *
 * - `INVALID_OPTIONS` — `createSubagentSpawner` / `createInMemoryRunStore` options failed their schema.
 * - `INVALID_INPUT` — an argument to a non-spawn method failed its schema (the message names the field).
 * - `RUN_EXISTS` — `runs.create` was given a `runId` that already exists.
 * - `SESSION_BUSY` — `runs.create` was given a run for a child session that already has a running run
 *   (stores enforce "one run per session"; the spawner maps it to a `forbidden` answer).
 * - `RUN_NOT_FOUND` — a run store method named a run id it does not hold.
 * - `DISPOSED` — the spawner was disposed.
 */
export type SubagentSpawnErrorCode = 'INVALID_OPTIONS' | 'INVALID_INPUT' | 'RUN_EXISTS' | 'SESSION_BUSY' | 'RUN_NOT_FOUND' | 'DISPOSED';

/** Options for {@link SubagentSpawnError}. */
export interface SubagentSpawnErrorOptions {
  /** Underlying error, if any. */
  cause?: unknown | undefined;
  /** Path of the offending input field, when there is one (e.g. `policy.maxSpawnDepth`). */
  field?: string | undefined;
}

/**
 * The one error class of `@pincer/subagent-spawn`. Check with {@link SubagentSpawnError.isInstance}
 * (works across duplicated copies of the package).
 */
export class SubagentSpawnError extends Error {
  /** Machine-readable failure code. */
  readonly code: SubagentSpawnErrorCode;
  /** Path of the offending input field, when there is one. */
  readonly field: string | undefined;
  private readonly [SUBAGENT_SPAWN_ERROR_MARKER] = true;

  constructor(code: SubagentSpawnErrorCode, message: string, options: SubagentSpawnErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SubagentSpawnError';
    this.code = code;
    this.field = options.field;
  }

  /** True when `value` is a `SubagentSpawnError` (from any copy of this package). */
  static isInstance(value: unknown): value is SubagentSpawnError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[SUBAGENT_SPAWN_ERROR_MARKER] === true;
  }
}

/** Human-readable text of any thrown value (never throws itself). */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}
