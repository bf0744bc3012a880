import { describe, expect, it } from 'vitest';
import { hashTokenSecret, isTokenId, mintToken, parseToken, verifyTokenSecret } from './token-format.js';

describe('mintToken', () => {
  it('mints a parseable token whose hash verifies, and stores only the hash', () => {
    const minted = mintToken();
    expect(minted.token).toMatch(/^pincer\.tk_[0-9a-f]{16}\.[A-Za-z0-9_-]{43}$/);
    const parsed = parseToken(minted.token)!;
    expect(parsed.id).toBe(minted.id);
    expect(verifyTokenSecret(parsed, minted.secretHash)).toBe(true);
    expect(minted.secretHash).not.toContain(parsed.secret);
    expect(minted.secretHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('draws 8 id bytes and 32 secret bytes from the random source', () => {
    const sizes: number[] = [];
    mintToken((size) => {
      sizes.push(size);
      return Buffer.alloc(size, 7);
    });
    expect(sizes).toEqual([8, 32]);
  });

  it('gives a different token every time', () => {
    const tokens = new Set(Array.from({ length: 50 }, () => mintToken().token));
    expect(tokens.size).toBe(50);
  });
});

describe('verifyTokenSecret', () => {
  it('refuses another secret, and a secret moved onto another id', () => {
    const first = mintToken();
    const second = mintToken();
    const secondParsed = parseToken(second.token)!;
    expect(verifyTokenSecret(secondParsed, first.secretHash)).toBe(false);
    expect(verifyTokenSecret({ id: first.id, secret: secondParsed.secret }, second.secretHash)).toBe(false);
    expect(verifyTokenSecret(parseToken(first.token)!, 'not-hex')).toBe(false);
  });
});

describe('parseToken', () => {
  it('accepts only the exact shape', () => {
    const { token } = mintToken();
    expect(parseToken(`${token}x`)).toBeUndefined();
    expect(parseToken(` ${token}`)).toBeUndefined();
    expect(parseToken(token.replace('pincer.', 'Pincer.'))).toBeUndefined();
    expect(parseToken('0'.repeat(64))).toBeUndefined();
    expect(isTokenId('tk_0123456789abcdef')).toBe(true);
    expect(isTokenId('tk_0123')).toBe(false);
  });
});

describe('hashTokenSecret', () => {
  it('is deterministic and bound to the id', () => {
    expect(hashTokenSecret('tk_a', 's')).toBe(hashTokenSecret('tk_a', 's'));
    expect(hashTokenSecret('tk_a', 's')).not.toBe(hashTokenSecret('tk_b', 's'));
  });
});
