import { ConsoleError, codeForStatus } from './console-error.js';
import { withQuery } from './api-client.js';
import { createSseParser } from './sse-parser.js';
import type { GatewayEvent } from './types.js';

/** State of an {@link EventStream}. */
export type EventStreamStatus = 'connecting' | 'live' | 'reconnecting' | 'closed';

/** Options of {@link openEventStream}. */
export interface EventStreamOptions {
  /** Authorization headers (the token never goes into the URL). */
  headers: Record<string, string>;
  /** Sessions to follow (1–64, the gateway's limit). */
  sessionKeys: ReadonlyArray<string>;
  onEvent: (event: GatewayEvent) => void;
  /**
   * The gateway could not replay what this stream missed while it was away (`event: reset`: the
   * last id is unknown, from before a restart, or older than the replay window): refetch state.
   */
  onReset?: () => void;
  onStatus?: (status: EventStreamStatus, error?: ConsoleError) => void;
  /** First reconnect delay, ms (doubles up to `maxRetryMs`). Default 1 000. */
  retryMs?: number;
  /** Longest reconnect delay, ms. Default 15 000. */
  maxRetryMs?: number;
  baseUrl?: string;
  fetch?: typeof fetch;
}

/** A live `GET /v1/events` subscription. */
export interface EventStream {
  close(): void;
}

/**
 * Follows `GET /v1/events` with `fetch` and a streaming body reader: `EventSource` cannot send
 * the `Authorization` header and the token must not travel in a URL. Reconnects with backoff
 * after a drop or a 503 (too many streams), sending `Last-Event-ID` so the gateway replays what
 * was missed (or answers `event: reset`, reported through `onReset`); stops for good on
 * 401/403/404 (the token may not see these sessions) and reports it through `onStatus('closed', error)`.
 */
export function openEventStream(options: EventStreamOptions): EventStream {
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const controller = new AbortController();
  const maxRetryMs = options.maxRetryMs ?? 15_000;
  let retryMs = options.retryMs ?? 1_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let isClosed = false;
  let lastEventId: string | undefined;
  const status = (value: EventStreamStatus, error?: ConsoleError) => {
    if (!isClosed || value === 'closed') options.onStatus?.(value, error);
  };

  const connect = async (): Promise<void> => {
    status('connecting');
    try {
      const answer = await doFetch(`${options.baseUrl ?? ''}${withQuery('/v1/events', { sessionKey: options.sessionKeys })}`, {
        headers: {
          ...options.headers,
          accept: 'text/event-stream',
          ...(lastEventId !== undefined ? { 'last-event-id': lastEventId } : {}),
        },
        signal: controller.signal,
        credentials: 'omit',
        cache: 'no-store',
      });
      if (!answer.ok || answer.body === null) {
        const error = new ConsoleError(codeForStatus(answer.status), `GET /v1/events answered ${answer.status}`, { status: answer.status });
        if (answer.status === 401 || answer.status === 403 || answer.status === 404 || answer.status === 400) {
          isClosed = true;
          status('closed', error);
          return;
        }
        throw error;
      }
      status('live');
      retryMs = options.retryMs ?? 1_000;
      const parser = createSseParser((message) => {
        if (message.id !== undefined) lastEventId = message.id;
        if (message.event === 'reset') {
          options.onReset?.();
          return;
        }
        try {
          options.onEvent(JSON.parse(message.data) as GatewayEvent);
        } catch {
          // a malformed event is skipped, the stream goes on
        }
      });
      const reader = answer.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parser.push(value);
      }
      throw new ConsoleError('network', 'the event stream ended');
    } catch (error) {
      if (isClosed || controller.signal.aborted) return;
      status(
        'reconnecting',
        ConsoleError.isInstance(error) ? error : new ConsoleError('network', 'the event stream dropped', { cause: error }),
      );
      timer = setTimeout(() => void connect(), retryMs);
      retryMs = Math.min(maxRetryMs, retryMs * 2);
    }
  };
  void connect();

  return {
    close() {
      if (isClosed) return;
      isClosed = true;
      if (timer !== undefined) clearTimeout(timer);
      controller.abort();
      status('closed');
    },
  };
}
