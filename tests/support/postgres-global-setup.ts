import type { TestProject } from 'vitest/node';
import { startTestPostgres } from '../../apps/gateway/test/postgres-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Connection string of the run's PostgreSQL; empty unless `PINCER_TEST_STORE` is `postgres` or `cluster`. */
    postgresUrl: string;
  }
}

/**
 * The PostgreSQL legs (`PINCER_TEST_STORE=postgres` or `cluster`, CI's `test-postgres` stage): one PostgreSQL for
 * the run (`PINCER_TEST_POSTGRES_URL`, or an embedded server started here), and every in-process
 * gateway of these suites keeps its state in its own schema of it. Without the variable: nothing.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (process.env.PINCER_TEST_STORE !== 'postgres' && process.env.PINCER_TEST_STORE !== 'cluster') {
    project.provide('postgresUrl', '');
    return undefined;
  }
  const server = await startTestPostgres();
  project.provide('postgresUrl', server.url);
  return async () => {
    await server.stop();
  };
}
