import { describe, expect, it } from 'vitest';
import { ProcessRegistryError, notFound } from './errors.js';

describe('ProcessRegistryError', () => {
  it('is recognised by its marker, with code and cause', () => {
    const cause = new Error('inner');
    const error = new ProcessRegistryError('LIMIT_EXCEEDED', 'too many', { cause });
    expect(ProcessRegistryError.isInstance(error)).toBe(true);
    expect(ProcessRegistryError.isInstance(new Error('x'))).toBe(false);
    expect(ProcessRegistryError.isInstance(null)).toBe(false);
    expect(error.cause).toBe(cause);
    expect(notFound('a-b')).toMatchObject({ code: 'PROCESS_NOT_FOUND', message: 'No process session "a-b" in this scope.' });
  });
});
