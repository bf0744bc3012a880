import { describe, expect, it } from 'vitest';
import { clampExecTimeout, DEFAULT_EXEC_TIMEOUT_MS } from './exec-limits.js';

describe('clampExecTimeout', () => {
  it('clamps a timeout above the configured one', () => {
    expect(clampExecTimeout(10_000_000, { configuredTimeoutMs: 60_000 })).toEqual({ timeoutMs: 60_000, isClamped: true });
  });

  it('keeps a shorter timeout and applies the configured one when none is asked', () => {
    expect(clampExecTimeout(5_000, { configuredTimeoutMs: 60_000 })).toEqual({ timeoutMs: 5_000, isClamped: false });
    expect(clampExecTimeout(undefined, { configuredTimeoutMs: 60_000 })).toEqual({ timeoutMs: 60_000, isClamped: false });
    expect(clampExecTimeout(undefined)).toEqual({ timeoutMs: DEFAULT_EXEC_TIMEOUT_MS, isClamped: false });
  });

  it('refuses "no timeout" unless the config allows it', () => {
    expect(clampExecTimeout(0, { configuredTimeoutMs: 60_000 })).toEqual({ timeoutMs: 60_000, isClamped: true });
    expect(clampExecTimeout(0)).toEqual({ timeoutMs: DEFAULT_EXEC_TIMEOUT_MS, isClamped: true });
    expect(clampExecTimeout(0, { configuredTimeoutMs: 60_000, isNoTimeoutAllowed: true })).toEqual({ timeoutMs: 0, isClamped: false });
  });

  it('an operator who configured no timeout (0) lets calls choose any', () => {
    expect(clampExecTimeout(0, { configuredTimeoutMs: 0 })).toEqual({ timeoutMs: 0, isClamped: false });
    expect(clampExecTimeout(99_999_999, { configuredTimeoutMs: 0 })).toEqual({ timeoutMs: 99_999_999, isClamped: false });
  });
});
