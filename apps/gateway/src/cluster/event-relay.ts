import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { EventBus, GatewayEvent } from '../events/event-bus.js';
import { openPostgresChannel } from '../store/postgres/channel.js';

/** Longest NOTIFY payload PostgreSQL takes is 8 000 bytes; this leaves room for the envelope. */
const MAX_PAYLOAD_BYTES = 7_800;
/** Chars a long text field keeps when an event must shrink to fit a notification. */
const SHRUNK_TEXT_CHARS = 2_000;

/** What nodes tell each other: an event of this node's bus, or "drop the queued events of a session". */
type RelayMessage = { node: string; event: GatewayEvent } | { node: string; clear: string };

/** The cluster's fan-out over PostgreSQL LISTEN/NOTIFY. */
export interface EventRelay {
  /** Every other node drops its queued system events of `sessionKey` (a reset or delete here). */
  broadcastClear(sessionKey: string): void;
  close(): Promise<void>;
}

/** The notification channel of a schema: clusters on other schemas of the database never hear it. */
export const relayChannel = (schema: string): string => `pincer_${createHash('sha256').update(schema).digest('hex').slice(0, 24)}`;

const truncate = (text: string): string => (text.length <= SHRUNK_TEXT_CHARS ? text : `${text.slice(0, SHRUNK_TEXT_CHARS)}…[truncated]`);

/** The message as a payload that fits a notification (long texts shortened; never dropped). */
function encode(message: RelayMessage): string {
  const payload = JSON.stringify(message);
  if (Buffer.byteLength(payload) <= MAX_PAYLOAD_BYTES || !('event' in message)) return payload;
  const event = { ...message.event } as GatewayEvent & { text?: string; reply?: string; error?: string; command?: string };
  for (const field of ['text', 'reply', 'error', 'command'] as const) {
    const value = event[field];
    if (typeof value === 'string') event[field] = truncate(value);
  }
  return JSON.stringify({ node: message.node, event });
}

/**
 * Relay this node's bus to the other nodes and theirs to this one, so `GET /v1/events` on any
 * node streams the events of runs and shells on every node (each node stamps what it receives
 * with its own ids: `Last-Event-ID` resumes on the node that issued it). A session reset or
 * delete on one node also drops the session's queued events held by the others. One connection
 * of its own (LISTEN needs one), reconnected after a loss; events published while it is down
 * are not relayed (the stream of the node they happened on has them). The first connect must succeed.
 */
export async function createEventRelay(options: {
  url: string;
  schema: string;
  nodeId: string;
  bus: EventBus;
  logger: Logger;
  onClear(sessionKey: string): void;
}): Promise<EventRelay> {
  const { bus, logger, nodeId } = options;
  const received = new WeakSet<GatewayEvent>();
  const onPayload = (payload: string) => {
    let message: RelayMessage;
    try {
      message = JSON.parse(payload) as RelayMessage;
    } catch {
      return;
    }
    if (message.node === nodeId) return;
    if ('clear' in message) {
      if (typeof message.clear === 'string') options.onClear(message.clear);
      return;
    }
    if (typeof message.event?.sessionKey !== 'string' || typeof message.event.type !== 'string') return;
    received.add(message.event);
    bus.publish(message.event);
  };
  // The first connection is part of the start: a node that cannot hear the others does not serve.
  const channel = await openPostgresChannel({
    url: options.url,
    channel: relayChannel(options.schema),
    onPayload,
    onProblem: (message, error) => logger.warn({ err: error }, `cluster: event relay: ${message}`),
  });
  const unsubscribe = bus.subscribe((stamped) => {
    if (received.has(stamped.event)) return;
    channel.notify(encode({ node: nodeId, event: stamped.event }));
  });
  return {
    broadcastClear: (sessionKey) => channel.notify(encode({ node: nodeId, clear: sessionKey })),
    async close() {
      unsubscribe();
      await channel.close();
    },
  };
}
