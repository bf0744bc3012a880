const SESSION_KEY_ERROR_MARKER = Symbol.for('@pincer/session-key/SessionKeyError');

/**
 * Every failure code a `@pincer/session-key` export can raise.
 *
 * - `MALFORMED_AGENT_KEY` — an explicit `--session-key` starts with `agent:` but does not parse.
 * - `MALFORMED_SESSION_KEY` — a key starts with `agent:` but does not parse (resolver / store paths).
 * - `AGENT_MISMATCH` — `--agent` and the agent of an agent-prefixed key disagree.
 * - `UNKNOWN_AGENT` — `--agent` names an agent that is not in `knownAgentIds`.
 * - `BLANK_SELECTOR` — a selector (`--agent`, `--session-key`) is present but blank.
 * - `CROSS_AGENT_SESSION_KEY` — a fully-qualified subagent key names a different agent than the target.
 * - `INVALID_SUBAGENT_KEY` — a fully-qualified key handed to the subagent resolver is not a subagent key.
 * - `NO_AGENT_ID` — nothing to derive an agent (or process scope) from.
 * - `NON_CANONICAL_SESSION_KEY` — a key that must already be canonical is a case, whitespace or
 *   agent-id variant of its canonical form (`canonicalizeSessionKey` gives that form).
 * - `INVALID_INPUT` — an argument has the wrong type (e.g. a non-string session key) or is blank.
 */
export type SessionKeyErrorCode =
  | 'MALFORMED_AGENT_KEY'
  | 'MALFORMED_SESSION_KEY'
  | 'AGENT_MISMATCH'
  | 'UNKNOWN_AGENT'
  | 'BLANK_SELECTOR'
  | 'CROSS_AGENT_SESSION_KEY'
  | 'INVALID_SUBAGENT_KEY'
  | 'NO_AGENT_ID'
  | 'NON_CANONICAL_SESSION_KEY'
  | 'INVALID_INPUT';

/** Options for {@link SessionKeyError}. */
export interface SessionKeyErrorOptions {
  /** Underlying error, if any. */
  cause?: unknown | undefined;
}

/**
 * The only error class thrown by `@pincer/session-key`. Check with
 * {@link SessionKeyError.isInstance} (works across duplicated copies of the package).
 */
export class SessionKeyError extends Error {
  /** Machine-readable failure code. */
  readonly code: SessionKeyErrorCode;
  private readonly [SESSION_KEY_ERROR_MARKER] = true;

  constructor(code: SessionKeyErrorCode, message: string, options?: SessionKeyErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SessionKeyError';
    this.code = code;
  }

  /** True when `error` is a `SessionKeyError` (from any copy of this package). */
  static isInstance(error: unknown): error is SessionKeyError {
    return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[SESSION_KEY_ERROR_MARKER] === true;
  }
}
