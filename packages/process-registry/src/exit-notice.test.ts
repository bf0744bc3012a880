import { describe, expect, it } from 'vitest';
import { formatExitNotice, noticeSnippet } from './exit-notice.js';
import type { ExitEvent } from './types.js';

const base: ExitEvent = {
  id: 'amber-atlas',
  scopeKey: 's',
  sessionKey: undefined,
  status: 'exited',
  exitCode: 0,
  signal: null,
  durationMs: 1_000,
  tail: 'done\n',
  shouldNotify: true,
};

describe('formatExitNotice', () => {
  it('formats completed and failed exits', () => {
    expect(formatExitNotice(base)).toBe('Exec completed (amber-atlas, code 0) :: done');
    expect(formatExitNotice({ ...base, exitCode: 2 })).toBe('Exec completed (amber-atlas, code 2) :: done');
    expect(formatExitNotice({ ...base, exitCode: 127, tail: '' })).toBe('Exec failed (amber-atlas, code 127)');
    expect(formatExitNotice({ ...base, status: 'killed', exitCode: null, signal: 'SIGKILL' })).toBe(
      'Exec failed (amber-atlas, signal SIGKILL) :: done',
    );
  });

  it('adds guidance to timeouts', () => {
    const text = formatExitNotice({ ...base, status: 'timeout', exitCode: null, signal: 'SIGTERM', durationMs: 1_800_000 });
    expect(text.split('\n')[0]).toBe('Exec failed (amber-atlas, signal SIGTERM) :: done');
    expect(text).toContain('timed out after 1800 s');
  });
});

describe('noticeSnippet', () => {
  it('takes at most 180 chars from the last 400, whitespace collapsed', () => {
    expect(noticeSnippet('  a \n\t b  ')).toBe('a b');
    const long = `${'x'.repeat(1_000)}${'y'.repeat(400)}`;
    const snippet = noticeSnippet(long);
    expect(snippet).toHaveLength(180);
    expect(snippet).toBe(`${'y'.repeat(179)}…`);
  });

  it('does not split a surrogate pair at the cut', () => {
    const snippet = noticeSnippet(`${'a'.repeat(178)}😀${'b'.repeat(10)}`);
    expect(snippet.endsWith('…')).toBe(true);
    expect(snippet).toBe(`${'a'.repeat(178)}…`);
  });
});
