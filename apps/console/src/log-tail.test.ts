import { describe, expect, it } from 'vitest';
import { applyLogChunk, EMPTY_LOG_TAIL, nextLogOffset } from './log-tail.js';

describe('applyLogChunk', () => {
  it('appends new lines and re-reads the last line, which may have grown', () => {
    let tail = applyLogChunk(EMPTY_LOG_TAIL, 0, 'tick 1\ntick 2\npart');
    expect(tail).toEqual({ totalLines: 3, lines: ['tick 1', 'tick 2', 'part'] });
    expect(nextLogOffset(tail)).toBe(2);
    tail = applyLogChunk(tail, 2, 'partial line done\ntick 3');
    expect(tail).toEqual({ totalLines: 4, lines: ['tick 1', 'tick 2', 'partial line done', 'tick 3'] });
  });

  it('keeps the tail unchanged when nothing new arrived', () => {
    const tail = applyLogChunk(EMPTY_LOG_TAIL, 0, 'a\nb');
    expect(applyLogChunk(tail, nextLogOffset(tail), '')).toBe(tail);
  });

  it('keeps only the newest maxLines but counts every line', () => {
    const tail = applyLogChunk(EMPTY_LOG_TAIL, 0, Array.from({ length: 10 }, (_unused, index) => `line ${index}`).join('\n'), 3);
    expect(tail).toEqual({ totalLines: 10, lines: ['line 7', 'line 8', 'line 9'] });
    expect(applyLogChunk(tail, 9, 'line 9\nline 10', 3)).toEqual({ totalLines: 11, lines: ['line 8', 'line 9', 'line 10'] });
  });
});
