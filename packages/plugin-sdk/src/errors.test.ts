import { describe, expect, it } from 'vitest';
import { PluginSdkError } from './errors.js';

describe('PluginSdkError', () => {
  it('carries code, field and cause', () => {
    const cause = new Error('inner');
    const error = new PluginSdkError('INVALID_INPUT', 'bad id', { field: 'id', cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('PluginSdkError');
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.field).toBe('id');
    expect(error.cause).toBe(cause);
  });

  it('isInstance recognises the Symbol.for marker (other copies of the package) and nothing else', () => {
    const foreign = Object.assign(new Error('x'), { [Symbol.for('@pincer/plugin-sdk/PluginSdkError')]: true });
    expect(PluginSdkError.isInstance(new PluginSdkError('NO_HOST', 'x'))).toBe(true);
    expect(PluginSdkError.isInstance(foreign)).toBe(true);
    expect(PluginSdkError.isInstance(new Error('x'))).toBe(false);
    expect(PluginSdkError.isInstance(Object.assign(new Error('x'), { code: 'NO_HOST' }))).toBe(false);
    expect(PluginSdkError.isInstance(null)).toBe(false);
    expect(PluginSdkError.isInstance('NO_HOST')).toBe(false);
  });
});
