import { randomBytes } from 'node:crypto';
import { openSyncPostgresClient, type SyncPostgresClient } from './sync-client.js';

/** Fresh schemas for the PostgreSQL store's tests (one per store under test), dropped by {@link TestSchemas.dropAll}. */
export interface TestSchemas {
  /** A new schema name, not created yet (the store creates it). */
  fresh(): string;
  /** A plain connection to `schema` (reads behind the store's back). */
  connect(schema: string): SyncPostgresClient;
  dropAll(): void;
}

/** Test schemas on the server at `url`. */
export function createTestSchemas(url: string): TestSchemas {
  const names: string[] = [];
  const clients: SyncPostgresClient[] = [];
  return {
    fresh() {
      const name = `t_${randomBytes(6).toString('hex')}`;
      names.push(name);
      return name;
    },
    connect(schema) {
      const client = openSyncPostgresClient(url, { schema });
      clients.push(client);
      return client;
    },
    dropAll() {
      for (const client of clients.splice(0)) client.close();
      if (names.length === 0) return;
      const admin = openSyncPostgresClient(url);
      try {
        for (const name of names.splice(0)) admin.exec(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
      } finally {
        admin.close();
      }
    },
  };
}
