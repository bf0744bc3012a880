import { randomInt } from 'node:crypto';

const ADJECTIVES = [
  'amber',
  'brisk',
  'calm',
  'clear',
  'cool',
  'crisp',
  'dawn',
  'deep',
  'dusk',
  'eager',
  'fair',
  'fast',
  'fresh',
  'gentle',
  'glad',
  'gold',
  'good',
  'grand',
  'green',
  'keen',
  'kind',
  'lucky',
  'marine',
  'mellow',
  'mild',
  'neat',
  'nimble',
  'nova',
  'oak',
  'plaid',
  'quick',
  'quiet',
  'rapid',
  'salty',
  'sharp',
  'swift',
  'tender',
  'tidal',
  'tidy',
  'vivid',
  'warm',
  'young',
] as const;

const NOUNS = [
  'atlas',
  'basil',
  'bloom',
  'breeze',
  'canyon',
  'cedar',
  'claw',
  'cloud',
  'comet',
  'coral',
  'cove',
  'crest',
  'crustacean',
  'daisy',
  'dune',
  'ember',
  'falcon',
  'fjord',
  'forest',
  'glade',
  'gulf',
  'harbor',
  'haven',
  'kelp',
  'lagoon',
  'lobster',
  'meadow',
  'mist',
  'nudibranch',
  'nexus',
  'ocean',
  'orbit',
  'otter',
  'pine',
  'prairie',
  'reef',
  'ridge',
  'river',
  'rook',
  'sable',
  'sage',
  'seaslug',
  'shell',
  'shoal',
  'shore',
  'slug',
  'summit',
  'tidepool',
  'trail',
  'valley',
  'wharf',
  'willow',
  'zephyr',
  'sprout',
] as const;

/** Characters of the random suffix of a default id (base36, ≈ 31 bits). */
export const ID_SUFFIX_LENGTH = 6;

const BASE36 = '0123456789abcdefghijklmnopqrstuvwxyz';

function randomSuffix(length: number, randomIntFn: (max: number) => number): string {
  let suffix = '';
  for (let index = 0; index < length; index++) suffix += BASE36[randomIntFn(BASE36.length)]!;
  return suffix;
}

/**
 * Draws a two-word human slug such as `amber-atlas` (42 adjectives × 54 nouns), the readable part
 * of an id. `attempt` > 0 is a retry after a collision; from attempt 12 on the slug gets a third word.
 * @param randomIntFn integer in `[0, max)`; defaults to `crypto.randomInt`.
 */
export function createSlug(attempt = 0, randomIntFn: (max: number) => number = randomInt): string {
  const adjective = ADJECTIVES[randomIntFn(ADJECTIVES.length)]!;
  const noun = NOUNS[randomIntFn(NOUNS.length)]!;
  if (attempt < 12) return `${adjective}-${noun}`;
  return `${adjective}-${noun}-${NOUNS[randomIntFn(NOUNS.length)]!}`;
}

/**
 * A default process id: a readable slug and a random suffix, such as `amber-atlas-k3f9x2`
 * (2 268 slugs × 36^6 suffixes ≈ 2^42). The suffix makes ids unique on the host with
 * overwhelming probability, not only within one registry: an unsandboxed shell's env marker is
 * its id, and a kill ceremony scans every process of the host for it.
 * @param randomIntFn integer in `[0, max)`; defaults to `crypto.randomInt`.
 */
export function createProcessId(attempt = 0, randomIntFn: (max: number) => number = randomInt): string {
  return `${createSlug(attempt, randomIntFn)}-${randomSuffix(ID_SUFFIX_LENGTH, randomIntFn)}`;
}

/** Proposals tried before {@link allocateUniqueId} appends random suffixes of its own. */
export const ID_PROPOSALS = 16;

/** Random-suffixed candidates tried after the proposals; then allocation fails. */
export const ID_SUFFIXED_CANDIDATES = 64;

/**
 * Picks an id for which `isTaken` is false: the generator's proposals (`attempt` 0…15), then the
 * last proposal with a random 8-char base36 suffix (64 tries, so a generator whose word space ran out
 * still yields fresh ids). Returns `undefined` when every candidate was taken; it never returns a taken id.
 * @param randomIntFn integer in `[0, max)`; defaults to `crypto.randomInt`.
 */
export function allocateUniqueId(
  generate: (attempt: number) => string,
  isTaken: (id: string) => boolean,
  randomIntFn: (max: number) => number = randomInt,
): string | undefined {
  let base = '';
  for (let attempt = 0; attempt < ID_PROPOSALS; attempt++) {
    base = generate(attempt);
    if (!isTaken(base)) return base;
  }
  for (let attempt = 0; attempt < ID_SUFFIXED_CANDIDATES; attempt++) {
    const candidate = `${base}-${randomSuffix(8, randomIntFn)}`;
    if (!isTaken(candidate)) return candidate;
  }
  return undefined;
}
