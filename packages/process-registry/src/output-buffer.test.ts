import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BoundedChunks, SessionOutput } from './output-buffer.js';

describe('SessionOutput', () => {
  it('keeps the newest chars at the retained cap and flags truncation', () => {
    const out = new SessionOutput({ maxOutputChars: 1_000, maxPendingChars: 1_000 });
    out.append('stdout', 'x'.repeat(990));
    out.append('stdout', '0123456789abcdef');
    expect(out.text()).toBe('x'.repeat(984) + '0123456789abcdef');
    expect(out.truncated).toBe(true);
    expect(out.totalChars).toBe(1_006);
  });

  it('caps unread output per stream independently and drains in arrival order', () => {
    const out = new SessionOutput({ maxOutputChars: 10_000, maxPendingChars: 1_000 });
    out.append('stdout', 'a'.repeat(600));
    out.append('stderr', 'c'.repeat(1_200));
    out.append('stdout', 'b'.repeat(600));
    const { output, droppedChars } = out.drain();
    expect(output).toBe('a'.repeat(400) + 'c'.repeat(1_000) + 'b'.repeat(600));
    expect(droppedChars).toBe(400);
    expect(out.drain()).toEqual({ output: '', droppedChars: 0 });
  });

  it('never splits a surrogate pair when trimming', () => {
    const chunks = new BoundedChunks(2);
    chunks.push('a😀b');
    expect(chunks.toString()).toBe('b');
  });

  it('equals the last cap chars of the concatenation (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme-ascii', maxLength: 50 })), fc.integer({ min: 1, max: 60 }), (parts, cap) => {
        const chunks = new BoundedChunks(cap);
        for (const p of parts) chunks.push(p);
        const all = parts.join('');
        expect(chunks.toString()).toBe(all.slice(Math.max(0, all.length - cap)));
        expect(chunks.length).toBe(Math.min(cap, all.length));
        expect(chunks.tail(5)).toBe(all.slice(Math.max(0, Math.min(cap, all.length) - 5) + Math.max(0, all.length - cap)));
      }),
    );
  });
});
