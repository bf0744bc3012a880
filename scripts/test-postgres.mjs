#!/usr/bin/env node
// The PostgreSQL leg: the gateway's end-to-end files and the isolation, credentials and trust
// matrices again, with every gateway keeping its state in PostgreSQL (`PINCER_TEST_STORE=postgres`:
// a fresh schema per gateway on the run's server — `PINCER_TEST_POSTGRES_URL`, or an embedded
// PostgreSQL 18 from npm). Prints the same `Summary:` line as `pnpm test`.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const files = [
  // apps/gateway: every end-to-end file that does not open the SQLite file itself
  'apps/gateway/test/cron-durations.test.ts',
  'apps/gateway/test/event-ceiling.test.ts',
  'apps/gateway/test/event-replay.test.ts',
  'apps/gateway/test/heartbeat-backoff-status.test.ts',
  'apps/gateway/test/http-api.test.ts',
  'apps/gateway/test/isolation.test.ts',
  'apps/gateway/test/plugins.test.ts',
  'apps/gateway/test/process-log-stream.test.ts',
  'apps/gateway/test/prefix-paging.test.ts',
  'apps/gateway/test/process-tree.test.ts',
  'apps/gateway/test/providers.test.ts',
  'apps/gateway/test/seeds.test.ts',
  'apps/gateway/test/shell-ceiling.test.ts',
  'apps/gateway/test/trust.test.ts',
  // tests/: the cross-session matrices
  'tests/reliability/isolation.test.ts',
  'tests/reliability/credentials-matrix.test.ts',
  'tests/reliability/trust-boundaries.test.ts',
  'tests/reliability/fuzz.test.ts',
];
const result = spawnSync(process.execPath, [join(root, 'scripts', 'test.mjs'), '--project', 'gateway', '--project', 'tests', ...files], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, PINCER_TEST_STORE: 'postgres' },
});
process.exit(result.status ?? 1);
