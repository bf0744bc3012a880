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

/**
 * Draws a two-word human slug such as `amber-atlas` (42 adjectives × 54 nouns). `attempt` > 0 is a
 * retry after a collision; from attempt 12 on the slug gets a third word.
 * @param randomIntFn integer in `[0, max)`; defaults to `crypto.randomInt`.
 */
export function createSlug(attempt = 0, randomIntFn: (max: number) => number = randomInt): string {
  const adjective = ADJECTIVES[randomIntFn(ADJECTIVES.length)]!;
  const noun = NOUNS[randomIntFn(NOUNS.length)]!;
  if (attempt < 12) return `${adjective}-${noun}`;
  return `${adjective}-${noun}-${NOUNS[randomIntFn(NOUNS.length)]!}`;
}

/**
 * Picks an id not in `isTaken`: the generator's proposal, then numeric suffixes `-2`…`-12`,
 * then fresh proposals; finally a base36 counter suffix, so it always terminates.
 */
export function allocateUniqueId(generate: (attempt: number) => string, isTaken: (id: string) => boolean): string {
  let base = '';
  for (let attempt = 0; attempt < 24; attempt++) {
    base = generate(attempt);
    if (!isTaken(base)) return base;
    for (let n = 2; n <= 12; n++) {
      const candidate = `${base}-${n}`;
      if (!isTaken(candidate)) return candidate;
    }
  }
  for (let n = 13; n < 1_000_000; n++) {
    const candidate = `${base}-${n.toString(36)}`;
    if (!isTaken(candidate)) return candidate;
  }
  throw new Error('unreachable: no free id');
}
