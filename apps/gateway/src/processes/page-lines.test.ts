import { describe, expect, it } from 'vitest';
import { pageLines } from './page-lines.js';

describe('pageLines (the registry log rule, for journal reads)', () => {
  const text = 'l1\nl2\nl3\nl4\nl5\n';
  it('gives the last N lines for a limit without an offset', () => {
    expect(pageLines(text, { limit: 2 })).toBe('l4\nl5');
  });
  it('gives every line (no trailing empty line) by default', () => {
    expect(pageLines(text, {})).toBe('l1\nl2\nl3\nl4\nl5');
  });
  it('pages from an offset', () => {
    expect(pageLines(text, { offset: 1, limit: 2 })).toBe('l2\nl3');
    expect(pageLines(text, { offset: 3 })).toBe('l4\nl5');
    expect(pageLines(text, { offset: 99 })).toBe('');
  });
  it('keeps only the last 200 lines by default', () => {
    const long = Array.from({ length: 250 }, (_, index) => `line ${index}`).join('\n');
    const page = pageLines(long, {}).split('\n');
    expect(page.length).toBe(200);
    expect(page[0]).toBe('line 50');
  });
});
