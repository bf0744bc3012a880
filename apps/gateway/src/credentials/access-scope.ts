import { OPERATOR_IDENTITY, type Identity } from './identity.js';
import { sessionFilterFor, sessionFilterMatches, type SessionFilter } from './session-filter.js';

/**
 * What one request may touch: its caller's scope narrowed by its `?sessionKey=` filter. Services
 * take it instead of a bare key: `admits` for an object lookup (an object outside answers like a
 * missing one), `matches` for filtering lists.
 */
export interface AccessScope {
  readonly identity: Identity;
  readonly filter: SessionFilter;
  /** The `?sessionKey=` filter, canonical, when one was given. */
  readonly requestedKey: string | undefined;
  /** Object lookup: is an object of session `sessionKey` visible? A `false` for an existing object is a scope refusal. */
  admits(sessionKey: string | null | undefined): boolean;
  /** List filtering: is session `sessionKey` inside (no refusal counted)? */
  matches(sessionKey: string | null | undefined): boolean;
}

/**
 * Build a request's scope. `onRefusal` is told when `admits` turns an existing object away
 * (metrics: refusals per credential).
 */
export function createAccessScope(identity: Identity, requestedKey: string | undefined, onRefusal?: () => void): AccessScope {
  const filter = sessionFilterFor(identity, requestedKey);
  const matches = (sessionKey: string | null | undefined): boolean =>
    sessionKey !== null && sessionKey !== undefined && sessionFilterMatches(filter, sessionKey);
  return {
    identity,
    filter,
    requestedKey,
    admits(sessionKey) {
      const isAdmitted = matches(sessionKey);
      // Only a caller's own scope counts as a refusal; its own ?sessionKey= filter does not.
      if (!isAdmitted && identity.kind === 'token' && (requestedKey === undefined || !matches(requestedKey))) onRefusal?.();
      return isAdmitted;
    },
    matches,
  };
}

/** The scope of one session for internal callers (a run's own tools): that session only, no refusal counting. */
export function sessionOnlyScope(sessionKey: string): AccessScope {
  return createAccessScope(OPERATOR_IDENTITY, sessionKey);
}
