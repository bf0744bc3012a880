import { describe, expect, it } from 'vitest';
import { CliError, exitCodeFor, errorTypeFor, toCliError } from './errors.js';
import { formatTable, formatTime, jsonError, reportError } from './output.js';

function capture() {
  const chunks: string[] = [];
  return { chunks, write: (chunk: string) => chunks.push(chunk), text: () => chunks.join('') };
}

describe('formatTable', () => {
  it('aligns columns, shows - for missing cells and cuts long ones', () => {
    const table = formatTable(
      [
        { id: 'a', n: 1, c: 'short' },
        { id: 'bbbb', n: undefined, c: 'x'.repeat(20) },
      ],
      [
        { header: 'ID', value: (r) => r.id },
        { header: 'N', value: (r) => r.n },
        { header: 'CMD', value: (r) => r.c, maxWidth: 10 },
      ],
    );
    expect(table.split('\n')).toEqual(['ID    N  CMD', 'a     1  short', `bbbb  -  ${'x'.repeat(9)}…`]);
  });

  it('formats epoch ms as ISO time', () => {
    expect(formatTime(0)).toBe('1970-01-01T00:00:00.000Z');
    expect(formatTime(undefined)).toBe('-');
  });
});

describe('errors and exit codes', () => {
  it('exits 2 for usage/validation and 1 for everything else', () => {
    expect(exitCodeFor('USAGE')).toBe(2);
    expect(exitCodeFor('VALIDATION')).toBe(2);
    for (const code of ['GATEWAY_UNAVAILABLE', 'NOT_FOUND', 'RUN_FAILED', 'TIMEOUT', 'INTERNAL'] as const)
      expect(exitCodeFor(code)).toBe(1);
    expect(errorTypeFor('GATEWAY_UNAVAILABLE')).toBe('gateway_unavailable');
  });

  it('recognizes CliError across copies by its marker', () => {
    const error = new CliError('TIMEOUT', 'late');
    expect(CliError.isInstance(error)).toBe(true);
    expect(CliError.isInstance(new Error('x'))).toBe(false);
    expect(CliError.isInstance({ code: 'TIMEOUT' })).toBe(false);
    expect(toCliError('boom')).toMatchObject({ code: 'INTERNAL', message: 'boom' });
  });

  it('prints one line on stderr and, with --json, the error document on stdout', () => {
    const stdout = capture();
    const stderr = capture();
    const code = reportError(
      new CliError('VALIDATION', 'bad key\nsecond line', { field: 'sessionKey' }),
      { stdout, stderr },
      { json: true, debug: false },
    );
    expect(code).toBe(2);
    expect(stderr.text()).toBe('Error: bad key\n');
    expect(JSON.parse(stdout.text())).toEqual({
      ok: false,
      error: { type: 'validation', code: 'VALIDATION', message: 'bad key\nsecond line', field: 'sessionKey' },
    });
    expect(jsonError(new CliError('TIMEOUT', 't'))).toEqual({ ok: false, error: { type: 'timeout', code: 'TIMEOUT', message: 't' } });
  });

  it('prints the stack only in debug mode', () => {
    const quiet = capture();
    reportError(new Error('kaput'), { stdout: capture(), stderr: quiet }, { json: false, debug: false });
    expect(quiet.text()).toBe('Error: kaput\n');
    const loud = capture();
    expect(reportError(new Error('kaput'), { stdout: capture(), stderr: loud }, { json: false, debug: true })).toBe(1);
    expect(loud.text()).toMatch(/^Error: kaput\nError: kaput\n\s+at /);
  });
});

describe('terminal safety, widths and ages', () => {
  it('shows control characters and bidi overrides as visible escapes', async () => {
    const { escapeControls } = await import('./output.js');
    expect(escapeControls('a\x1b[31mb\x07c\rd\r\ne\u202ef\x9bg\th')).toBe('a\\x1b[31mb\\x07c\\rd\r\ne\\u202ef\\x9bg\th');
  });

  it('fits a terminal width by cutting the most shrinkable column first, and never cuts in full layout', () => {
    const rows = [{ id: 'sharp-ridge', command: 'x'.repeat(100), session: 'agent:main:main' }];
    const columns = [
      { header: 'ID', value: (row: (typeof rows)[number]) => row.id },
      { header: 'SESSION', value: (row: (typeof rows)[number]) => row.session, shrink: 1 },
      { header: 'COMMAND', value: (row: (typeof rows)[number]) => row.command, shrink: 2 },
    ];
    const fitted = formatTable(rows, columns, { width: 50 }).split('\n');
    for (const line of fitted) expect(line.length).toBeLessThanOrEqual(50);
    expect(fitted[1]).toMatch(/^sharp-ridge {2}agent:main:main {2}x+…$/);
    expect(formatTable(rows, columns, 'full')).toContain('x'.repeat(100));
  });

  it('formats ages relative to now', async () => {
    const { formatAge } = await import('./output.js');
    const now = Date.parse('2026-12-01T12:00:00Z');
    expect(formatAge(now - 5_000, now)).toBe('5s ago');
    expect(formatAge(now - 150_000, now)).toBe('2m ago');
    expect(formatAge(new Date(now - 3 * 3_600_000).toISOString(), now)).toBe('3h ago');
    expect(formatAge(now + 300_000, now)).toBe('in 5m');
    expect(formatAge(now - 40 * 86_400_000, now)).toBe('2026-10-22');
    expect(formatAge(undefined, now)).toBe('-');
  });
});
