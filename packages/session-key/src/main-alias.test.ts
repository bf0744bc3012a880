import { describe, expect, it } from 'vitest';
import { SessionKeyError } from './errors.js';
import { canonicalizeMainSessionAlias } from './main-alias.js';

const COLUMNS = [
  { cfg: {}, agentId: 'ops' },
  { cfg: {}, agentId: 'main' },
  { cfg: { session: { mainKey: 'work' } }, agentId: 'ops' },
  { cfg: { session: { scope: 'global' } }, agentId: 'ops' },
] as const;

// Reference §4.2 table: each key × the four columns. `null` = unchanged (trimmed key).
const TABLE: ReadonlyArray<readonly [keys: ReadonlyArray<string>, cells: ReadonlyArray<string | null>]> = [
  [
    ['main', ' main '],
    ['agent:ops:main', 'agent:main:main', 'agent:ops:work', 'global'],
  ],
  [
    ['MAIN', 'Work', 'Agent:Ops:main', 'agent:ops:MAIN'],
    [null, null, null, null],
  ],
  [['work'], ['work', 'work', 'agent:ops:work', 'work']],
  [['agent:main:main'], ['agent:ops:main', 'agent:main:main', 'agent:ops:work', 'global']],
  [['agent:ops:main'], ['agent:ops:main', 'agent:ops:main', 'agent:ops:work', 'global']],
  [
    ['agent:other:main', 'foo:main', 'agent:ops:direct:main', 'agent:ops:subagent:main'],
    [null, null, null, null],
  ],
  [
    ['global', 'incident-42', ''],
    [null, null, null, null],
  ],
];

describe('canonicalizeMainSessionAlias', () => {
  for (const [keys, cells] of TABLE) {
    for (const key of keys) {
      cells.forEach((cell, column) => {
        const { cfg, agentId } = COLUMNS[column]!;
        const expected = cell ?? key.trim();
        it(`${JSON.stringify(key)} with cfg ${JSON.stringify(cfg)} agent ${agentId} → ${JSON.stringify(expected)}`, () => {
          expect(canonicalizeMainSessionAlias({ cfg, agentId, sessionKey: key })).toBe(expected);
        });
      });
    }
  }

  it('treats agentId "" as main', () => {
    expect(canonicalizeMainSessionAlias({ cfg: {}, agentId: '', sessionKey: 'main' })).toBe('agent:main:main');
    expect(canonicalizeMainSessionAlias({ cfg: {}, agentId: '', sessionKey: 'agent:ops:main' })).toBe('agent:ops:main');
  });

  it('normalizes the agent id and tolerates a missing cfg', () => {
    expect(canonicalizeMainSessionAlias({ agentId: 'Ops Team', sessionKey: 'agent:main:main' })).toBe('agent:ops-team:main');
    expect(canonicalizeMainSessionAlias({ cfg: null, agentId: 'ops', sessionKey: 'main' })).toBe('agent:ops:main');
  });

  it('throws SessionKeyError INVALID_INPUT (not TypeError) for a non-string key', () => {
    try {
      canonicalizeMainSessionAlias({ cfg: {}, agentId: 'ops', sessionKey: undefined as unknown as string });
      expect.unreachable();
    } catch (error) {
      expect(SessionKeyError.isInstance(error)).toBe(true);
      expect((error as SessionKeyError).code).toBe('INVALID_INPUT');
    }
  });
});
