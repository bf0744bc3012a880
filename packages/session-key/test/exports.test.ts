import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const cliDir = join(packageDir, '..', '..', 'apps', 'cli');

/** Import `specifier` in a fresh Node process started in `cwd`; report the outcome as JSON. */
function importFrom(cwd: string, specifier: string): { ok: boolean; code?: string; exports?: string[] } {
  const script = `import(${JSON.stringify(specifier)}).then(
    (m) => console.log(JSON.stringify({ ok: true, exports: Object.keys(m) })),
    (e) => console.log(JSON.stringify({ ok: false, code: e.code })))`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd,
    encoding: 'utf8',
    timeout: 15_000,
  });
  expect(result.status, result.stderr).toBe(0);
  return JSON.parse(result.stdout.trim()) as { ok: boolean; code?: string; exports?: string[] };
}

const DEEP_IMPORTS = [
  '@pincer/session-key/src/index.ts',
  '@pincer/session-key/src/parse.ts',
  '@pincer/session-key/dist/index.js',
  '@pincer/session-key/dist/index',
] as const;

describe('package exports', () => {
  it('the package root resolves (self-reference) and exposes the public API', () => {
    expect(existsSync(join(packageDir, 'dist', 'index.js')), 'run `pnpm --filter @pincer/session-key build` first').toBe(true);
    const result = importFrom(packageDir, '@pincer/session-key');
    expect(result.ok).toBe(true);
    expect(result.exports).toEqual(expect.arrayContaining(['normalizeAgentId', 'parseAgentSessionKey', 'SessionKeyError']));
  }, 20_000);

  it.each(DEEP_IMPORTS)(
    'deep import %s fails with ERR_PACKAGE_PATH_NOT_EXPORTED (self-reference)',
    (specifier) => {
      expect(importFrom(packageDir, specifier)).toEqual({ ok: false, code: 'ERR_PACKAGE_PATH_NOT_EXPORTED' });
    },
    20_000,
  );

  it.runIf(existsSync(join(cliDir, 'node_modules', '@pincer', 'session-key')))(
    'deep imports also fail from a dependent workspace package (apps/cli)',
    () => {
      for (const specifier of DEEP_IMPORTS) {
        expect(importFrom(cliDir, specifier)).toEqual({ ok: false, code: 'ERR_PACKAGE_PATH_NOT_EXPORTED' });
      }
    },
    30_000,
  );
});
