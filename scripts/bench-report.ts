// The one definition of a benchmark row, shared by every `bench/run.ts` in the workspace and
// read back by `scripts/bench.mjs` (which collects each suite's `bench/results.json` into
// bench/RESULTS.md). Dev-only: nothing published imports it.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** One measured figure, with its same-run comparison when there is one. */
export interface BenchRow {
  /** What was measured, in words. */
  name: string;
  /** The figure, in `unit`. */
  value: number;
  unit: string;
  /** What the figure is compared with, measured in the same run. */
  baseline?: string;
  /** The comparison's figure, in `unit`. */
  baselineValue?: number;
  /** `value / baselineValue` (or the ratio the bench defines). */
  ratio?: number;
  /** The target, in words (or a bare number in `unit`). */
  target?: string | number;
  /** Whether the target was met. */
  pass?: boolean;
}

const fmt = (v: number): string => (Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(2));

/**
 * Prints `rows` as one markdown table under `title` and writes them to `results.json` beside the
 * calling bench file (`import.meta.url`), for `pnpm bench` to collect.
 */
export function reportBench(title: string, rows: readonly BenchRow[], benchFileUrl: string): void {
  console.log(`\n${title}\n`);
  console.log('| figure | value | same-run comparison | ratio | target | met |');
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) {
    const comparison =
      r.baseline === undefined ? '—' : r.baselineValue === undefined ? r.baseline : `${r.baseline}: ${fmt(r.baselineValue)} ${r.unit}`;
    const met = r.pass === undefined ? '—' : r.pass ? 'yes' : 'NO';
    console.log(
      `| ${r.name} | ${fmt(r.value)} ${r.unit} | ${comparison} | ${r.ratio === undefined ? '—' : r.ratio.toFixed(2)} | ${r.target ?? '—'} | ${met} |`,
    );
  }
  writeFileSync(fileURLToPath(new URL('./results.json', benchFileUrl)), `${JSON.stringify(rows, null, 2)}\n`);
}
