import { useEffect, useRef, useState } from 'preact/hooks';
import { openEventStream, type EventStreamStatus } from './api/event-stream.js';
import type { GatewayEvent } from './api/types.js';
import { useApp, useCapability } from './app-context.js';

/**
 * Follows `GET /v1/events` for `sessionKeys` while mounted; `onEvent` and `onReset` (the gateway
 * could not replay what was missed during a reconnect: refetch) may change between renders.
 */
export function useEventStream(
  sessionKeys: ReadonlyArray<string>,
  onEvent: (event: GatewayEvent) => void,
  onReset?: () => void,
): EventStreamStatus | 'not-permitted' {
  const { api, capabilities } = useApp();
  const mayRead = useCapability('events:read');
  const [status, setStatus] = useState<EventStreamStatus | 'not-permitted'>('connecting');
  const handler = useRef(onEvent);
  handler.current = onEvent;
  const resetHandler = useRef(onReset);
  resetHandler.current = onReset;
  const keyList = sessionKeys.join('\n');
  useEffect(() => {
    if (!mayRead || keyList === '') return undefined;
    const stream = openEventStream({
      headers: api.authHeaders(),
      sessionKeys: keyList.split('\n'),
      onEvent: (event) => handler.current(event),
      onReset: () => resetHandler.current?.(),
      onStatus: (next, error) => {
        if (error?.code === 'forbidden') {
          capabilities.deny('events:read');
          setStatus('not-permitted');
        } else setStatus(next);
      },
    });
    return () => stream.close();
  }, [api, capabilities, keyList, mayRead]);
  return mayRead ? status : 'not-permitted';
}

/** The words for a stream status (shown in a polite live region). */
export function streamStatusText(status: EventStreamStatus | 'not-permitted'): string {
  switch (status) {
    case 'live':
      return 'Live';
    case 'connecting':
      return 'Connecting…';
    case 'reconnecting':
      return 'Reconnecting…';
    case 'not-permitted':
      return 'Live updates not permitted for this token';
    default:
      return 'Not live';
  }
}
