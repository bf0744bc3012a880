import { describe, expect, it } from 'vitest';
import { allocateUniqueId, createProcessId, createSlug } from './slug.js';

describe('createSlug', () => {
  it('makes two-word slugs, three words after many collisions', () => {
    expect(createSlug()).toMatch(/^[a-z]+-[a-z]+$/);
    expect(createSlug(12)).toMatch(/^[a-z]+-[a-z]+-[a-z]+$/);
  });
});

describe('createProcessId', () => {
  it('is a readable slug with a random base36 suffix', () => {
    expect(createProcessId()).toMatch(/^[a-z]+-[a-z]+-[0-9a-z]{6}$/);
    const ids = new Set(Array.from({ length: 2_000 }, () => createProcessId()));
    // 2 000 draws from ≈ 2^42 ids: a repeat would mean the suffix is not random.
    expect(ids.size).toBe(2_000);
  });
});

describe('allocateUniqueId', () => {
  it('returns the first free proposal', () => {
    const taken = new Set(['a-b', 'c-d']);
    const proposals = ['a-b', 'c-d', 'e-f'];
    expect(
      allocateUniqueId(
        (attempt) => proposals[attempt] ?? 'z-z',
        (id) => taken.has(id),
      ),
    ).toBe('e-f');
  });

  it('appends random suffixes once the proposals run out, and never returns a taken id', () => {
    let seed = 0;
    const counter = (max: number) => seed++ % max;
    const id = allocateUniqueId(
      () => 'amber-atlas',
      (candidate) => candidate === 'amber-atlas',
      counter,
    );
    expect(id).toMatch(/^amber-atlas-[0-9a-z]{8}$/);
    expect(
      allocateUniqueId(
        () => 'x-y',
        () => true,
      ),
    ).toBeUndefined();
  });
});
