import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Scoped tokens look like `pincer.tk_<16 hex>.<43 base64url>`:
 * - `tk_<16 hex>` is the public **id** (64 random bits): it names the token in lists, the audit
 *   log, metrics and `revoke`, and lets the gateway find the record without scanning;
 * - the last part is the **secret**, 32 random bytes (256 bits), shown once at creation.
 *
 * Only `sha256("pincer-token-v1\0" + id + "\0" + secret)` is stored. A fast hash is the right
 * tool here: the secret is uniformly random with 256 bits, so there is no dictionary to try and
 * brute force over the hash is as hopeless as over the token itself. Slow KDFs (scrypt, argon2)
 * exist to protect low-entropy passwords and would add tens of milliseconds to every request.
 * Binding the id into the hash means a record cannot be made to accept another token's secret.
 */
export const TOKEN_PREFIX = 'pincer.';

/** Bytes of randomness in a token's secret (256 bits). */
export const TOKEN_SECRET_BYTES = 32;

/** Bytes of randomness in a token's public id (64 bits). */
export const TOKEN_ID_BYTES = 8;

const TOKEN_PATTERN = /^pincer\.(tk_[0-9a-f]{16})\.([A-Za-z0-9_-]{43})$/;
const ID_PATTERN = /^tk_[0-9a-f]{16}$/;
const HASH_DOMAIN = 'pincer-token-v1';

/** A freshly minted token: the string to hand out (once) and what is stored. */
export interface MintedToken {
  /** Public id, `tk_<16 hex>`. */
  id: string;
  /** The full bearer token; never stored, shown once. */
  token: string;
  /** Hex sha256 of the id and secret; the only stored form. */
  secretHash: string;
}

/** A token string split into its parts (not yet verified against anything). */
export interface ParsedToken {
  id: string;
  secret: string;
}

/** Source of random bytes (injectable for tests; default `crypto.randomBytes`). */
export type RandomSource = (size: number) => Buffer;

/** Mint a new token: random id and secret from `random` (default `crypto.randomBytes`). */
export function mintToken(random: RandomSource = randomBytes): MintedToken {
  const id = `tk_${random(TOKEN_ID_BYTES).toString('hex')}`;
  const secret = random(TOKEN_SECRET_BYTES).toString('base64url');
  return { id, token: `${TOKEN_PREFIX}${id}.${secret}`, secretHash: hashTokenSecret(id, secret) };
}

/** Split a presented bearer token into id and secret; `undefined` if it is not a scoped token. */
export function parseToken(presented: string): ParsedToken | undefined {
  const match = TOKEN_PATTERN.exec(presented);
  if (!match) return undefined;
  return { id: match[1]!, secret: match[2]! };
}

/** True for a well-formed public token id (`tk_<16 hex>`). */
export function isTokenId(value: string): boolean {
  return ID_PATTERN.test(value);
}

/** The stored hash of a token's secret (hex sha256, domain-separated and bound to the id). */
export function hashTokenSecret(id: string, secret: string): string {
  return createHash('sha256').update(`${HASH_DOMAIN}\0${id}\0${secret}`).digest('hex');
}

/** Constant-time check of a presented secret against a stored hash. */
export function verifyTokenSecret(parsed: ParsedToken, storedHash: string): boolean {
  const presented = Buffer.from(hashTokenSecret(parsed.id, parsed.secret), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}
