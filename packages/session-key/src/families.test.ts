import { describe, expect, it } from 'vitest';
import {
  getSubagentDepth,
  isAcpSessionKey,
  isCronRunSessionKey,
  isCronSessionKey,
  isIncognitoSessionKey,
  isSubagentSessionKey,
  parseCronRunScopeSuffix,
  resolveSessionDispatchKind,
} from './families.js';

describe('isSubagentSessionKey', () => {
  it.each([
    ['SubAgent:Worker', true],
    ['agent:a:agent:b:subagent:c', false],
    ['agent:ops:subagent:worker', true],
    ['agent:ops:SUBAGENT:p:subagent:c', true],
    ['agent:ops:main', false],
    ['subagent', false],
    ['', false],
    [undefined, false],
  ] as const)('%j → %j (reference §3)', (key, expected) => {
    expect(isSubagentSessionKey(key)).toBe(expected);
  });
});

describe('getSubagentDepth', () => {
  it.each([
    ['agent:ops:subagent:p:subagent:c', 2],
    ['agent:a:agent:b:subagent:c', 1],
    ['agent:ops:main', 0],
    ['subagent:x', 1],
    ['subagent:a:subagent:b:subagent:c', 3],
    ['agent:ops:xsubagent:y', 0],
    ['', 0],
  ] as const)('%j → %j (reference §3)', (key, expected) => {
    expect(getSubagentDepth(key)).toBe(expected);
  });

  it('counts (^|:)subagent: matches left to right without overlap', () => {
    // The leading match consumes "subagent:", so the following segment cannot re-use its colon.
    expect(getSubagentDepth('subagent:subagent:x')).toBe(1);
    expect(getSubagentDepth('x:subagent:subagent:y')).toBe(1);
  });
});

describe('isCronSessionKey', () => {
  it.each([
    ['agent:ops:CRON:Job:RUN:R', true],
    ['agent:ops:cron:job-1', true],
    ['cron:x', false],
    ['agent:ops:main', false],
  ] as const)('%j → %j (reference §3)', (key, expected) => {
    expect(isCronSessionKey(key)).toBe(expected);
  });
});

describe('isCronRunSessionKey', () => {
  it.each([
    ['agent:ops:cron:job:run:r:extra', true],
    ['agent:ops:CRON:Job:RUN:R', true],
    ['agent:ops:cron:job', false],
    ['agent:ops:cron:job:run:', false],
    ['agent:ops:cron::run:r', false],
    ['cron:job:run:r', false],
  ] as const)('%j → %j (reference §3)', (key, expected) => {
    expect(isCronRunSessionKey(key)).toBe(expected);
  });
});

describe('parseCronRunScopeSuffix', () => {
  it('splits the run id and keeps the raw case (reference §3)', () => {
    expect(parseCronRunScopeSuffix('agent:ops:CRON:Job:RUN:R')).toEqual({
      baseSessionKey: 'agent:ops:CRON:Job',
      runId: 'R',
    });
  });
  it('has no run id when more segments follow', () => {
    expect(parseCronRunScopeSuffix('agent:ops:cron:job:run:r:extra')).toEqual({
      baseSessionKey: 'agent:ops:cron:job:run:r:extra',
      runId: undefined,
    });
    expect(parseCronRunScopeSuffix('agent:ops:main').runId).toBeUndefined();
  });
});

describe('isAcpSessionKey / resolveSessionDispatchKind', () => {
  it.each([
    ['acp:x', true],
    ['agent:ops:acp:uuid', true],
    ['agent:ops:ACP:binding:telegram:default:h', true],
    ['agent:ops:main', false],
    ['agent:acp:main', false],
  ] as const)('isAcpSessionKey(%j) → %j', (key, expected) => {
    expect(isAcpSessionKey(key)).toBe(expected);
  });
  it('dispatches acp for ACP keys or entries with acp set', () => {
    expect(resolveSessionDispatchKind('agent:ops:acp:1')).toBe('acp');
    expect(resolveSessionDispatchKind('agent:ops:main', { acp: { id: 1 } })).toBe('acp');
    expect(resolveSessionDispatchKind('agent:ops:main')).toBe('agent');
  });
});

describe('isIncognitoSessionKey', () => {
  it.each([
    ['agent:ops:dashboard:incognito-a', true],
    ['AGENT:ops:Subagent:INCOGNITO-x', true],
    ['agent:ops:internal-session-effects:incognito-1', true],
    ['agent:ops:dashboard:incognito-a:b', false],
    ['agent:ops:dashboard:x', false],
    ['dashboard:incognito-a', false],
  ] as const)('%j → %j (reference §3)', (key, expected) => {
    expect(isIncognitoSessionKey(key)).toBe(expected);
  });
});
