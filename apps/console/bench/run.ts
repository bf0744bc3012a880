// Console benchmarks: the JS bundle size (gzip) and the time to first render of a 1 000-session
// list in headless Chromium against the real built gateway. Prints a table and writes
// bench/results.json for `pnpm bench`.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { reportBench, type BenchRow } from '../../../scripts/bench-report.js';
import {
  disposeGateway,
  FAST_WAKE,
  makeStateDir,
  percentile,
  startChildGateway,
  type ChildGateway,
} from '../../../tests/support/harness.js';
import { browserUnavailableReason, CONSOLE_DIST, launchBrowser, requireBuiltConsole } from '../test/browser.js';

const SESSIONS = 1_000;
const RUNS = 7;
const BUNDLE_TARGET_KB = 250;

function bundleRow(): BenchRow {
  const assets = join(CONSOLE_DIST, 'assets');
  const files = readdirSync(assets).filter((name) => name.endsWith('.js'));
  const raw = files.reduce((sum, name) => sum + readFileSync(join(assets, name)).length, 0);
  const gzip = files.reduce((sum, name) => sum + gzipSync(readFileSync(join(assets, name)), { level: 9 }).length, 0);
  const gzipKb = gzip / 1000;
  return {
    name: `console JS bundle, gzip (${files.length} file${files.length === 1 ? '' : 's'})`,
    value: gzipKb,
    unit: 'kB',
    baseline: 'same files uncompressed',
    baselineValue: raw / 1000,
    ratio: gzip / raw,
    target: `< ${BUNDLE_TARGET_KB} kB gzip`,
    pass: gzipKb < BUNDLE_TARGET_KB,
  };
}

async function seed(gateway: ChildGateway): Promise<void> {
  // Through the API, 25 at a time (the gateway queues at most 1 000 turns).
  for (let start = 0; start < SESSIONS; start += 25) {
    const batch = Array.from({ length: Math.min(25, SESSIONS - start) }, (_unused, offset) =>
      gateway.api('POST', '/v1/agent', {
        message: `seed ${start + offset}`,
        sessionKey: `bench-${String(start + offset).padStart(4, '0')}`,
      }),
    );
    for (const answer of await Promise.all(batch))
      if (answer.status !== 202) throw new Error(`seeding answered ${answer.status}: ${answer.text}`);
  }
  const deadline = Date.now() + 120_000;
  for (;;) {
    const list = await gateway.api<{ count: number }>('GET', '/v1/sessions?limit=1000');
    if (list.body.count >= SESSIONS) return;
    if (Date.now() > deadline) throw new Error(`only ${list.body.count} sessions after 120 s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function renderRows(): Promise<BenchRow[]> {
  const state = makeStateDir({ wake: FAST_WAKE }, 'pincer-console-bench-');
  let gateway: ChildGateway | undefined;
  const browser = await launchBrowser();
  try {
    gateway = await startChildGateway(state);
    await seed(gateway);
    const page = await browser.newPage();
    await page.goto(`${gateway.url}/console/`);
    await page.evaluate((token) => sessionStorage.setItem('pincer.console.token', token), gateway.token);
    // ms from navigation start until `selector` shows `text` (the page's own clock).
    const measure = async (path: string, selector: string, text: string): Promise<number> => {
      await page.goto(`${gateway!.url}${path}`);
      await page.waitForFunction(
        ({ selector: css, text: needle }) => document.querySelector(css)?.textContent?.includes(needle) === true,
        { selector, text },
        { timeout: 60_000 },
      );
      return page.evaluate(() => performance.now());
    };
    const list: number[] = [];
    const empty: number[] = [];
    for (let run = 0; run < RUNS + 1; run += 1) {
      const listMs = await measure('/console/sessions', '#sessions-summary', `of 1\u202f000 sessions`);
      const emptyMs = await measure('/console/shells', 'main', 'No shells to show.');
      if (run === 0) continue; // warm-up: HTTP cache and JIT
      list.push(listMs);
      empty.push(emptyMs);
    }
    const listMedian = percentile(list, 50);
    const emptyMedian = percentile(empty, 50);
    return [
      {
        name: `time to first render of a ${SESSIONS.toLocaleString('en-US')}-session list (Chromium, median of ${RUNS})`,
        value: listMedian,
        unit: 'ms',
        baseline: 'an empty list page (shells), same run',
        baselineValue: emptyMedian,
        ratio: listMedian / emptyMedian,
      },
    ];
  } finally {
    await browser.close();
    await disposeGateway(gateway, state);
  }
}

requireBuiltConsole();
const rows: BenchRow[] = [bundleRow()];
const unavailable = browserUnavailableReason();
if (unavailable) console.warn(`render bench skipped: ${unavailable}`);
else rows.push(...(await renderRows()));
reportBench('console', rows, import.meta.url);
