import type { TimerHandle } from '../clock.js';
import type { CredentialService } from './credential-service.js';
import type { Identity } from './identity.js';

/** How often open streams of scoped tokens are checked for expiry, ms. */
export const STREAM_EXPIRY_SWEEP_MS = 500;

/** Open long-lived responses (SSE) per credential, closed when the credential stops being valid. */
export interface CredentialStreams {
  /**
   * Track one open stream of `identity`; `close` ends it. Returns the function that forgets it
   * (call it when the stream ends on its own).
   */
  add(identity: Identity, close: () => void): () => void;
  /** Open streams per credential id. */
  countsByCredential(): Record<string, number>;
  /** Stop watching (close hooks of the HTTP app). */
  dispose(): void;
}

/**
 * Streams of a revoked token are closed by the revocation itself, before its answer is sent;
 * those of an expired token (or one revoked by another process sharing the store) within
 * {@link STREAM_EXPIRY_SWEEP_MS} plus the credential cache's 1 s. The operator's streams are never swept.
 */
export function createCredentialStreams(options: {
  credentials: Pick<CredentialService, 'onRevoked' | 'activeIdentity'>;
  timers: { setInterval(callback: () => void, everyMs: number): TimerHandle; clearInterval(handle: TimerHandle): void };
}): CredentialStreams {
  const open = new Map<string, Set<() => void>>();
  const closeAll = (credentialId: string): void => {
    const closers = open.get(credentialId);
    if (!closers) return;
    open.delete(credentialId);
    for (const close of closers) close();
  };
  const unsubscribe = options.credentials.onRevoked(closeAll);
  let sweep: TimerHandle | undefined;
  const ensureSweep = () => {
    sweep ??= options.timers.setInterval(() => {
      for (const credentialId of [...open.keys()]) if (!options.credentials.activeIdentity(credentialId)) closeAll(credentialId);
      if (open.size === 0 && sweep !== undefined) {
        options.timers.clearInterval(sweep);
        sweep = undefined;
      }
    }, STREAM_EXPIRY_SWEEP_MS);
  };
  return {
    add(identity, close) {
      if (identity.kind !== 'token') return () => undefined;
      const closers = open.get(identity.credentialId) ?? new Set<() => void>();
      closers.add(close);
      open.set(identity.credentialId, closers);
      ensureSweep();
      return () => {
        closers.delete(close);
        if (closers.size === 0 && open.get(identity.credentialId) === closers) open.delete(identity.credentialId);
      };
    },
    countsByCredential() {
      const counts: Record<string, number> = {};
      for (const [credentialId, closers] of open) counts[credentialId] = closers.size;
      return counts;
    },
    dispose() {
      unsubscribe();
      if (sweep !== undefined) options.timers.clearInterval(sweep);
      sweep = undefined;
      open.clear();
    },
  };
}
