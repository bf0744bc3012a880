/** Which stream a chunk came from (PTY sessions only produce `stdout`). */
export type OutputStream = 'stdout' | 'stderr';

/** A piece of decoded output. */
export interface OutputChunk {
  readonly stream: OutputStream;
  readonly text: string;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** Drops `count` chars from the front of `text` without splitting a surrogate pair. */
function dropFront(text: string, count: number): string {
  let start = count;
  if (start > 0 && start < text.length && isLowSurrogate(text.charCodeAt(start))) start += 1;
  return text.slice(start);
}

/**
 * A queue of string chunks holding at most `cap` chars: the oldest chars go first.
 * Appends are O(chunk); nothing is ever concatenated until read.
 */
export class BoundedChunks {
  private chunks: ({ text: string; seq: number } | null)[] = [];
  private head = 0;
  private size = 0;
  /** Chars dropped since the last `clear()`. */
  dropped = 0;

  constructor(readonly cap: number) {}

  get length(): number {
    return this.size;
  }

  push(text: string, seq = 0): void {
    if (text.length === 0) return;
    this.chunks.push({ text, seq });
    this.size += text.length;
    while (this.size > this.cap && this.head < this.chunks.length) {
      const first = this.chunks[this.head]!;
      const excess = this.size - this.cap;
      if (first.text.length <= excess) {
        this.size -= first.text.length;
        this.dropped += first.text.length;
        this.chunks[this.head] = null; // release the dropped string now, not at compaction
        this.head += 1;
      } else {
        const kept = dropFront(first.text, excess);
        // Copy so the retained piece does not pin the whole parent string in memory.
        const copy = kept.length < first.text.length / 2 ? Buffer.from(kept, 'utf16le').toString('utf16le') : kept;
        this.dropped += first.text.length - kept.length;
        this.size -= first.text.length - kept.length;
        this.chunks[this.head] = { text: copy, seq: first.seq };
      }
    }
    if (this.head > 64 && this.head * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
  }

  /** The retained chunks, oldest first. */
  entries(): { text: string; seq: number }[] {
    return this.chunks.slice(this.head) as { text: string; seq: number }[];
  }

  toString(): string {
    let out = '';
    for (let i = this.head; i < this.chunks.length; i++) out += this.chunks[i]!.text;
    return out;
  }

  /** Last `n` chars, surrogate-safe. */
  tail(n: number): string {
    let out = '';
    for (let i = this.chunks.length - 1; i >= this.head && out.length < n; i--) out = this.chunks[i]!.text + out;
    return out.length > n ? dropFront(out, out.length - n) : out;
  }

  clear(): void {
    this.chunks = [];
    this.head = 0;
    this.size = 0;
    this.dropped = 0;
  }
}

/**
 * Unread output of both streams with a per-stream cap; drains in arrival order.
 * Used for `poll` and for batching journal output.
 */
export class UnreadOutput {
  private readonly streams: Record<OutputStream, BoundedChunks>;
  private seq = 0;

  constructor(capPerStream: number) {
    this.streams = { stdout: new BoundedChunks(capPerStream), stderr: new BoundedChunks(capPerStream) };
  }

  push(stream: OutputStream, text: string): void {
    this.seq += 1;
    this.streams[stream].push(text, this.seq);
  }

  get length(): number {
    return this.streams.stdout.length + this.streams.stderr.length;
  }

  /** Chars dropped from either stream since the last drain. */
  get dropped(): number {
    return this.streams.stdout.dropped + this.streams.stderr.dropped;
  }

  /** Chunks in arrival order, then resets. */
  drainChunks(): { chunks: OutputChunk[]; droppedChars: number } {
    const tagged = [
      ...this.streams.stdout.entries().map((c) => ({ ...c, stream: 'stdout' as const })),
      ...this.streams.stderr.entries().map((c) => ({ ...c, stream: 'stderr' as const })),
    ].sort((a, b) => a.seq - b.seq);
    const droppedChars = this.dropped;
    this.streams.stdout.clear();
    this.streams.stderr.clear();
    return { chunks: tagged.map((c) => ({ stream: c.stream, text: c.text })), droppedChars };
  }
}

/** Caps of one session's output. */
export interface OutputCaps {
  /** Retained output, chars. */
  readonly maxOutputChars: number;
  /** Unread output per stream between polls, chars. */
  readonly maxPendingChars: number;
}

/**
 * One session's output: the retained aggregate (what `log` pages through) and the unread
 * per-stream buffers (what `poll` drains), each capped independently.
 */
export class SessionOutput {
  private readonly retained: BoundedChunks;
  private readonly pending: UnreadOutput;
  /** Every char ever appended. */
  totalChars = 0;
  /** True once anything was dropped from the retained output or an unread buffer. */
  truncated = false;

  constructor(caps: OutputCaps) {
    this.retained = new BoundedChunks(caps.maxOutputChars);
    this.pending = new UnreadOutput(Math.min(caps.maxPendingChars, caps.maxOutputChars));
  }

  append(stream: OutputStream, text: string): void {
    if (text.length === 0) return;
    this.totalChars += text.length;
    this.retained.push(text);
    this.pending.push(stream, text);
    if (this.retained.dropped > 0 || this.pending.dropped > 0) this.truncated = true;
  }

  /** Unread output of both streams, in arrival order; resets the unread buffers. */
  drain(): { output: string; droppedChars: number } {
    const { chunks, droppedChars } = this.pending.drainChunks();
    return { output: chunks.map((c) => c.text).join(''), droppedChars };
  }

  get hasUnread(): boolean {
    return this.pending.length > 0 || this.pending.dropped > 0;
  }

  /** Chars currently buffered (retained + unread). */
  get bufferedChars(): number {
    return this.retained.length + this.pending.length;
  }

  get retainedChars(): number {
    return this.retained.length;
  }

  text(): string {
    return this.retained.toString();
  }

  tail(n: number): string {
    return this.retained.tail(n);
  }
}
