import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { definePlugin } from './plugin.js';
import { PluginSdkError } from './errors.js';

describe('definePlugin', () => {
  it('returns a frozen definition with the given fields', () => {
    const register = () => undefined;
    const plugin = definePlugin({ id: 'hello-world', name: 'Hello', version: '1.0.0', register });
    expect(plugin).toMatchObject({ id: 'hello-world', name: 'Hello', version: '1.0.0', register });
    expect(Object.isFrozen(plugin)).toBe(true);
  });

  it.each([['Hello'], ['1abc'], [''], ['a'.repeat(65)], ['a/b'], ['..'], ['a_b']])(
    'rejects id %j with INVALID_PLUGIN naming the field',
    (id) => {
      expect(() => definePlugin({ id, register: () => undefined })).toThrow(
        expect.objectContaining({ name: 'PluginSdkError', code: 'INVALID_PLUGIN', field: 'id' }),
      );
    },
  );

  it('requires register to be a function', () => {
    expect(() => definePlugin({ id: 'x', register: 'nope' } as never)).toThrow(
      expect.objectContaining({ code: 'INVALID_PLUGIN', field: 'register' }),
    );
  });

  it('requires configSchema to be a zod schema', () => {
    expect(() => definePlugin({ id: 'x', configSchema: { parse() {} } as never, register() {} })).toThrow(
      expect.objectContaining({ code: 'INVALID_PLUGIN', field: 'configSchema' }),
    );
  });

  it('infers the config type from configSchema', () => {
    const plugin = definePlugin({
      id: 'typed',
      configSchema: z.object({ limitMs: z.number().default(5) }),
      register(api) {
        const limit: number = api.config.limitMs;
        void limit;
      },
    });
    expect(plugin.configSchema).toBeDefined();
  });
});

describe('zod major at the boundary (issue 17 item 4)', () => {
  it('names a zod 3 schema instead of calling it "not a schema"', () => {
    // The shape zod 3 schemas have: `_def` and `safeParse`, no zod 4 `_zod` internals.
    const zod3Schema = { _def: { typeName: 'ZodObject' }, safeParse: () => ({ success: true, data: {} }), parse: () => ({}) };
    const error = (() => {
      try {
        definePlugin({ id: 'old-zod', configSchema: zod3Schema as never, register() {} });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(PluginSdkError.isInstance(error) && error.code).toBe('INVALID_PLUGIN');
    expect((error as Error).message).toContain('zod 3');
    expect((error as Error).message).toContain('zod 4');
  });

  it('accepts a zod 4 schema', () => {
    expect(() => definePlugin({ id: 'new-zod', configSchema: z.object({ limit: z.number() }), register() {} })).not.toThrow();
  });
});
