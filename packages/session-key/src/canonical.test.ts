import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  SessionKeyError,
  assertCanonicalAgentSessionKey,
  canonicalAgentId,
  canonicalAgentSessionKeySchema,
  canonicalSessionKeySchema,
  canonicalizeSessionKey,
  isCanonicalSessionKey,
  normalizeExplicitSessionKey,
  parseAgentSessionKey,
  resolveAgentIdFromSessionKey,
} from './index.js';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (SessionKeyError.isInstance(error)) return error.code;
    throw error;
  }
  return 'no error';
}

describe('canonicalizeSessionKey', () => {
  it.each([
    ['agent:main:victim', 'agent:main:victim'],
    ['agent:main:VICTIM', 'agent:main:victim'],
    ['AGENT:Main:Victim', 'agent:main:victim'],
    ['agent:Main!:victim', 'agent:main:victim'],
    ['  agent:main:victim\t', 'agent:main:victim'],
    ['agent: ops :main', 'agent:ops:main'],
    ['agent:Ops Team:main', 'agent:ops-team:main'],
    ['agent:../x:main', 'agent:x:main'],
    ['agent:日本:main', 'agent:main:main'],
    ['agent:ops:main:', 'agent:ops:main:'],
    ['agent:OPS:Signal:Group:AbCdEf==', 'agent:ops:signal:group:AbCdEf=='],
    ['agent:ops:matrix:channel:!Room:srv:THREAD:$EvT', 'agent:ops:matrix:channel:!Room:srv:thread:$EvT'],
    ['agent:ops:Telegram:Direct:ABC', 'agent:ops:telegram:direct:abc'],
    ['GLOBAL', 'global'],
    [' Unknown ', 'unknown'],
  ])('%j → %j', (input, expected) => {
    expect(canonicalizeSessionKey(input)).toBe(expected);
  });

  it('scopes bare keys and sentinels to options.agentId', () => {
    expect(canonicalizeSessionKey('Incident-42', { agentId: 'Ops' })).toBe('agent:ops:incident-42');
    expect(canonicalizeSessionKey('MAIN', { agentId: 'ops' })).toBe('agent:ops:main');
    expect(canonicalizeSessionKey('GLOBAL', { agentId: 'ops' })).toBe('agent:ops:global');
    expect(canonicalizeSessionKey('signal:group:AbC', { agentId: 'ops' })).toBe('agent:ops:signal:group:AbC');
    // An agent-prefixed key keeps its own agent: the owner option never re-homes it.
    expect(canonicalizeSessionKey('agent:main:x', { agentId: 'ops' })).toBe('agent:main:x');
  });

  it('refuses blank, malformed and ownerless keys with typed errors', () => {
    expect(codeOf(() => canonicalizeSessionKey('   '))).toBe('INVALID_INPUT');
    expect(codeOf(() => canonicalizeSessionKey(42 as unknown as string))).toBe('INVALID_INPUT');
    for (const malformed of ['agent:ops', 'agent::x', 'agent:ops::x', 'Agent:', 'agent: :main']) {
      expect(
        codeOf(() => canonicalizeSessionKey(malformed)),
        malformed,
      ).toBe('MALFORMED_SESSION_KEY');
    }
    expect(codeOf(() => canonicalizeSessionKey(':x', { agentId: 'ops' }))).toBe('MALFORMED_SESSION_KEY');
    expect(codeOf(() => canonicalizeSessionKey('incident-42'))).toBe('NO_AGENT_ID');
  });

  it('gives the owner the gateway resolves: the canonical key parses to the normalized agent', () => {
    for (const key of ['agent:Main!:victim', 'AGENT:Ops Team:x', 'agent:../x:main', 'agent:İstanbul:x']) {
      const canonical = canonicalizeSessionKey(key);
      expect(parseAgentSessionKey(canonical)?.agentId).toBe(resolveAgentIdFromSessionKey(key));
    }
  });

  it('composes with normalizeExplicitSessionKey: every --session-key spelling of one session gives one key', () => {
    const spellings = ['agent:ops:incident-42', 'AGENT:Ops:Incident-42', ' agent:OPS:incident-42 ', 'agent:Ops!:INCIDENT-42'];
    const keys = new Set(
      spellings.map((sessionKey) => canonicalizeSessionKey(normalizeExplicitSessionKey({ sessionKey, defaultAgentId: 'main' }).sessionKey)),
    );
    expect([...keys]).toEqual(['agent:ops:incident-42']);
    const bare = normalizeExplicitSessionKey({ sessionKey: 'Incident-42', agentId: 'ops', defaultAgentId: 'main' });
    expect(canonicalizeSessionKey(bare.sessionKey)).toBe('agent:ops:incident-42');
  });
});

describe('isCanonicalSessionKey / assertCanonicalAgentSessionKey', () => {
  it('accepts exactly the canonical strings', () => {
    expect(isCanonicalSessionKey('agent:main:victim')).toBe(true);
    expect(isCanonicalSessionKey('global')).toBe(true);
    for (const alias of ['agent:main:VICTIM', 'agent:Main!:victim', ' agent:main:victim', 'GLOBAL', 'main', 42, null]) {
      expect(isCanonicalSessionKey(alias), String(alias)).toBe(false);
    }
  });

  it('throws NON_CANONICAL_SESSION_KEY naming the canonical form', () => {
    expect(assertCanonicalAgentSessionKey('agent:ops:x')).toBe('agent:ops:x');
    let message = '';
    try {
      assertCanonicalAgentSessionKey('agent:main:VICTIM');
    } catch (error) {
      expect(SessionKeyError.isInstance(error) && error.code).toBe('NON_CANONICAL_SESSION_KEY');
      message = (error as Error).message;
    }
    expect(message).toContain('"agent:main:victim"');
    expect(codeOf(() => assertCanonicalAgentSessionKey('global'))).toBe('NO_AGENT_ID');
    expect(codeOf(() => assertCanonicalAgentSessionKey('agent:ops'))).toBe('MALFORMED_SESSION_KEY');
    expect(codeOf(() => assertCanonicalAgentSessionKey(''))).toBe('INVALID_INPUT');
  });
});

