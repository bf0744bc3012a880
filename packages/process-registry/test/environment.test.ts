import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type EnvDenial, createBwrapSandbox } from '../src/index.js';
import { makeRegistry } from './helpers.js';
import { describeWithBwrap, makeSandboxDirs } from './sandbox-helpers.js';

// Sentinels in the parent's own environment, as a gateway would hold its token and provider keys.
const SENTINELS = {
  PINCER_GATEWAY_TOKEN: 'sentinel-gateway-token',
  PINCER_STATE_DIR: 'sentinel-state-dir',
  OPENAI_API_KEY: 'sentinel-openai-key',
  ANTHROPIC_API_KEY: 'sentinel-anthropic-key',
  SOME_OTHER_SECRET: 'sentinel-other-secret',
};

beforeEach(() => {
  Object.assign(process.env, SENTINELS);
});
afterEach(() => {
  for (const name of Object.keys(SENTINELS)) delete process.env[name];
});

const denyOptions = (denials: EnvDenial[]) => ({
  // A careless config lists the secrets explicitly: the deny rule wins.
  passEnv: ['OPENAI_API_KEY', 'PINCER_GATEWAY_TOKEN', 'HOSTNAME_HINT'],
  fixedEnv: { PINCER_DEBUG: '1', FIXED_VALUE: 'fixed' },
  deniedEnvNames: ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY'],
  deniedEnvPrefixes: ['PINCER_'],
  onEnvDenied: (denial: EnvDenial) => denials.push(denial),
});

async function childEnv(registry: ReturnType<typeof makeRegistry>, env?: Record<string, string>): Promise<Map<string, string>> {
  const result = await registry.exec({ command: 'env -0', scopeKey: 'agent:a:main', ...(env ? { env } : {}) });
  if (result.status === 'running') throw new Error('expected completion');
  return new Map(
    result.output
      .split('\0')
      .filter((entry) => entry.includes('='))
      .map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]),
  );
}

function expectClean(env: Map<string, string>, options: { isSandboxed: boolean }): void {
  for (const value of env.values()) expect(value).not.toMatch(/sentinel/);
  for (const name of Object.keys(SENTINELS)) expect(env.has(name)).toBe(false);
  // Sandboxed: no PINCER_* at all. Unsandboxed: only the marker, which names the shell's own id.
  const pincerNames = [...env.keys()].filter((name) => name.startsWith('PINCER_'));
  expect(pincerNames).toEqual(options.isSandboxed ? [] : ['PINCER_PROCESS_ID']);
}

describe('child environment (no sandbox)', () => {
  it('inherits nothing of the parent but the allowlist, and denies listed secrets with a warning', async () => {
    const denials: EnvDenial[] = [];
    const registry = makeRegistry(denyOptions(denials));
    expect(denials).toEqual([
      { name: 'OPENAI_API_KEY', source: 'passEnv' },
      { name: 'PINCER_GATEWAY_TOKEN', source: 'passEnv' },
      { name: 'PINCER_DEBUG', source: 'fixedEnv' },
    ]);
    const env = await childEnv(registry, { ANTHROPIC_API_KEY: 'sentinel-from-exec', EXTRA: 'yes' });
    expectClean(env, { isSandboxed: false });
    expect(env.get('FIXED_VALUE')).toBe('fixed');
    expect(env.get('EXTRA')).toBe('yes');
    expect(env.get('PATH')).toBe(process.env['PATH']);
    expect(denials.at(-1)).toEqual({ name: 'ANTHROPIC_API_KEY', source: 'exec' });
    const allowed = new Set([
      'PATH',
      'LANG',
      'TERM',
      'TZ',
      'HOME',
      'USER',
      'PAGER',
      'GIT_PAGER',
      'NO_COLOR',
      'FIXED_VALUE',
      'EXTRA',
      'PINCER_PROCESS_ID',
      'PWD',
      'SHLVL',
      '_',
    ]);
    expect([...env.keys()].filter((name) => !allowed.has(name) && !name.startsWith('LC_'))).toEqual([]);
  });

  it('passes no secret even without a deny rule, because nothing is inherited by default', async () => {
    const env = await childEnv(makeRegistry());
    expectClean(env, { isSandboxed: false });
  });
});

describeWithBwrap('child environment (sandboxed)', () => {
  it('is just as clean inside the sandbox, with HOME set to the workspace', async () => {
    const dirs = makeSandboxDirs();
    const denials: EnvDenial[] = [];
    const sandbox = createBwrapSandbox({ workspaceRoot: dirs.workspaceRoot });
    const registry = makeRegistry({ ...denyOptions(denials), sandbox });
    // A caller cannot plant the marker inside a sandbox either.
    const env = await childEnv(registry, { HOME: '/root', OPENAI_API_KEY: 'sentinel-from-exec', PINCER_PROCESS_ID: 'planted' });
    expectClean(env, { isSandboxed: true });
    expect(env.get('HOME')).toBe(sandbox.workspaceFor('agent:a:main'));
  });
});
