import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Imports `specifier` from the package directory in a fresh Node process; returns what happened. */
function tryImport(specifier: string): { ok: boolean; code?: string; names?: string[] } {
  const script = `import(${JSON.stringify(specifier)}).then(
    (m) => console.log(JSON.stringify({ ok: true, names: Object.keys(m) })),
    (e) => console.log(JSON.stringify({ ok: false, code: e.code })))`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: packageDir, encoding: 'utf8', timeout: 15_000 });
  expect(child.status, child.stderr).toBe(0);
  return JSON.parse(child.stdout.trim()) as { ok: boolean; code?: string; names?: string[] };
}

describe('package exports (built dist)', () => {
  it('the root entry exposes the public API', () => {
    expect(existsSync(join(packageDir, 'dist', 'index.js')), 'run `pnpm --filter @pincer/heartbeat-router build` first').toBe(true);
    const result = tryImport('@pincer/heartbeat-router');
    expect(result.ok).toBe(true);
    expect(result.names).toEqual(
      expect.arrayContaining([
        'createSystemEventQueue',
        'createInMemorySystemEventStore',
        'resolveEventSession',
        'resolveHeartbeatSession',
        'createWakeScheduler',
        'createHeartbeatRunner',
        'createCronScheduler',
        'createInMemoryCronStore',
        'formatForPrompt',
        'dispatchSystemEvent',
        'createCronFireHandler',
        'HeartbeatRouterError',
      ]),
    );
  }, 20_000);

  it.each([
    '@pincer/heartbeat-router/src/index.ts',
    '@pincer/heartbeat-router/dist/index.js',
    '@pincer/heartbeat-router/src/wake-scheduler',
  ])(
    'deep import %s is refused',
    (specifier) => {
      expect(tryImport(specifier)).toEqual({ ok: false, code: 'ERR_PACKAGE_PATH_NOT_EXPORTED' });
    },
    20_000,
  );
});
