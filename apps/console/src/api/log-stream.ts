import { ConsoleError, codeForStatus } from './console-error.js';
import { segment, withQuery } from './api-client.js';
import { createSseParser } from './sse-parser.js';

/** Options of {@link openLogStream}. */
export interface LogStreamOptions {
  /** Authorization headers (the token never goes into the URL). */
  headers: Record<string, string>;
  /** The shell. */
  id: string;
  /** First line wanted (see `nextLogOffset`). */
  offset: number;
  /** Lines from line `offset` on, joined by `\n` (the last may be partial and is replaced later). */
  onLog: (offset: number, output: string, status: string) => void;
  /** The shell ended (or is gone); the stream is closed. */
  onEnd: (status: string) => void;
  /** The stream failed (not found, refused, dropped); it is closed. */
  onError: (error: ConsoleError) => void;
  baseUrl?: string;
  fetch?: typeof fetch;
}

/**
 * Follows `GET /v1/processes/{id}/log/stream` (server-sent events) with `fetch` and a streaming
 * body reader, as {@link openEventStream} does: `EventSource` cannot send the `Authorization` header.
 */
export function openLogStream(options: LogStreamOptions): { close(): void } {
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const controller = new AbortController();
  let isDone = false;
  const done = (report: () => void) => {
    if (isDone) return;
    isDone = true;
    controller.abort();
    report();
  };
  void (async () => {
    try {
      const path = withQuery(`/v1/processes/${segment(options.id)}/log/stream`, { offset: options.offset });
      const answer = await doFetch(`${options.baseUrl ?? ''}${path}`, {
        headers: { ...options.headers, accept: 'text/event-stream' },
        signal: controller.signal,
        credentials: 'omit',
        cache: 'no-store',
      });
      if (!answer.ok || answer.body === null) {
        const error = new ConsoleError(codeForStatus(answer.status), `GET ${path} answered ${answer.status}`, { status: answer.status });
        done(() => options.onError(error));
        return;
      }
      const parser = createSseParser((message) => {
        if (isDone) return;
        let data: { offset?: number; output?: string; status?: string };
        try {
          data = JSON.parse(message.data) as typeof data;
        } catch {
          return; // a malformed frame is skipped
        }
        if (message.event === 'log') options.onLog(data.offset ?? 0, data.output ?? '', data.status ?? 'running');
        else if (message.event === 'end') done(() => options.onEnd(data.status ?? 'unknown'));
      });
      const reader = answer.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { done: isEnd, value } = await reader.read();
        if (isEnd) break;
        parser.push(value);
      }
      done(() => options.onError(new ConsoleError('network', 'the log stream ended before the shell did')));
    } catch (error) {
      if (controller.signal.aborted) return;
      done(() =>
        options.onError(ConsoleError.isInstance(error) ? error : new ConsoleError('network', 'the log stream dropped', { cause: error })),
      );
    }
  })();
  return {
    close() {
      if (isDone) return;
      isDone = true;
      controller.abort();
    },
  };
}
