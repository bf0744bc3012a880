/** The lines of a shell's output the console holds: the newest `maxLines`, and how many there are in all. */
export interface LogTail {
  /** Lines known in all (the index after the last one). */
  totalLines: number;
  /** The newest lines, at most `maxLines`. */
  lines: string[];
}

/** Lines kept in the browser per shell. */
export const LOG_TAIL_MAX_LINES = 5_000;

/** An empty tail. */
export const EMPTY_LOG_TAIL: LogTail = { totalLines: 0, lines: [] };

/**
 * The line offset to ask `GET /v1/processes/{id}/log` for next: the last known line again, since
 * it may have been a partial line that has grown since. Pure.
 */
export function nextLogOffset(tail: LogTail): number {
  return Math.max(0, tail.totalLines - 1);
}

/** Folds the answer for `offset` (lines joined by `\n`) into `tail`. Pure. */
export function applyLogChunk(tail: LogTail, offset: number, output: string, maxLines = LOG_TAIL_MAX_LINES): LogTail {
  const incoming = output === '' ? [] : output.split('\n');
  if (incoming.length === 0) return tail;
  const replaced = Math.max(0, tail.totalLines - offset);
  const kept = replaced >= tail.lines.length ? [] : tail.lines.slice(0, tail.lines.length - replaced);
  const lines = [...kept, ...incoming];
  return { totalLines: offset + incoming.length, lines: lines.length > maxLines ? lines.slice(lines.length - maxLines) : lines };
}
