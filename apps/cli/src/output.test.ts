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
    for (const code of ['GATEWAY_UNAVAILABLE', 'NOT_FOUND', 'RUN_FAILED', 'TIMEOUT', 'INTERNAL'] as const) expect(exitCodeFor(code)).toBe(1);
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
    const code = reportError(new CliError('VALIDATION', 'bad key\nsecond line', { field: 'sessionKey' }), { stdout, stderr }, { json: true, debug: false });
    expect(code).toBe(2);
    expect(stderr.text()).toBe('Error: bad key\n');
    expect(JSON.parse(stdout.text())).toEqual({ ok: false, error: { type: 'validation', code: 'VALIDATION', message: 'bad key\nsecond line', field: 'sessionKey' } });
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
