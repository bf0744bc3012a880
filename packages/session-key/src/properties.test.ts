import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as api from './index.js';
import {
  SessionKeyError,
  buildAgentMainSessionKey,
  buildAgentPeerSessionKey,
  classifySessionKeyShape,
  isUnscopedSessionKeySentinel,
  isValidAgentId,
  normalizeAgentId,
  normalizeAgentIdStrict,
  normalizeExplicitSessionKey,
  normalizeMainKey,
  normalizeSessionKeyPreservingOpaquePeerIds,
  parseAgentSessionKey,
  resolveAgentIdFromSessionKey,
  resolveSubagentSessionKey,
} from './index.js';

const RUNS = { numRuns: 400 };

/** Fragments that exercise every branch of the grammar. */
const FRAGMENTS = [
  'agent:',
  'AGENT:',
  'Agent:',
  ':',
  '::',
  ' ',
  '\t',
  '-',
  '_',
  'main',
  'MAIN',
  'global',
  'Unknown',
  'subagent:',
  'SubAgent:',
  'cron:',
  ':run:',
  'acp:',
  'thread:',
  ':THREAD:',
  'signal:group:',
  'Signal:Group:',
  'matrix:channel:',
  'Matrix:Group:',
  'direct:',
  'dashboard:',
  'incognito-',
  'ops',
  'Ops Team',
  'İ',
  'ß',
  '\u212A',
  'é',
  '日本',
  '👍',
  '\u0000',
  '\n',
  '\uFEFF',
  '\u00A0',
  '\uD800',
  '\uDC00',
] as const;

/** Single code points from the whole Unicode range, including lone surrogates. */
const anyChar = fc.oneof(
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code)),
  fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }),
);

/** Arbitrary unicode strings biased towards key-shaped input. */
const keyish = fc.string({ unit: fc.oneof(fc.constantFrom(...FRAGMENTS), anyChar), maxLength: 40 });

function isAlnum(char: string | undefined): boolean {
  return char !== undefined && /^[a-z0-9]$/.test(char);
}

