/**
 * The packages as a user gets them: `pnpm pack` every publishable workspace package, install the
 * tarballs with plain npm into an empty directory outside the monorepo (npm compiles
 * better-sqlite3 from source there), then run the installed `pincer gateway` on an ephemeral
 * loopback port with a fresh 0700 state dir and `pincer agent` against it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PNPM_VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { packageManager: string }).packageManager.replace(
  /^pnpm@/,
  '',
);
// npm compiles better-sqlite3 (about 3 min of CPU); a busy 2-core machine has taken 13 min.
const INSTALL_TIMEOUT_MS = 1_500_000;
const COMMAND_TIMEOUT_MS = 120_000;
const LISTEN_TIMEOUT_MS = 60_000;

interface Manifest {
  name: string;
  private?: boolean;
  bin?: Record<string, string>;
  exports?: unknown;
}

interface Workspace {
  dir: string;
  manifest: Manifest;
}

interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Every publishable workspace package under packages/ and apps/. */
function publishablePackages(): Workspace[] {
  const found: Workspace[] = [];
  for (const folder of ['packages', 'apps']) {
    for (const name of readdirSync(join(ROOT, folder))) {
      const manifestPath = join(ROOT, folder, name, 'package.json');
      if (!existsSync(manifestPath)) continue;
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
      if (manifest.private !== true) found.push({ dir: join(ROOT, folder, name), manifest });
    }
  }
  return found;
}

/**
 * The environment for the installer and the installed commands: the caller's, without what
 * pnpm/npm set for the running script (`npm_*`), without PINCER_* (a real gateway must not be
 * found), and with native addons built against the headers of the Node.js running this test.
 */
function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined || name.startsWith('PINCER_') || /^npm_/i.test(name) || /^pnpm_/i.test(name)) continue;
    env[name] = value;
  }
  const nodePrefix = dirname(dirname(process.execPath));
  if (existsSync(join(nodePrefix, 'include', 'node', 'node.h'))) env.npm_config_nodedir = nodePrefix;
  // The installed `pincer` and the npm lifecycle scripts must run on this same Node.js.
  env.PATH = `${dirname(process.execPath)}:${env.PATH ?? ''}`;
  return { ...env, ...extra };
}

/** Run a command to completion (bounded); never throws on a non-zero exit. */
function run(command: string, args: ReadonlyArray<string>, cwd: string, timeoutMs: number, env = childEnv()): Promise<CommandResult> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} did not finish within ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolveRun({ code, stdout, stderr });
    });
  });
}

describe('pack every publishable package and install it with npm outside the monorepo', () => {
  let workDir: string;
  let appDir: string;
  let stateDir: string;
  let tarballs: string[] = [];
  let gateway: ChildProcess | undefined;
  let gatewayOutput = '';

  const pincerBin = () => join(appDir, 'node_modules', '.bin', 'pincer');

  beforeAll(async () => {
    const packages = publishablePackages();
    for (const { dir, manifest } of packages) {
      if (!existsSync(join(dir, 'dist'))) throw new Error(`Build first (pnpm build): ${manifest.name} has no dist/`);
    }
    workDir = mkdtempSync(join(tmpdir(), 'pincer-pack-install-'));
    const tarballDir = join(workDir, 'tarballs');
    appDir = join(workDir, 'app');
    stateDir = join(workDir, 'state');
    mkdirSync(tarballDir);
    mkdirSync(appDir);
    mkdirSync(stateDir, { mode: 0o700 });
    for (const { dir, manifest } of packages) {
      const packed = await run('npx', ['-y', `pnpm@${PNPM_VERSION}`, 'pack', '--pack-destination', tarballDir], dir, COMMAND_TIMEOUT_MS);
      if (packed.code !== 0) throw new Error(`pnpm pack of ${manifest.name} failed:\n${packed.stdout}\n${packed.stderr}`);
    }
    tarballs = readdirSync(tarballDir)
      .filter((name) => name.endsWith('.tgz'))
      .map((name) => join(tarballDir, name));
    writeFileSync(join(appDir, 'package.json'), `${JSON.stringify({ name: 'pincer-install-check', private: true }, null, 2)}\n`);
    const installed = await run(
      'npm',
      ['install', '--omit=dev', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs],
      appDir,
      INSTALL_TIMEOUT_MS,
    );
    if (installed.code !== 0) throw new Error(`npm install of the tarballs failed:\n${installed.stdout}\n${installed.stderr}`);
  }, INSTALL_TIMEOUT_MS + 120_000);

  afterAll(async () => {
    if (gateway && gateway.exitCode === null && gateway.signalCode === null) {
      const exited = new Promise((resolveExit) => gateway?.once('exit', resolveExit));
      gateway.kill('SIGTERM');
      const timer = setTimeout(() => gateway?.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('packs a tarball for each publishable package, the CLI and the gateway among them', () => {
    const names = publishablePackages().map(({ manifest }) => manifest.name);
    expect(names).toEqual(expect.arrayContaining(['@pincer/cli', '@pincer/gateway']));
    expect(tarballs).toHaveLength(names.length);
  });

  it('installs outside the monorepo from the tarballs alone, with the native SQLite binding built', () => {
    expect(appDir.startsWith(ROOT)).toBe(false);
    const installedCli = join(appDir, 'node_modules', '@pincer', 'cli', 'package.json');
    expect(JSON.parse(readFileSync(installedCli, 'utf8')).name).toBe('@pincer/cli');
    // Every workspace dependency resolved to the packed copy, not to a registry download or a link.
    for (const { manifest } of publishablePackages()) {
      const installedDir = join(appDir, 'node_modules', ...manifest.name.split('/'));
      expect(statSync(installedDir).isSymbolicLink(), manifest.name).toBe(false);
      expect(existsSync(join(installedDir, 'src')), `${manifest.name} ships src/`).toBe(false);
    }
    const bindingDir = join(appDir, 'node_modules', 'better-sqlite3', 'build', 'Release');
    expect(readdirSync(bindingDir)).toContain('better_sqlite3.node');
  });

  it('runs the installed `pincer gateway` and `pincer agent` against it', async () => {
    const env = childEnv({ PINCER_STATE_DIR: stateDir, HOME: workDir });
    gateway = spawn(pincerBin(), ['gateway', '--port', '0', '--host', '127.0.0.1', '--state-dir', stateDir, '--json'], {
      cwd: appDir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    gateway.stdout?.on('data', (chunk: Buffer) => {
      gatewayOutput += chunk.toString();
    });
    gateway.stderr?.on('data', (chunk: Buffer) => {
      gatewayOutput += chunk.toString();
    });
    const listening = await new Promise<{ ok: boolean; url: string }>((resolveListening, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`gateway did not listen within ${LISTEN_TIMEOUT_MS} ms:\n${gatewayOutput}`)),
        LISTEN_TIMEOUT_MS,
      );
      const check = () => {
        const line = gatewayOutput.split('\n').find((candidate) => candidate.startsWith('{'));
        if (line) {
          clearTimeout(timer);
          resolveListening(JSON.parse(line) as { ok: boolean; url: string });
        }
      };
      gateway?.stdout?.on('data', check);
      gateway?.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`gateway exited (${code}) before listening:\n${gatewayOutput}`));
      });
    });
    expect(listening.ok).toBe(true);
    expect(listening.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+/);

    const reply = await run(pincerBin(), ['agent', '--agent', 'main', '-m', 'hello'], appDir, COMMAND_TIMEOUT_MS, env);
    expect(reply.stderr).toBe('');
    expect(reply.code).toBe(0);
    expect(reply.stdout).toBe('[scripted] echo: hello\n');
  });
});
