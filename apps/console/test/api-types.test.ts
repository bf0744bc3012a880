/**
 * The console is typed against the gateway's OpenAPI document: src/api/schema.d.ts must be what
 * scripts/generate-api-types.mjs writes from the built gateway's /openapi.json today. When a route
 * changes, this fails until `pnpm --filter @pincer/console api:types` is run and committed.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';

const consoleDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const scratch = mkdtempSync(join(tmpdir(), 'pincer-console-api-types-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('src/api/schema.d.ts', () => {
  it("is current with the built gateway's /openapi.json", async () => {
    const out = join(scratch, 'schema.d.ts');
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('PINCER_')));
    await execa(process.execPath, [join(consoleDir, 'scripts', 'generate-api-types.mjs')], {
      env: { ...env, PINCER_API_TYPES_OUT: out },
      extendEnv: false,
      timeout: 60_000,
    });
    const committed = readFileSync(join(consoleDir, 'src', 'api', 'schema.d.ts'), 'utf8');
    expect(readFileSync(out, 'utf8'), 'regenerate with: pnpm --filter @pincer/console api:types').toBe(committed);
  });
});
