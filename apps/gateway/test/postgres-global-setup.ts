import type { TestProject } from 'vitest/node';
import { startTestPostgres } from './postgres-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Connection string of the run's PostgreSQL (see `postgres-server.ts`). */
    postgresUrl: string;
  }
}

/**
 * One PostgreSQL for the gateway's test run: `PINCER_TEST_POSTGRES_URL`, or an embedded server
 * started here and stopped after the run. Tests take it with `inject('postgresUrl')` and give
 * every store its own schema.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const server = await startTestPostgres();
  project.provide('postgresUrl', server.url);
  if (server.origin === 'embedded') {
    process.stderr.write(`[gateway tests] embedded PostgreSQL started in ${Date.now() - started} ms\n`);
  }
  return async () => {
    await server.stop();
  };
}
