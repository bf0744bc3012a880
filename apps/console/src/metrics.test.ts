import { describe, expect, it } from 'vitest';
import { metricTotal, parseMetrics } from './metrics.js';

describe('parseMetrics', () => {
  it('reads samples with labels and sums a family', () => {
    const text =
      '# HELP pincer_runs_total Runs\n# TYPE pincer_runs_total counter\npincer_runs_total{kind="user",status="ok"} 3\npincer_runs_total{kind="cron",status="error"} 2\npincer_processes_running 1\nbroken line\n';
    const samples = parseMetrics(text);
    expect(samples).toEqual([
      { name: 'pincer_runs_total', labels: { kind: 'user', status: 'ok' }, value: 3 },
      { name: 'pincer_runs_total', labels: { kind: 'cron', status: 'error' }, value: 2 },
      { name: 'pincer_processes_running', labels: {}, value: 1 },
    ]);
    expect(metricTotal(samples, 'pincer_runs_total')).toBe(5);
    expect(metricTotal(samples, 'absent')).toBe(0);
  });
});
