import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bracketPaste, decodeHexBytes, encodeKeys, nextCursorKeyMode } from './pty-keys.js';

describe('encodeKeys', () => {
  it('encodes named keys and control chords', () => {
    expect(encodeKeys(['Enter', 'Tab', 'Escape', 'C-c', 'M-x', 'BSpace', 'S-Tab', 'Space']).data).toBe('\r\t\x1b\x03\x1bx\x7f\x1b[Z ');
  });

  it('encodes arrows per cursor-key mode and xterm modifiers', () => {
    expect(encodeKeys(['Up', 'Left']).data).toBe('\x1b[A\x1b[D');
    expect(encodeKeys(['Up', 'Home'], 'application').data).toBe('\x1bOA\x1bOH');
    expect(encodeKeys(['M-Up', 'C-Right', 'C-Home', 'S-M-C-PgDn']).data).toBe('\x1b[1;3A\x1b[1;5C\x1b[1;5H\x1b[6;8~');
    expect(encodeKeys(['F1', 'F5', 'PageUp', 'Delete']).data).toBe('\x1bOP\x1b[15~\x1b[5~\x1b[3~');
  });

  it('never throws and is deterministic for any key list (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ maxLength: 12 }), { maxLength: 8 }),
        fc.constantFrom('normal', 'application' as const),
        (keys, mode) => {
          expect(encodeKeys(keys, mode)).toEqual(encodeKeys(keys, mode));
        },
      ),
    );
  });

  it('sends unknown names literally, warning only when modifiers were used', () => {
    expect(encodeKeys(['hello'])).toEqual({ data: 'hello', warnings: [] });
    expect(encodeKeys(['C-hello']).warnings).toEqual(['Unknown key "hello" for modifiers; sending literal.']);
  });
});

describe('helpers', () => {
  it('decodes hex bytes and reports invalid ones', () => {
    const { bytes, warnings } = decodeHexBytes(['0d', '0x0a', 'zz']);
    expect([...bytes]).toEqual([13, 10]);
    expect(warnings).toEqual(['Invalid hex byte: zz']);
  });

  it('brackets pastes and tracks DECCKM toggles', () => {
    expect(bracketPaste('x')).toBe('\x1b[200~x\x1b[201~');
    expect(nextCursorKeyMode('normal', 'a\x1b[?1hb')).toBe('application');
    expect(nextCursorKeyMode('application', '\x1b[?1h..\x1b[?1l')).toBe('normal');
    expect(nextCursorKeyMode('application', 'plain')).toBe('application');
  });
});
