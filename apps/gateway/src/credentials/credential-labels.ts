/** Distinct credential ids `/metrics` labels by default before folding the rest into `other`. */
export const DEFAULT_MAX_CREDENTIAL_LABELS = 64;

/** The label of credentials beyond the cap. */
export const OTHER_CREDENTIAL_LABEL = 'other';

/**
 * Bounded label values for per-credential metrics. The first `maxDistinct` ids seen keep their
 * own label (`operator`, `anonymous` and `unknown` always do); later ones are counted as
 * `other`, so a flood of tokens cannot grow the metrics without bound. Callers pass only ids of
 * stored tokens (an auth failure that names no stored token is labelled `unknown`), so what a
 * client sends cannot take the slots.
 */
export interface CredentialLabeler {
  label(credentialId: string): string;
  /** Ids holding their own label. */
  size(): number;
}

const ALWAYS = new Set(['operator', 'anonymous', 'unknown']);

/** Create a labeler holding at most `maxDistinct` ids (default 64). */
export function createCredentialLabeler(maxDistinct = DEFAULT_MAX_CREDENTIAL_LABELS): CredentialLabeler {
  const admitted = new Set<string>();
  return {
    label(credentialId) {
      if (ALWAYS.has(credentialId) || admitted.has(credentialId)) return credentialId;
      if (admitted.size >= maxDistinct) return OTHER_CREDENTIAL_LABEL;
      admitted.add(credentialId);
      return credentialId;
    },
    size: () => admitted.size,
  };
}
