import { describe, expect, it } from 'vitest';
import { dispatchSystemEvent } from './dispatch.js';
import { createSystemEventQueue } from './system-event-queue.js';

describe('dispatchSystemEvent metadata', () => {
  it('puts the given metadata on the queued event of the routed session', () => {
    const queue = createSystemEventQueue();
    const metadata = { cause: { credentialId: 'tk_abc' } };
    const { route, enqueued } = dispatchSystemEvent(
      { queue },
      { sessionKey: 'agent:ops:main', text: 'Cron (x): hi', source: 'cron', metadata },
    );
    expect(enqueued.accepted && enqueued.event.metadata).toEqual(metadata);
    expect(queue.peek(route.sessionKey)[0]?.metadata).toEqual(metadata);
    dispatchSystemEvent({ queue }, { sessionKey: 'agent:ops:main', text: 'plain', source: 'exec' });
    expect(queue.peek(route.sessionKey)[1]?.metadata).toBeUndefined();
  });
});
