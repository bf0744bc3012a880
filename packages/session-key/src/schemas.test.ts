import { describe, expect, it } from 'vitest';
import {
  agentIdSchema,
  agentSessionKeySchema,
  explicitSessionKeyInputSchema,
  processScopeKeyInputSchema,
  sessionKeySchema,
  subagentSessionKeyInputSchema,
} from './schemas.js';

describe('agentIdSchema', () => {
  it('accepts strictly valid ids and outputs them normalized', () => {
    expect(agentIdSchema.parse(' Ops ')).toBe('ops');
    expect(agentIdSchema.parse('x-')).toBe('x-');
  });
  it.each(['', 'Ops Team', '_x', 'a'.repeat(65), '日本'])('rejects %j', (value) => {
    expect(agentIdSchema.safeParse(value).success).toBe(false);
  });
});

describe('sessionKeySchema', () => {
  it('accepts agent, bare and sentinel keys (trimmed, case kept)', () => {
    expect(sessionKeySchema.parse(' AGENT:Ops:X ')).toBe('AGENT:Ops:X');
    expect(sessionKeySchema.parse('incident-42')).toBe('incident-42');
    expect(sessionKeySchema.parse('GLOBAL')).toBe('GLOBAL');
  });
  it.each(['', '   ', 'agent:ops', 'agent::x'])('rejects %j', (value) => {
    expect(sessionKeySchema.safeParse(value).success).toBe(false);
  });
});

describe('agentSessionKeySchema', () => {
  it('accepts only agent-prefixed keys', () => {
    expect(agentSessionKeySchema.parse('agent:ops:main ')).toBe('agent:ops:main');
    expect(agentSessionKeySchema.safeParse('main').success).toBe(false);
    expect(agentSessionKeySchema.safeParse('agent:ops').success).toBe(false);
  });
});

describe('input schemas', () => {
  it('describe the option objects of the Pincer helpers', () => {
    expect(explicitSessionKeyInputSchema.safeParse({ sessionKey: 'x', defaultAgentId: 'main' }).success).toBe(true);
    expect(explicitSessionKeyInputSchema.safeParse({ sessionKey: 1, defaultAgentId: 'main' }).success).toBe(false);
    expect(subagentSessionKeyInputSchema.safeParse({ targetAgentId: 'ops', newId: () => 'x' }).success).toBe(true);
    expect(subagentSessionKeyInputSchema.safeParse({ targetAgentId: 'ops', newId: 'x' }).success).toBe(false);
    expect(processScopeKeyInputSchema.safeParse({ agentId: 'ops' }).success).toBe(true);
    expect(processScopeKeyInputSchema.safeParse({ agentId: 3 }).success).toBe(false);
  });
});
