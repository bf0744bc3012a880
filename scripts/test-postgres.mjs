#!/usr/bin/env node
// The PostgreSQL leg: the gateway's end-to-end files and the isolation, credentials and trust
// matrices again, with every gateway keeping its state in PostgreSQL (`PINCER_TEST_STORE=postgres`:
// a fresh schema per gateway on the run's server — `PINCER_TEST_POSTGRES_URL`, or an embedded
// PostgreSQL 18 from npm), then the matrices against a three-node cluster. Prints one `Summary:`
// line over both, as `pnpm test` does.
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
// The cross-session matrices once more against a cluster: three in-process gateways on one
// schema, every request going to the next node (`PINCER_TEST_STORE=cluster`).
const clusterFiles = [
  'tests/reliability/isolation.test.ts',
  'tests/reliability/credentials-matrix.test.ts',
  'tests/reliability/trust-boundaries.test.ts',
];

/** Run scripts/test.mjs on `testFiles` with the store `store`; its output passes through, its `Summary:` line is returned. */
function leg(store, projects, testFiles) {
  const result = spawnSync(
    process.execPath,
    [join(root, 'scripts', 'test.mjs'), ...projects.flatMap((project) => ['--project', project]), ...testFiles],
    {
      cwd: root,
      stdio: ['inherit', 'pipe', 'inherit'],
      env: { ...process.env, PINCER_TEST_STORE: store },
      maxBuffer: 512 * 1024 * 1024,
    },
  );
  const output = result.stdout?.toString() ?? '';
  process.stdout.write(output);
  const lines = output.match(/^Summary: (\d+) passed, (\d+) failed, (\d+) skipped$/gm) ?? [];
  const last = lines.at(-1)?.match(/(\d+) passed, (\d+) failed, (\d+) skipped/);
  return { status: result.status ?? 1, counts: last ? last.slice(1, 4).map(Number) : undefined };
}

const legs = [leg('postgres', ['gateway', 'tests'], files), leg('cluster', ['tests'], clusterFiles)];
const totals = [0, 0, 0];
for (const { counts } of legs) for (let index = 0; index < 3; index++) totals[index] += counts?.[index] ?? 0;
// A leg without a summary line counts as a failure.
if (legs.some((ran) => ran.counts === undefined)) totals[1] += 1;
console.log(`Summary: ${totals[0]} passed, ${totals[1]} failed, ${totals[2]} skipped`);
process.exit(legs.every((ran) => ran.status === 0) && totals[1] === 0 ? 0 : 1);
