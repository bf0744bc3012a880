import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');

// Issue 17 item 4: a CommonJS consumer on Node >= 20.19 loads the ESM build through require(esm).
describe('require() from CommonJS', () => {
  it.runIf(process.features.require_module === true)(
    'require("@pincer/subagent-spawn") returns the module',
    () => {
      expect(existsSync(join(packageDir, 'dist', 'index.js')), 'build the package first').toBe(true);
      const script =
        'const m = require("@pincer/subagent-spawn"); console.log(JSON.stringify(Object.keys(m).length > 0 ? "ok" : "empty"));';
      const result = spawnSync(process.execPath, ['--no-warnings', '-e', script], { cwd: packageDir, encoding: 'utf8', timeout: 20_000 });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      expect(result.stdout.trim()).toBe('"ok"');
    },
    30_000,
  );
});
