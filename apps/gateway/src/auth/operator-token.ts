import { tokensEqual } from '../state.js';
import { OPERATOR_IDENTITY, type Authenticator } from './identity.js';

/** The operator's bearer token (constant-time compare) as an {@link Authenticator}. */
export function operatorTokenAuthenticator(token: string): Authenticator {
  return (presented) => (tokensEqual(presented, token) ? OPERATOR_IDENTITY : undefined);
}
