import { describe, expect, it } from 'vitest';
import * as api from '../src/index.js';

// Keys are untrusted and may be huge. Every export must stay linear in the key length: a
// quadratic scan (or a backtracking regex) over 1 MB needs ~10^12 steps and would blow the
// per-test timeout by orders of magnitude. No timing is asserted; the timeout is the guard.
const MB = 1 << 20;

function fill(unit: string, prefix = '', suffix = ''): string {
  return prefix + unit.repeat(Math.ceil((MB - prefix.length - suffix.length) / unit.length)) + suffix;
}

const ADVERSARIAL: ReadonlyArray<readonly [string, string]> = [
  ['dashes then a letter', fill('-', 'x', 'y')],
  ['dashes then garbage', fill('-', '', '!')],
  ['invalid-char runs', fill('!-')],
  ['no colon after agent:', fill('a', 'agent:')],
  ['all colons', fill(':', 'agent:ops:x')],
  ['repeated signal:group: markers', fill('signal:group:')],
  ['near-miss signal markers', fill('signal:grou:')],
  ['matrix tail full of thread markers', fill(':thread', 'agent:ops:matrix:channel:')],
  ['thread near-misses', fill(':threa')],
  ['subagent segments', fill(':subagent', 'agent:ops:subagent')],
  ['subagent near-misses', fill(':subagen')],
  ['cron run prefix with a huge run id', fill('r', 'agent:ops:cron:job:run:')],
  ['cron job id with no run', fill('j', 'agent:ops:cron:')],
  ['dotted capital I (lower-cases longer)', fill('İ')],
  ['Kelvin signs', fill('\u212A')],
  ['whitespace padding', fill(' ', '', 'agent:ops:main')],
  ['lone surrogates', fill('\uD800')],
  ['identity-link-ish peer', fill('a:', 'telegram:')],
];

function exercise(key: string): void {
  api.normalizeAgentId(key);
  api.normalizeAgentIdStrict(key);
  api.isValidAgentId(key);
  api.normalizeAccountId(key);
  api.normalizeMainKey(key);
  api.parseAgentSessionKey(key);
  api.parseAgentSessionKeyParts(key);
  api.classifySessionKeyShape(key);
  api.isUnscopedSessionKeySentinel(key);
  api.toAgentStoreSessionKey({ agentId: key, requestKey: key });
  api.scopeLegacySessionKeyToAgent({ agentId: 'ops', sessionKey: key });
  api.toAgentRequestSessionKey(key);
  api.agentSessionKeysMatchByRequestKey(key, key + 'x');
  api.buildAgentMainSessionKey({ agentId: key, mainKey: key });
  api.buildAgentPeerSessionKey({
    agentId: key,
    channel: key,
    peerId: key,
    dmScope: 'per-account-channel-peer',
    accountId: key,
    identityLinks: { a: [key] },
  });
  api.buildAgentPeerSessionKey({ agentId: key, channel: 'signal', peerKind: 'group', peerId: key });
  api.resolveThreadSessionKeys({ baseSessionKey: key, threadId: key });
  api.parseThreadSessionSuffix(key);
  api.isSubagentSessionKey(key);
  api.getSubagentDepth(key);
  api.isCronSessionKey(key);
  api.isCronRunSessionKey(key);
  api.parseCronRunScopeSuffix(key);
  api.isAcpSessionKey(key);
  api.isIncognitoSessionKey(key);
  api.normalizeSessionKeyPreservingOpaquePeerIds(key);
  api.canonicalizeMainSessionAlias({ cfg: { session: { mainKey: key } }, agentId: key, sessionKey: key });
  api.sessionKeySchema.safeParse(key);
  for (const call of [
    () => api.resolveAgentIdFromSessionKey(key, 'ops'),
    () => api.normalizeExplicitSessionKey({ sessionKey: key, agentId: 'ops', defaultAgentId: 'main', knownAgentIds: ['ops'] }),
    () => api.normalizeExplicitSessionKey({ sessionKey: key, defaultAgentId: 'main' }),
    () => api.resolveSubagentSessionKey({ targetAgentId: 'ops', sessionKey: key, newId: () => 'x' }),
    () => api.deriveProcessScopeKey({ sessionKey: key }),
    () => api.deriveProcessScopeKey({ sessionId: key }),
  ]) {
    try {
      call();
    } catch (error) {
      if (!api.SessionKeyError.isInstance(error)) throw error;
    }
  }
}

describe('1 MB keys are handled in linear time', () => {
  it.each(ADVERSARIAL)(
    '%s',
    (_label, key) => {
      expect(key.length).toBeGreaterThanOrEqual(MB - 16);
      exercise(key);
    },
    20_000,
  );

  it('returns correct results on 1 MB inputs, not just quickly', () => {
    expect(api.normalizeAgentId(fill('-', 'x', 'y'))).toBe('x' + '-'.repeat(63));
    expect(api.getSubagentDepth(`agent:ops:${'subagent:x:'.repeat(1000)}`)).toBe(1000);
    expect(api.classifySessionKeyShape(fill('a', 'agent:'))).toBe('malformed_agent');
    const big = fill('r', 'agent:ops:cron:job:run:');
    expect(api.isCronRunSessionKey(big)).toBe(true);
    expect(api.parseCronRunScopeSuffix(big).baseSessionKey).toBe('agent:ops:cron:job');
  }, 20_000);
});
