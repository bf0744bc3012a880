/**
 * Item 10 (issue 14): the model cannot lift the operator's limits. A requested exec timeout above
 * the configured one is clamped to it; "no timeout" (`0`) is honoured only when the config allows
 * it (`exec.allowNoTimeout: true`), else it becomes the configured timeout.
 */

/** Default exec timeout when the config names none (ms): 30 minutes, the registry's default. */
export const DEFAULT_EXEC_TIMEOUT_MS = 1_800_000;

/** Options of {@link clampExecTimeout}. */
export interface ExecTimeoutPolicy {
  /** The operator's timeout (`exec.timeoutMs`); `0` means the operator chose no timeout. Default 1 800 000. */
  configuredTimeoutMs?: number | undefined;
  /** `exec.allowNoTimeout`: may a call ask for no timeout (`0`)? Default false. */
  isNoTimeoutAllowed?: boolean | undefined;
}

/** The effective timeout of one exec call. */
export interface ClampedTimeout {
  /** Timeout to pass to the registry; `0` = none. */
  timeoutMs: number;
  /** True when the request was lowered or refused. */
  isClamped: boolean;
}

/** Compute the timeout an exec call really gets. */
export function clampExecTimeout(requestedTimeoutMs: number | undefined, policy: ExecTimeoutPolicy = {}): ClampedTimeout {
  const configured = policy.configuredTimeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS;
  const isNoTimeoutAllowed = policy.isNoTimeoutAllowed === true || configured === 0;
  if (requestedTimeoutMs === undefined) return { timeoutMs: configured, isClamped: false };
  if (requestedTimeoutMs === 0) {
    return isNoTimeoutAllowed ? { timeoutMs: 0, isClamped: false } : { timeoutMs: configured, isClamped: true };
  }
  if (configured === 0) return { timeoutMs: requestedTimeoutMs, isClamped: false };
  return requestedTimeoutMs > configured ? { timeoutMs: configured, isClamped: true } : { timeoutMs: requestedTimeoutMs, isClamped: false };
}
