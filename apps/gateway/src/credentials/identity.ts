import type { Capability } from './capabilities.js';
import { CAPABILITIES } from './capabilities.js';
import type { TokenScope } from './scope.js';

/** The id every operator-credential action carries in the audit log and metrics. */
export const OPERATOR_CREDENTIAL_ID = 'operator';
/** The id of a request no credential was checked for (`/healthz`, `auth: 'plugin'` routes). */
export const ANONYMOUS_CREDENTIAL_ID = 'anonymous';

/** The state dir's token: every route, every object, every tool (the agent's own policy still applies). */
export interface OperatorIdentity {
  readonly kind: 'operator';
  readonly credentialId: typeof OPERATOR_CREDENTIAL_ID;
  readonly name: 'operator';
}

/** A scoped token: its capabilities, inside its scope, until it expires or is revoked. */
export interface TokenIdentity {
  readonly kind: 'token';
  /** Public token id (`tk_…`). */
  readonly credentialId: string;
  readonly name: string;
  readonly scope: TokenScope;
  readonly capabilities: ReadonlySet<Capability>;
  /** Epoch ms after which the token is refused. */
  readonly expiresAt: number;
}

/** No credential was checked (public routes). Can do nothing that needs a permission. */
export interface AnonymousIdentity {
  readonly kind: 'anonymous';
  readonly credentialId: typeof ANONYMOUS_CREDENTIAL_ID;
  readonly name: 'anonymous';
}

/** Who is calling: what the auth plugin puts on `request.identity`. */
export type Identity = OperatorIdentity | TokenIdentity | AnonymousIdentity;

/** The operator identity (a constant: it has no per-request state). */
export const OPERATOR_IDENTITY: OperatorIdentity = Object.freeze({
  kind: 'operator',
  credentialId: OPERATOR_CREDENTIAL_ID,
  name: 'operator',
});

/** The anonymous identity. */
export const ANONYMOUS_IDENTITY: AnonymousIdentity = Object.freeze({
  kind: 'anonymous',
  credentialId: ANONYMOUS_CREDENTIAL_ID,
  name: 'anonymous',
});

/**
 * The caller as plugin routes see it (plain JSON: arrays, no Sets), matching plugin-sdk's
 * route-context `caller` field. `scope` and `capabilities` are present for scoped tokens only.
 */
export interface CallerView {
  kind: Identity['kind'];
  credentialId: string;
  name: string;
  scope?: TokenScope | undefined;
  capabilities?: Capability[] | undefined;
  expiresAt?: number | undefined;
}

/** The plugin-facing view of an identity. */
export function toCallerView(identity: Identity): CallerView {
  if (identity.kind !== 'token') return { kind: identity.kind, credentialId: identity.credentialId, name: identity.name };
  return {
    kind: 'token',
    credentialId: identity.credentialId,
    name: identity.name,
    scope: { ...identity.scope },
    capabilities: CAPABILITIES.filter((capability) => identity.capabilities.has(capability)),
    expiresAt: identity.expiresAt,
  };
}
