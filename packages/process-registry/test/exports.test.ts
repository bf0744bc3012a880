import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));

/** Resolves a specifier with plain Node from inside the package (self-reference through `exports`). */
function nodeImport(specifier: string): { ok: boolean; stderr: string } {
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(specifier)})`], {
    cwd: PACKAGE_DIR,
    encoding: 'utf8',
  });
  return { ok: result.status === 0, stderr: result.stderr };
}

describe('package exports', () => {
  it('exposes the root and ./testing entry points', () => {
    expect(nodeImport('@pincer/process-registry').ok).toBe(true);
    expect(nodeImport('@pincer/process-registry/testing').ok).toBe(true);
  });

  it('refuses deep imports', () => {
    const deep = nodeImport('@pincer/process-registry/dist/registry.js');
    expect(deep.ok).toBe(false);
    expect(deep.stderr).toContain('ERR_PACKAGE_PATH_NOT_EXPORTED');
  });
});
