import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, it } from 'vitest';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));

/** Why bwrap cannot run a sandbox here, or undefined when it can. */
function bwrapProblem(): string | undefined {
  const run = spawnSync('bwrap', ['--unshare-pid', '--ro-bind', '/', '/', '--proc', '/proc', '--dev', '/dev', 'true'], {
    encoding: 'utf8',
  });
  if (run.error) return `bwrap is not installed (${run.error.message}); install the Debian package bubblewrap`;
  if (run.status !== 0) return `bwrap cannot create namespaces here (exit ${run.status}: ${run.stderr.trim()})`;
  return undefined;
}

const problem = bwrapProblem();

/**
 * `describe` for suites that need a working bwrap. Without one they skip loudly (a warning names
 * what and why), except under `CI=true`, where CI installs bubblewrap and a skip would hide a failure.
 */
export function describeWithBwrap(name: string, body: () => void): void {
  if (problem === undefined) {
    describe(name, body);
    return;
  }
  if (process.env['CI'] === 'true') {
    describe(name, () => {
      it('needs a working bwrap (CI=true: failing instead of skipping)', () => {
        throw new Error(`${name}: ${problem}`);
      });
    });
    return;
  }
  console.warn(`[process-registry] SKIPPING "${name}": ${problem}. These sandbox tests run for real wherever bwrap works.`);
  describe.skip(name, body);
}

/**
 * A fake gateway state dir outside /tmp (the sandbox gives every shell a private /tmp, so a state
 * dir there would be hidden for the wrong reason): a token file, a config dir and the workspace root.
 */
export interface SandboxTestDirs {
  readonly stateDir: string;
  readonly configDir: string;
  readonly workspaceRoot: string;
  readonly tokenFile: string;
  /** Writable directory outside the sandbox's view (for broken-binary fixtures and host-side markers). */
  readonly hostDir: string;
}

const created: string[] = [];
afterAll(() => {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Creates the directories (removed after the file's tests). */
export function makeSandboxDirs(): SandboxTestDirs {
  mkdirSync(join(PACKAGE_DIR, '.test-state'), { recursive: true });
  const base = mkdtempSync(join(PACKAGE_DIR, '.test-state', 'run-'));
  created.push(base);
  const stateDir = join(base, 'state');
  const configDir = join(base, 'config');
  const hostDir = join(base, 'host');
  for (const dir of [stateDir, configDir, hostDir]) mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tokenFile = join(stateDir, 'token');
  writeFileSync(tokenFile, 'sentinel-gateway-token\n', { mode: 0o600 });
  writeFileSync(join(stateDir, 'pincer.db'), 'sentinel-database\n', { mode: 0o600 });
  writeFileSync(join(configDir, 'pincer.config.json'), '{"sentinel":"config"}\n', { mode: 0o600 });
  return { stateDir, configDir, workspaceRoot: join(stateDir, 'workspaces'), tokenFile, hostDir };
}

/** An executable that is not bwrap at all: prints a complaint and exits 1. */
export function makeBrokenBinary(dir: string): string {
  const path = join(dir, 'broken-bwrap');
  writeFileSync(path, '#!/bin/sh\necho "broken: this is not bubblewrap" >&2\nexit 1\n');
  chmodSync(path, 0o755);
  return path;
}

/** Live pids (zombies excluded) whose cmdline or environ contains `marker`: found from /proc, never from the registry. */
export function pidsWithMarker(marker: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (state === 'Z' || state === 'X') continue;
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'latin1');
      const environ = readFileSync(`/proc/${name}/environ`, 'latin1');
      if (cmdline.includes(marker) || environ.includes(marker)) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}
