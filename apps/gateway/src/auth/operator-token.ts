import { createTokenMatcher } from '../state.js';
import { OPERATOR_IDENTITY, type Authenticator } from './identity.js';

/** The operator's bearer token (constant-time compare) as an {@link Authenticator}. */
export function operatorTokenAuthenticator(token: string): Authenticator {
  const matches = createTokenMatcher(token);
  return (presented) => (matches(presented) ? OPERATOR_IDENTITY : undefined);
}
