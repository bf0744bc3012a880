import { describe, expect, it } from 'vitest';
import { SessionKeyError } from './errors.js';

describe('SessionKeyError', () => {
  it('carries a code, a message, a name and an optional cause', () => {
    const cause = new Error('inner');
    const error = new SessionKeyError('UNKNOWN_AGENT', 'Unknown agent id "x".', { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe('UNKNOWN_AGENT');
    expect(error.message).toBe('Unknown agent id "x".');
    expect(error.name).toBe('SessionKeyError');
    expect(error.cause).toBe(cause);
  });

  it('isInstance recognizes instances by the Symbol.for marker, including foreign copies', () => {
    expect(SessionKeyError.isInstance(new SessionKeyError('NO_AGENT_ID', 'x'))).toBe(true);
    const foreign = Object.assign(new Error('x'), { [Symbol.for('@pincer/session-key/SessionKeyError')]: true });
    expect(SessionKeyError.isInstance(foreign)).toBe(true);
    for (const other of [new Error('x'), null, undefined, 'SessionKeyError', { code: 'NO_AGENT_ID' }]) {
      expect(SessionKeyError.isInstance(other)).toBe(false);
    }
  });
});
