import { describe, expect, it } from 'vitest';
import { type ChildEnvPolicy, buildChildEnv, deniedPolicyNames, isEnvNameDenied } from './child-env.js';

const policy = (overrides: Partial<ChildEnvPolicy> = {}): ChildEnvPolicy => ({
  source: {
    PATH: '/usr/bin',
    HOME: '/home/gw',
    LC_ALL: 'C.UTF-8',
    SECRET_TOKEN: 'sentinel-secret',
    PINCER_GATEWAY_TOKEN: 'sentinel-gateway',
    OPENAI_API_KEY: 'sentinel-openai',
    CI: 'true',
  },
  passEnv: [],
  fixedEnv: {},
  deniedNames: [],
  deniedPrefixes: [],
  ...overrides,
});

const layers = { defaults: { PAGER: 'cat' }, overrides: { PINCER_PROCESS_ID: 'amber-atlas' } };

describe('buildChildEnv', () => {
  it('passes only the allowlist (and LC_*) from the source, never the rest', () => {
    const { env } = buildChildEnv(policy(), layers);
    expect(env).toEqual({ PATH: '/usr/bin', HOME: '/home/gw', LC_ALL: 'C.UTF-8', PAGER: 'cat', PINCER_PROCESS_ID: 'amber-atlas' });
  });

  it('adds passEnv names and fixed values, then the exec env, then the overrides', () => {
    const { env } = buildChildEnv(policy({ passEnv: ['CI', 'UNSET_NAME'], fixedEnv: { PAGER: 'less', FIXED: '1' } }), {
      ...layers,
      callEnv: { FIXED: '2', PINCER_PROCESS_ID: 'spoofed' },
    });
    expect(env).toMatchObject({ CI: 'true', PAGER: 'less', FIXED: '2', PINCER_PROCESS_ID: 'amber-atlas' });
    expect(env).not.toHaveProperty('UNSET_NAME');
  });

  it('applies the deny rule to every list, even to names listed explicitly, and reports exec-env denials', () => {
    const denying = policy({
      passEnv: ['PINCER_GATEWAY_TOKEN', 'OPENAI_API_KEY', 'CI'],
      fixedEnv: { PINCER_MODE: 'x', HOME: '/elsewhere' },
      deniedNames: ['OPENAI_API_KEY', 'HOME'],
      deniedPrefixes: ['PINCER_'],
    });
    const { env, denied } = buildChildEnv(denying, { ...layers, callEnv: { PINCER_GATEWAY_TOKEN: 'x', OPENAI_API_KEY: 'y', OK: '1' } });
    expect(Object.keys(env).sort()).toEqual(['CI', 'LC_ALL', 'OK', 'PAGER', 'PATH', 'PINCER_PROCESS_ID']);
    expect(Object.values(env).join(' ')).not.toMatch(/sentinel/);
    expect(denied).toEqual([
      { name: 'PINCER_GATEWAY_TOKEN', source: 'exec' },
      { name: 'OPENAI_API_KEY', source: 'exec' },
    ]);
    expect(deniedPolicyNames(denying)).toEqual([
      { name: 'PINCER_GATEWAY_TOKEN', source: 'passEnv' },
      { name: 'OPENAI_API_KEY', source: 'passEnv' },
      { name: 'PINCER_MODE', source: 'fixedEnv' },
      { name: 'HOME', source: 'fixedEnv' },
    ]);
  });
});

describe('isEnvNameDenied', () => {
  it('matches exact names and prefixes, and ignores an empty prefix', () => {
    const rule = { deniedNames: ['A_KEY'], deniedPrefixes: ['PINCER_', ''] };
    expect(isEnvNameDenied('A_KEY', rule)).toBe(true);
    expect(isEnvNameDenied('a_key', rule)).toBe(false);
    expect(isEnvNameDenied('PINCER_X', rule)).toBe(true);
    expect(isEnvNameDenied('PATH', rule)).toBe(false);
  });
});
