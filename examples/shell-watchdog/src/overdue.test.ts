import type { BashSessionSnapshot } from '@pincer/plugin-sdk/bash-sessions';
import { describe, expect, it } from 'vitest';
import { measureShells } from './overdue.js';

const shell = (id: string, startedAt: number, status: BashSessionSnapshot['status'] = 'running'): BashSessionSnapshot => ({
  id,
  pid: 1,
  scopeKey: 'agent:ops:main',
  sessionKey: undefined,
  command: 'sleep 30',
  cwd: '/',
  startedAt,
  endedAt: undefined,
  status,
  exitCode: null,
  signal: null,
  tail: '',
  truncated: false,
  sandbox: { isSandboxed: false, backend: undefined, reason: 'no sandbox configured' },
});

describe('measureShells', () => {
  it('flags only shells running strictly longer than the limit', () => {
    const result = measureShells([shell('old', 0), shell('edge', 40_000), shell('young', 90_000)], 100_000, 60_000);
    expect(result.map((r) => [r.shell.id, r.runtimeMs, r.isOverLimit])).toEqual([
      ['old', 100_000, true],
      ['edge', 60_000, false],
      ['young', 10_000, false],
    ]);
  });

  it('ignores shells already on their way out and never reports a negative runtime', () => {
    const result = measureShells([shell('dying', 0, 'killed'), shell('future', 200_000)], 100_000, 60_000);
    expect(result.map((r) => [r.shell.id, r.runtimeMs])).toEqual([['future', 0]]);
  });
});
