import type { RunKind, RunStatus } from '../store/gateway-store.js';

/** Events streamed to SSE subscribers; every event names its session. */
export type GatewayEvent =
  | { type: 'run.queued' | 'run.started'; sessionKey: string; runId: string; kind: RunKind }
  | { type: 'run.finished'; sessionKey: string; runId: string; kind: RunKind; status: RunStatus; reply?: string; error?: string }
  | { type: 'process.started'; sessionKey: string; id: string; command: string }
  | { type: 'process.exited'; sessionKey: string; id: string; status: string; exitCode: number | null; signal: string | null }
  | { type: 'system.event'; sessionKey: string; text: string }
  | { type: 'transcript'; sessionKey: string; role: string; text: string };

/** The in-process bus the SSE route listens on. */
export interface EventBus {
  publish(event: GatewayEvent): void;
  /** Returns the unsubscribe function. */
  subscribe(listener: (event: GatewayEvent) => void): () => void;
}

/** A synchronous bus (listeners run in publish order; a throwing listener does not stop the others). */
export function createEventBus(): EventBus {
  const listeners = new Set<(event: GatewayEvent) => void>();
  return {
    publish(event) {
      for (const listener of listeners) {
        try {
          listener(event);
        } catch {
          // a subscriber's failure is its own (the SSE route drops broken streams itself)
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
