import { describe, expect, it } from 'vitest';
import { allocateUniqueId, createSlug } from './slug.js';

describe('createSlug', () => {
  it('makes two-word slugs, three words after many collisions', () => {
    expect(createSlug()).toMatch(/^[a-z]+-[a-z]+$/);
    expect(createSlug(12)).toMatch(/^[a-z]+-[a-z]+-[a-z]+$/);
  });
});

describe('allocateUniqueId', () => {
  it('adds numeric suffixes on collision and always terminates', () => {
    const taken = new Set(['amber-atlas', 'amber-atlas-2']);
    expect(
      allocateUniqueId(
        () => 'amber-atlas',
        (id) => taken.has(id),
      ),
    ).toBe('amber-atlas-3');
    const everything = (id: string): boolean => !id.endsWith('-d');
    expect(allocateUniqueId(() => 'x-y', everything)).toBe('x-y-d');
  });
});