describe('canonical schemas', () => {
  it('canonicalSessionKeySchema parses to the canonical key and reports refusals as issues', () => {
    expect(canonicalSessionKeySchema.parse('AGENT:Ops:X')).toBe('agent:ops:x');
    const failed = canonicalSessionKeySchema.safeParse('agent:ops');
    expect(failed.success).toBe(false);
    expect(failed.error?.issues[0]?.message).toContain('agent:<agent-id>:<session-key>');
  });

  it('canonicalAgentSessionKeySchema accepts only canonical agent keys', () => {
    expect(canonicalAgentSessionKeySchema.safeParse('agent:ops:x').success).toBe(true);
    expect(canonicalAgentSessionKeySchema.safeParse('agent:OPS:x').success).toBe(false);
    expect(canonicalAgentSessionKeySchema.safeParse('global').success).toBe(false);
  });
});

// ---- properties -----------------------------------------------------------------------------

const FRAGMENTS = [
  'agent:',
  'AGENT:',
  ':',
  ' ',
  'main',
  'MAIN',
  'Ops',
  'ops team',
  '!',
  'signal:group:',
  'Signal:Group:',
  'matrix:channel:',
  'MATRIX:Group:',
  ':thread:',
  ':THREAD:',
  'subagent:',
  'İ',
  'ß',
  '\u212A',
  '日本',
  '\t',
  'Ab=',
  '$Ev',
] as const;
const keyish = fc.string({
  unit: fc.oneof(fc.constantFrom(...FRAGMENTS), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })),
  maxLength: 30,
});
const agentKeyish = fc
  .tuple(fc.constantFrom('agent:', 'AGENT:', ' Agent:'), keyish, keyish)
  .map(([prefix, id, rest]) => `${prefix}${id.replace(/:/g, '')}x:${rest}`);

function tryCanonical(key: string): string | undefined {
  try {
    return canonicalizeSessionKey(key);
  } catch (error) {
    if (!SessionKeyError.isInstance(error)) throw error;
    return undefined;
  }
}

/** Flip the case of ASCII letters outside the opaque peer segments (a case variant of `key`). */
function caseVariant(key: string, flips: readonly boolean[]): string {
  const opaqueFrom = Math.min(
    ...['signal:group:', 'matrix:channel:', 'matrix:group:'].map((marker) => {
      const at = key.indexOf(marker);
      return at < 0 ? Number.POSITIVE_INFINITY : at + marker.length;
    }),
  );
  let out = '';
  for (let index = 0; index < key.length; index += 1) {
    const char = key[index]!;
    const flip = index < opaqueFrom && flips[index % Math.max(1, flips.length)] === true && /[a-z]/.test(char);
    out += flip ? char.toUpperCase() : char;
  }
  return out;
}

describe('canonicalizeSessionKey properties', () => {
  it('is idempotent when normalizing the agent id shifts a signal:group: marker (fast-check counterexample)', () => {
    // The control character is stripped from the id; the rest stays `group:signal:group:Ops`.
    const canonical = canonicalizeSessionKey('agent:\u0000signal:group:signal:group:Ops');
    expect(canonical).toBe('agent:signal:group:signal:group:Ops');
    expect(canonicalizeSessionKey(canonical)).toBe(canonical);
  });

  it('is idempotent and only ever throws SessionKeyError', () => {
    fc.assert(
      fc.property(fc.oneof(keyish, agentKeyish), (key) => {
        const canonical = tryCanonical(key);
        if (canonical !== undefined) {
          expect(canonicalizeSessionKey(canonical)).toBe(canonical);
          expect(isCanonicalSessionKey(canonical)).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('maps every alias (case variant, whitespace, agent-id spelling) of a session to one key', () => {
    fc.assert(
      fc.property(
        agentKeyish,
        fc.array(fc.boolean(), { minLength: 1, maxLength: 16 }),
        fc.constantFrom('', ' ', '\t', '\n '),
        fc.constantFrom('', '!', '  ', '..'),
        (key, flips, padding, idNoise) => {
          const canonical = tryCanonical(key);
          if (canonical === undefined) return;
          const parsed = parseAgentSessionKey(canonical)!;
          const aliases = [
            caseVariant(canonical, flips),
            `${padding}${canonical}${padding}`,
            `AGENT:${parsed.agentId.toUpperCase()}${idNoise}:${parsed.rest}`,
            `agent:${idNoise}${parsed.agentId}:${parsed.rest}`,
          ];
          for (const alias of aliases) {
            expect(tryCanonical(alias), JSON.stringify(alias)).toBe(canonical);
            if (alias !== canonical) expect(isCanonicalSessionKey(alias)).toBe(false);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('never moves a key to another agent than the one it names', () => {
    fc.assert(
      fc.property(agentKeyish, (key) => {
        const canonical = tryCanonical(key);
        if (canonical === undefined) return;
        expect(parseAgentSessionKey(canonical)?.agentId).toBe(canonicalAgentId(parseAgentSessionKey(key)?.agentId));
      }),
      { numRuns: 2000 },
    );
  });
});
