#!/usr/bin/env node
// Runs the whole Vitest suite (every workspace project) once, then prints one plain
// summary line `Summary: N passed, N failed, N skipped` and exits non-zero on any
// failure — including a run that crashed before reporting, or a run with no tests.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, '.ci', 'out');
const report = join(outDir, 'vitest.json');
mkdirSync(outDir, { recursive: true });
rmSync(report, { force: true });

const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
const result = spawnSync(
  process.execPath,
  [vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)],
  { cwd: root, stdio: 'inherit', env: { ...process.env, FORCE_COLOR: process.env.FORCE_COLOR ?? '0' } },
);

let summary;
try {
  summary = JSON.parse(readFileSync(report, 'utf8'));
} catch {
  console.error(`vitest produced no report (exit ${result.status ?? result.signal})`);
  console.log('Summary: 0 passed, 1 failed');
  process.exit(1);
}
const passed = summary.numPassedTests ?? 0;
// A file whose beforeAll failed has no failed test (its tests are skipped): count it as one failure.
const failedTests = (summary.numFailedTests ?? 0) + (summary.numRuntimeErrorTestSuites ?? 0);
const failed = failedTests > 0 ? failedTests : (summary.numFailedTestSuites ?? 0);
const skipped = (summary.numPendingTests ?? 0) + (summary.numTodoTests ?? 0);
console.log(`Summary: ${passed} passed, ${failed} failed, ${skipped} skipped`);
if (result.status !== 0 || failed > 0 || passed === 0) process.exit(1);
