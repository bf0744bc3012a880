import { describe, expect, it } from 'vitest';
import { CAPABILITIES } from './capabilities.js';
import { OPERATOR_IDENTITY, type TokenIdentity } from './identity.js';
import { capabilitiesForTool, capabilityForCall, ceilingRefusal, createToolCeiling, toolCeilingFor } from './tool-ceiling.js';
const TOOL_NAMES = ['exec', 'process', 'sessions_spawn', 'sessions_list', 'sessions_history', 'cron'] as const;

describe('capabilityForCall', () => {
  it('maps each built-in tool and action to one capability', () => {
    expect(capabilityForCall('exec', { command: 'ls' })).toBe('processes:exec');
    expect(capabilityForCall('process', { action: 'log', id: 'p' })).toBe('processes:read');
    expect(capabilityForCall('process', { action: 'send-keys' })).toBe('processes:exec');
    expect(capabilityForCall('process', { action: 'kill' })).toBe('processes:kill');
    expect(capabilityForCall('sessions_spawn', { task: 't' })).toBe('agent:spawn');
    expect(capabilityForCall('sessions_list', {})).toBe('sessions:read');
    expect(capabilityForCall('sessions_history', {})).toBe('transcripts:read');
    expect(capabilityForCall('cron', { action: 'list' })).toBe('cron:read');
    expect(capabilityForCall('cron', { action: 'add' })).toBe('cron:write');
  });

  it('treats plugin tools, and names like constructor or __proto__, as tools:invoke', () => {
    expect(capabilityForCall('weather', {})).toBe('tools:invoke');
    expect(capabilityForCall('constructor', {})).toBe('tools:invoke');
    expect(capabilityForCall('__proto__', {})).toBe('tools:invoke');
    expect(capabilityForCall('process', { action: 'constructor' })).toBe('processes:read');
  });

  it('covers every built-in tool with grantable capabilities', () => {
    for (const name of TOOL_NAMES) {
      for (const capability of capabilitiesForTool(name)) expect(CAPABILITIES).toContain(capability);
    }
  });
});

describe('createToolCeiling', () => {
  const ceiling = createToolCeiling('tk_x', new Set(['processes:read', 'cron:read']));

  it('offers a tool when some action of it is allowed, and refuses the others per call', () => {
    expect(ceiling.allowsTool('process')).toBe(true);
    expect(ceiling.allowsTool('exec')).toBe(false);
    expect(ceiling.allowsTool('cron')).toBe(true);
    expect(ceiling.allowsTool('weather')).toBe(false);
    expect(ceiling.missingFor('process', { action: 'list' })).toBeUndefined();
    expect(ceiling.missingFor('process', { action: 'kill', id: 'p' })).toBe('processes:kill');
    expect(ceiling.missingFor('cron', { action: 'add' })).toBe('cron:write');
  });

  it('says which credential and capability a refusal is about', () => {
    expect(ceilingRefusal('exec', 'processes:exec', 'tk_x')).toBe(
      'Tool "exec" is not allowed in this run: credential tk_x lacks the "processes:exec" capability.',
    );
  });
});

describe('toolCeilingFor', () => {
  it('puts no ceiling on the operator and the token\u2019s capabilities on a token', () => {
    expect(toolCeilingFor(OPERATOR_IDENTITY)).toBeUndefined();
    const token: TokenIdentity = {
      kind: 'token',
      credentialId: 'tk_y',
      name: 'bot',
      scope: { kind: 'agent', agentId: 'ops' },
      capabilities: new Set(['agent:run']),
      expiresAt: 1,
    };
    const ceiling = toolCeilingFor(token)!;
    for (const name of TOOL_NAMES) expect(ceiling.allowsTool(name)).toBe(false);
  });
});
