import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { assertOperatorTokenStrength, estimateTokenEntropyBits, MIN_OPERATOR_TOKEN_BITS } from './token-entropy.js';

describe('estimateTokenEntropyBits', () => {
  it('rates random hex and base64url of 128+ bits at or above the minimum', () => {
    for (let round = 0; round < 20; round += 1) {
      expect(estimateTokenEntropyBits(randomBytes(16).toString('hex'))).toBeGreaterThanOrEqual(MIN_OPERATOR_TOKEN_BITS);
      expect(estimateTokenEntropyBits(randomBytes(32).toString('base64url'))).toBeGreaterThanOrEqual(MIN_OPERATOR_TOKEN_BITS);
    }
  });

  it('rates short, repetitive and UUID secrets below it', () => {
    expect(estimateTokenEntropyBits('')).toBe(0);
    expect(estimateTokenEntropyBits('secret')).toBeLessThan(MIN_OPERATOR_TOKEN_BITS);
    expect(estimateTokenEntropyBits('a'.repeat(200))).toBeLessThan(MIN_OPERATOR_TOKEN_BITS);
    expect(estimateTokenEntropyBits('ab'.repeat(100))).toBeLessThan(MIN_OPERATOR_TOKEN_BITS);
    expect(estimateTokenEntropyBits(randomBytes(15).toString('hex'))).toBeLessThan(MIN_OPERATOR_TOKEN_BITS);
    expect(estimateTokenEntropyBits(randomUUID())).toBeLessThan(MIN_OPERATOR_TOKEN_BITS);
  });
});

describe('assertOperatorTokenStrength', () => {
  it('names the source, never the token', () => {
    expect(() => assertOperatorTokenStrength('hunter2hunter2', 'PINCER_GATEWAY_TOKEN')).toThrow(/PINCER_GATEWAY_TOKEN is too weak/);
    try {
      assertOperatorTokenStrength('hunter2hunter2', 'PINCER_GATEWAY_TOKEN');
    } catch (error) {
      expect(String((error as Error).message)).not.toContain('hunter2');
    }
    expect(() => assertOperatorTokenStrength(randomBytes(32).toString('hex'), 'PINCER_GATEWAY_TOKEN')).not.toThrow();
  });
});
