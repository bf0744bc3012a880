import { GatewayError } from '../errors.js';

/** Entropy a token given through `PINCER_GATEWAY_TOKEN` (or `--token`) must reach, in bits. */
export const MIN_OPERATOR_TOKEN_BITS = 128;

/**
 * A conservative estimate of a secret's entropy in bits: `length × log2(alphabet)`, where the
 * alphabet is the smallest of the usual classes the string fits in (hex 16, base32 32,
 * base64url 64, printable ASCII 95; anything else counts as ASCII), then capped by how varied
 * the string is — `distinct characters × log2(alphabet) × 4` — so `aaaa…`, `abab…` and other
 * short cycles are rated low; a UUID rates at most 122. It cannot prove randomness (nothing can from one sample); it
 * refuses what is obviously weak. 32 random hex characters rate 128 bits.
 */
export function estimateTokenEntropyBits(secret: string): number {
  if (secret.length === 0) return 0;
  // A random (v4) UUID carries 122 bits, whatever its 36 characters suggest.
  if (UUID.test(secret)) return Math.min(122, estimateTokenEntropyBits(secret.replaceAll('-', '')));
  const alphabet = alphabetSize(secret);
  const bitsPerChar = Math.log2(alphabet);
  const distinct = new Set(secret).size;
  return Math.min(secret.length * bitsPerChar, distinct * bitsPerChar * 4);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function alphabetSize(secret: string): number {
  if (/^[0-9a-f]+$/.test(secret) || /^[0-9A-F]+$/.test(secret)) return 16;
  if (/^[A-Z2-7]+=*$/.test(secret) || /^[a-z2-7]+=*$/.test(secret)) return 32;
  if (/^[A-Za-z0-9_\-+/=.]+$/.test(secret)) return 64;
  return 95;
}

/**
 * Refuses an operator token below {@link MIN_OPERATOR_TOKEN_BITS}. `source` names where it came
 * from (`PINCER_GATEWAY_TOKEN`) in the message, which never echoes the token itself.
 *
 * @throws {GatewayError} `invalid_config`.
 */
export function assertOperatorTokenStrength(token: string, source: string): void {
  const bits = Math.floor(estimateTokenEntropyBits(token));
  if (bits >= MIN_OPERATOR_TOKEN_BITS) return;
  throw new GatewayError(
    'invalid_config',
    `${source} is too weak (about ${bits} bits; at least ${MIN_OPERATOR_TOKEN_BITS} are required). ` +
      'Use 32+ random hex characters, for example: openssl rand -hex 32; or unset it and let the gateway generate <state-dir>/token.',
    { field: source },
  );
}
