import { afterEach, describe, expect, it, vi } from 'vitest';
import { createSpinner } from './spinner.js';

function stream(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, isTTY, write: (chunk: string) => chunks.push(chunk) };
}

describe('createSpinner', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('draws frames on a TTY and erases its line when stopped', () => {
    vi.useFakeTimers();
    const out = stream(true);
    const spinner = createSpinner({ stream: out, text: 'waiting', intervalMs: 80 });
    expect(spinner.isEnabled).toBe(true);
    spinner.start();
    vi.advanceTimersByTime(80 * 3);
    spinner.stop();
    spinner.stop();
    expect(out.chunks).toHaveLength(5);
    expect(out.chunks[0]).toBe('\r\x1b[2K⠋ waiting');
    expect(out.chunks[1]).toBe('\r\x1b[2K⠙ waiting');
    expect(out.chunks.at(-1)).toBe('\r\x1b[2K');
    vi.advanceTimersByTime(1000);
    expect(out.chunks).toHaveLength(5);
  });

  it('is silent when the stream is not a TTY', () => {
    vi.useFakeTimers();
    const out = stream(false);
    const spinner = createSpinner({ stream: out, text: 'waiting' });
    spinner.start();
    vi.advanceTimersByTime(5000);
    spinner.stop();
    expect(spinner.isEnabled).toBe(false);
    expect(out.chunks).toEqual([]);
  });

  it('can be forced off on a TTY', () => {
    const out = stream(true);
    const spinner = createSpinner({ stream: out, text: 'x', enabled: false });
    spinner.start();
    spinner.stop();
    expect(out.chunks).toEqual([]);
  });
});
