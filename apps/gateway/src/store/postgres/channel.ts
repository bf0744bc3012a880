import pg from 'pg';

/** Wait before reconnecting a lost listening connection, ms. */
const RECONNECT_MS = 1_000;

/** A PostgreSQL LISTEN/NOTIFY channel on a connection of its own (LISTEN needs one). */
export interface PostgresChannel {
  /** NOTIFY every listener of the channel (this connection's own notifications come back too). */
  notify(payload: string): void;
  close(): Promise<void>;
}

/**
 * Listen on `channel` at `url`. The first connect must succeed (it rejects otherwise); a lost
 * connection is reconnected every second until `close`, and what is notified meanwhile is not
 * sent (nor heard).
 */
export async function openPostgresChannel(options: {
  url: string;
  channel: string;
  onPayload(payload: string): void;
  onProblem(message: string, error: unknown): void;
}): Promise<PostgresChannel> {
  const { channel } = options;
  let client: pg.Client | undefined;
  let isClosed = false;
  let reconnect: ReturnType<typeof setTimeout> | undefined;
  let sending: Promise<void> = Promise.resolve();

  const connect = async () => {
    const next = new pg.Client({ connectionString: options.url, application_name: 'pincer-channel' });
    next.on('notification', (notification) => {
      if (notification.channel === channel && notification.payload) options.onPayload(notification.payload);
    });
    next.on('error', (error) => {
      options.onProblem('the channel lost its connection; reconnecting', error);
      if (client === next) client = undefined;
      void next.end().catch(() => undefined);
      schedule();
    });
    await next.connect();
    await next.query(`LISTEN "${channel}"`);
    if (isClosed) {
      await next.end();
      return;
    }
    client = next;
  };
  const schedule = () => {
    if (isClosed || reconnect) return;
    reconnect = setTimeout(() => {
      reconnect = undefined;
      connect().catch((error: unknown) => {
        options.onProblem('the channel could not connect; retrying', error);
        schedule();
      });
    }, RECONNECT_MS);
    reconnect.unref();
  };
  await connect();
  return {
    notify(payload) {
      const open = client;
      if (!open) return;
      // One statement at a time on the connection, in publish order.
      sending = sending.then(() =>
        open.query('SELECT pg_notify($1, $2)', [channel, payload]).then(
          () => undefined,
          (error: unknown) => options.onProblem('could not notify the channel', error),
        ),
      );
    },
    async close() {
      isClosed = true;
      if (reconnect) clearTimeout(reconnect);
      const open = client;
      client = undefined;
      await sending;
      await open?.end().catch(() => undefined);
    },
  };
}