describe('normalizeAgentId properties', () => {
  // The reference algorithm (§2.1) written the obvious way, for short inputs only: the
  // package's single-pass scanner must agree with it everywhere.
  function referenceNormalizeAgentId(value: string): string {
    const trimmedValue = value.trim();
    const lower = trimmedValue.toLowerCase();
    if (/^[a-z0-9][a-z0-9_-]{0,63}$/i.test(trimmedValue)) return lower;
    const out = lower
      .replace(/[^a-z0-9_-]+/g, '-')
      .replace(/^-+/, '')
      .replace(/-+$/, '')
      .slice(0, 64);
    return out || 'main';
  }

  it('agrees with the reference algorithm (differential, short inputs)', () => {
    const unit = fc.constantFrom('a', 'B', '7', '-', '_', '.', ' ', 'İ', '\u212A', 'é', ':', '\uD800');
    fc.assert(
      fc.property(
        fc.oneof(
          keyish,
          fc.string({ unit, maxLength: 160 }),
          // Inputs whose interesting part straddles the 64-char truncation point.
          fc
            .tuple(fc.constantFrom('_', '-', '.', 'x'), fc.integer({ min: 58, max: 66 }), fc.string({ unit, maxLength: 8 }))
            .map(([first, fill, tail]) => first + 'b'.repeat(fill) + tail),
        ),
        (value) => {
          expect(normalizeAgentId(value)).toBe(referenceNormalizeAgentId(value));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('always returns 1-64 chars of [a-z0-9_-], never starting with "-"', () => {
    fc.assert(
      fc.property(keyish, (value) => {
        const id = normalizeAgentId(value);
        expect(id.length).toBeGreaterThanOrEqual(1);
        expect(id.length).toBeLessThanOrEqual(64);
        expect(id).toMatch(/^[a-z0-9_][a-z0-9_-]*$/);
      }),
      RUNS,
    );
  });

  it('is idempotent, except the documented truncate-after-strip quirk', () => {
    fc.assert(
      fc.property(
        fc.oneof(keyish, fc.string({ maxLength: 90 }), fc.string({ unit: fc.constantFrom('a', '_', '-', '.', 'B'), maxLength: 90 })),
        (value) => {
          const once = normalizeAgentId(value);
          const quirk = once.length === 64 && once.endsWith('-') && !isAlnum(once[0]);
          if (!quirk) expect(normalizeAgentId(once)).toBe(once);
        },
      ),
      RUNS,
    );
  });

  it('documents the one non-idempotent input class: "_" + 62 chars + "-c"', () => {
    const once = normalizeAgentId('_' + 'b'.repeat(62) + '-c');
    expect(once).toBe('_' + 'b'.repeat(62) + '-');
    // A second pass strips the trailing dash, because "_…" does not match the id pattern.
    expect(normalizeAgentId(once)).toBe('_' + 'b'.repeat(62));
  });

  it('agrees with isValidAgentId and normalizeAgentIdStrict', () => {
    fc.assert(
      fc.property(keyish, (value) => {
        if (isValidAgentId(value)) expect(normalizeAgentId(value)).toBe(value.trim().toLowerCase());
        const strict = normalizeAgentIdStrict(value);
        expect(strict.ok ? strict.value : 'main').toBe(normalizeAgentId(value));
      }),
      RUNS,
    );
  });
});

describe('build → parse round-trips', () => {
  const mainKey = keyish.filter((value) => !normalizeMainKey(value).startsWith(':'));

  it('buildAgentMainSessionKey parses back to the normalized agent and main key', () => {
    fc.assert(
      fc.property(keyish, mainKey, (agentId, key) => {
        const built = buildAgentMainSessionKey({ agentId, mainKey: key });
        expect(classifySessionKeyShape(built)).toBe('agent');
        expect(parseAgentSessionKey(built)).toEqual({ agentId: normalizeAgentId(agentId), rest: normalizeMainKey(key) });
        expect(resolveAgentIdFromSessionKey(built)).toBe(normalizeAgentId(agentId));
      }),
      RUNS,
    );
  });

  it('buildAgentPeerSessionKey always yields a key owned by the normalized agent', () => {
    const channel = fc.oneof(
      fc.constantFrom('telegram', 'Signal', 'matrix', 'WhatsApp', '', ' discord '),
      keyish.filter((c) => !c.trim().startsWith(':')),
    );
    fc.assert(
      fc.property(
        keyish,
        channel,
        fc.option(keyish),
        fc.constantFrom('direct', 'group', 'channel', null, undefined),
        keyish,
        fc.constantFrom('main', 'per-peer', 'per-channel-peer', 'per-account-channel-peer', 'bogus', undefined),
        fc.constantFrom('per-group', 'main', undefined),
        (agentId, ch, accountId, peerKind, peerId, dmScope, groupScope) => {
          const key = buildAgentPeerSessionKey({ agentId, channel: ch, accountId, peerKind, peerId, dmScope, groupScope });
          expect(resolveAgentIdFromSessionKey(key)).toBe(normalizeAgentId(agentId));
        },
      ),
      RUNS,
    );
  });

  it('classifySessionKeyShape and parseAgentSessionKey agree on every input', () => {
    fc.assert(
      fc.property(keyish, (key) => {
        const parsed = parseAgentSessionKey(key);
        expect(parsed !== null).toBe(classifySessionKeyShape(key) === 'agent');
        if (parsed) {
          expect(parsed.agentId.length).toBeGreaterThan(0);
          expect(parsed.agentId).toBe(parsed.agentId.trim());
          expect(parsed.rest.length).toBeGreaterThan(0);
          expect(parsed.rest.startsWith(':')).toBe(false);
        }
      }),
      RUNS,
    );
  });

  it('parse is a fixpoint: re-joining a parsed key parses to the same parts', () => {
    fc.assert(
      fc.property(keyish, (key) => {
        const parsed = parseAgentSessionKey(key);
        if (!parsed) return;
        expect(parseAgentSessionKey(`agent:${parsed.agentId}:${parsed.rest}`)).toEqual(parsed);
      }),
      RUNS,
    );
  });

  it('normalizeSessionKeyPreservingOpaquePeerIds is idempotent', () => {
    fc.assert(
      fc.property(keyish, (key) => {
        const once = normalizeSessionKeyPreservingOpaquePeerIds(key);
        expect(normalizeSessionKeyPreservingOpaquePeerIds(once)).toBe(once);
      }),
      RUNS,
    );
  });

  it('resolveSubagentSessionKey only ever returns subagent keys owned by the target', () => {
    fc.assert(
      fc.property(keyish, fc.option(keyish), (target, sessionKey) => {
        try {
          const key = resolveSubagentSessionKey({ targetAgentId: target, sessionKey, newId: () => 'id-1' });
          expect(resolveAgentIdFromSessionKey(key)).toBe(normalizeAgentId(target));
          expect(api.isSubagentSessionKey(key)).toBe(true);
          // The result is itself an acceptable fully-qualified key that resolves to itself.
          if (sessionKey != null && sessionKey.trim()) {
            expect(resolveSubagentSessionKey({ targetAgentId: target, sessionKey: key, newId: () => 'id-2' })).toBe(key);
          }
        } catch (error) {
          expect(SessionKeyError.isInstance(error)).toBe(true);
        }
      }),
      RUNS,
    );
  });

  it('normalizeExplicitSessionKey never hands back a key owned by another agent', () => {
    fc.assert(
      fc.property(keyish, fc.option(keyish), keyish, (sessionKey, agentId, defaultAgentId) => {
        try {
          const out = normalizeExplicitSessionKey({ sessionKey, agentId, defaultAgentId });
          if (isUnscopedSessionKeySentinel(out.sessionKey)) {
            expect(out.agentId).toBe(agentId == null ? undefined : normalizeAgentId(agentId));
          } else {
            expect(resolveAgentIdFromSessionKey(out.sessionKey)).toBe(out.agentId);
            if (agentId != null) expect(out.agentId).toBe(normalizeAgentId(agentId));
          }
        } catch (error) {
          expect(SessionKeyError.isInstance(error)).toBe(true);
        }
      }),
      RUNS,
    );
  });
});

/** Every function export, called with arbitrary strings in every position. */
function callEverything(a: string, b: string, c: string): void {
  const fns: Array<() => unknown> = [
    () => api.normalizeAgentId(a),
    () => api.sanitizeAgentId(a),
    () => api.normalizeAgentIdStrict(a),
    () => api.isValidAgentId(a),
    () => api.normalizeOptionalAgentId(a),
    () => api.normalizeAccountId(a),
    () => api.normalizeOptionalAccountId(a),
    () => api.normalizeMainKey(a),
    () => api.normalizeSessionKeyPreservingOpaquePeerIds(a),
    () => api.normalizeSessionPeerId({ channel: a, peerKind: b, peerId: c }),
    () => api.parseAgentSessionKey(a),
    () => api.parseAgentSessionKeyParts(a),
    () => api.classifySessionKeyShape(a),
    () => api.resolveAgentIdFromSessionKey(a, b),
    () => api.resolveAgentIdFromSessionKey(a),
    () => api.isUnscopedSessionKeySentinel(a),
    () => api.toAgentStoreSessionKey({ agentId: a, requestKey: b, mainKey: c }),
    () => api.scopeLegacySessionKeyToAgent({ agentId: a, sessionKey: b, mainKey: c }),
    () => api.toAgentRequestSessionKey(a),
    () => api.agentSessionKeysMatchByRequestKey(a, b),
    () => api.buildAgentMainSessionKey({ agentId: a, mainKey: b }),
    () =>
      api.buildAgentPeerSessionKey({
        agentId: a,
        channel: b,
        peerId: c,
        peerKind: b,
        dmScope: 'per-account-channel-peer',
        accountId: c,
        identityLinks: { [a]: [b, c] },
      }),
    () => api.resolveLinkedDirectPeerId({ identityLinks: { [a]: [c] }, channel: b, peerId: c }),
    () => api.buildGroupHistoryKey({ channel: a, accountId: b, peerKind: c, peerId: a }),
    () => api.resolveThreadSessionKeys({ baseSessionKey: a, threadId: b, parentSessionKey: c }),
    () => api.parseThreadSessionSuffix(a),
    () => api.isSubagentSessionKey(a),
    () => api.getSubagentDepth(a),
    () => api.isCronSessionKey(a),
    () => api.isCronRunSessionKey(a),
    () => api.parseCronRunScopeSuffix(a),
    () => api.isAcpSessionKey(a),
    () => api.resolveSessionDispatchKind(a),
    () => api.isIncognitoSessionKey(a),
    () => api.canonicalizeMainSessionAlias({ cfg: { session: { mainKey: b, scope: c } }, agentId: c, sessionKey: a }),
    () => api.normalizeExplicitSessionKey({ sessionKey: a, agentId: b, defaultAgentId: c, knownAgentIds: [b, c] }),
    () => api.normalizeExplicitSessionKey({ sessionKey: a, defaultAgentId: c }),
    () => api.resolveSubagentSessionKey({ targetAgentId: a, sessionKey: b, newId: () => c }),
    () => api.deriveProcessScopeKey({ scopeKey: a, sessionKey: b, sessionId: c, agentId: a }),
    () => api.canonicalizeSessionKey(a),
    () => api.canonicalizeSessionKey(a, { agentId: b }),
    () => api.isCanonicalSessionKey(a),
    () => api.assertCanonicalAgentSessionKey(a, b),
    () => api.canonicalAgentId(a),
    () => api.deriveProcessScopeKey({ agentId: a }),
    () => api.agentIdSchema.safeParse(a),
    () => api.sessionKeySchema.safeParse(a),
    () => api.agentSessionKeySchema.safeParse(a),
    () => api.canonicalSessionKeySchema.safeParse(a),
    () => api.canonicalAgentSessionKeySchema.safeParse(a),
  ];
  for (const fn of fns) {
    try {
      fn();
    } catch (error) {
      if (!SessionKeyError.isInstance(error)) throw error;
    }
  }
}

describe('no export throws anything but SessionKeyError', () => {
  it('holds for arbitrary unicode strings (including lone surrogates)', () => {
    fc.assert(fc.property(keyish, keyish, keyish, callEverything), RUNS);
  });

  it('holds for non-string garbage where strings are expected', () => {
    const garbage = [undefined, null, 0, 1n, true, {}, [], Symbol('x'), () => 'x'] as unknown as string[];
    for (const a of garbage) {
      for (const b of [...garbage, 'ops']) callEverything(a, b, 'x');
    }
  });

  it('covers every function export', () => {
    const functions = Object.entries(api)
      .filter(([, value]) => typeof value === 'function' && value !== SessionKeyError)
      .map(([name]) => name);
    const source = callEverything.toString();
    for (const name of functions) expect(source, name).toContain(`.${name}(`);
  });
});
