import { describe, expect, it } from 'vitest';
import { createCredentialLabeler } from './credential-labels.js';

describe('createCredentialLabeler', () => {
  it('keeps the first ids and folds the rest into other', () => {
    const labeler = createCredentialLabeler(2);
    expect(labeler.label('tk_a')).toBe('tk_a');
    expect(labeler.label('tk_b')).toBe('tk_b');
    expect(labeler.label('tk_c')).toBe('other');
    expect(labeler.label('tk_a')).toBe('tk_a');
    expect(labeler.label('operator')).toBe('operator');
    expect(labeler.size()).toBe(2);
  });
});
