import { describe, expect, it } from 'vitest';
import { matchRoutePath, parseRoutePath, renderRoutePath } from './route-path.js';

describe('parseRoutePath', () => {
  it('accepts static segments, parameters and the root', () => {
    expect(renderRoutePath('/plugins/x', parseRoutePath('/shells/:id/log'))).toBe('/plugins/x/shells/:id/log');
    expect(renderRoutePath('/plugins/x', parseRoutePath('/'))).toBe('/plugins/x/');
  });

  it.each([
    ['shells'],
    ['/../admin'],
    ['/a/../../v1/sessions'],
    ['/./a'],
    ['//a'],
    ['/a/'],
    ['/a%2F..'],
    ['/a?b=1'],
    ['/a b'],
    ['/:id/:id'],
    [`/${'a'.repeat(256)}`],
    [42],
  ])('rejects %j so no route can escape its /plugins/<id> mount', (path) => {
    expect(() => parseRoutePath(path)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', field: 'path' }));
  });
});

describe('matchRoutePath', () => {
  const segments = parseRoutePath('/shells/:id');

  it('matches and decodes parameters', () => {
    expect(matchRoutePath('/plugins/x', segments, '/plugins/x/shells/a%20b')).toEqual({ id: 'a b' });
  });

  it.each([
    ['/plugins/x/shells'],
    ['/plugins/x/shells/a/b'],
    ['/plugins/y/shells/a'],
    ['/plugins/x/shells/..'],
    ['/plugins/x/shells/%2E%2E'],
    ['/plugins/x/shells/a%2Fb'],
    ['/plugins/x/shells/%E0%A4%A'],
    ['/plugins/x/shells/'],
  ])('does not match %s', (path) => {
    expect(matchRoutePath('/plugins/x', segments, path)).toBeUndefined();
  });

  it('matches the root route with or without the trailing slash', () => {
    expect(matchRoutePath('/plugins/x', [], '/plugins/x/')).toEqual({});
    expect(matchRoutePath('/plugins/x', [], '/plugins/x')).toEqual({});
    expect(matchRoutePath('/plugins/x', [], '/plugins/xy')).toBeUndefined();
  });
});
