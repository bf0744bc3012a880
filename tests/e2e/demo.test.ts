/**
 * The README's Run command: `node scripts/demo.mjs` (what `pnpm demo` runs after building)
 * prints its eight stories (seven and the sandbox story), exits 0, and leaves no process and no temp dir behind.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, cleanEnv, requireBuiltApps } from '../support/harness.js';

describe('pnpm demo', () => {
  it('walks through the eight stories and exits 0, cleaning up after itself', async () => {
    requireBuiltApps();
    const child = spawn(process.execPath, [join(ROOT, 'scripts', 'demo.mjs')], {
      cwd: ROOT,
      env: cleanEnv({ NO_COLOR: '1' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), 170_000);
    const code = await new Promise<number | null>((r) => child.once('close', (c) => r(c)));
    clearTimeout(timer);
    expect(out, out).toMatch(/All \d+ checks held across the seven stories and the sandbox story/);
    expect(code).toBe(0);
    for (const n of [1, 2, 3, 4, 5, 6]) expect(out).toMatch(new RegExp(`^${n}\\. `, 'm'));
    const stateDir = /state dir (\S+)/.exec(out)?.[1];
    expect(stateDir).toBeDefined();
    expect(existsSync(stateDir!)).toBe(false);
  }, 180_000);
});
