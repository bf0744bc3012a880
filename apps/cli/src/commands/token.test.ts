import { describe, expect, it } from 'vitest';
import { buildTokenCreateRequest, collectCapabilities, describeTokenScope, parseDurationSeconds } from './token.js';

describe('parseDurationSeconds', () => {
  it('reads whole s/m/h/d/w units', () => {
    expect(parseDurationSeconds('90m', '--expires-in')).toBe(5_400);
    expect(parseDurationSeconds(' 7d ', '--expires-in')).toBe(604_800);
    expect(parseDurationSeconds('2W', '--expires-in')).toBe(1_209_600);
    expect(() => parseDurationSeconds('soon', '--expires-in')).toThrow(/--expires-in must be a duration/);
    expect(() => parseDurationSeconds('1.5h', '--expires-in')).toThrow(/--expires-in must be a duration/);
  });
});

describe('collectCapabilities', () => {
  it('accepts repeated and comma-separated --cap values', () => {
    expect(collectCapabilities('agent:run, processes:exec', collectCapabilities('sessions:read'))).toEqual([
      'sessions:read',
      'agent:run',
      'processes:exec',
    ]);
  });
});

describe('buildTokenCreateRequest', () => {
  it('builds the request for each scope', () => {
    expect(buildTokenCreateRequest({ name: ' dash ', cap: ['sessions:read'], sessionKey: 'x' }, 'agent:ops:dm-1')).toEqual({
      name: 'dash',
      sessionKey: 'agent:ops:dm-1',
      capabilities: ['sessions:read'],
    });
    expect(buildTokenCreateRequest({ name: 'bot', cap: ['agent:run', 'agent:run'], agent: ' ops ', expiresIn: '12h' }, undefined)).toEqual({
      name: 'bot',
      agentId: 'ops',
      capabilities: ['agent:run'],
      expiresInSeconds: 43_200,
    });
    expect(buildTokenCreateRequest({ name: 'tenant', cap: ['events:read'], prefix: 'agent:ops:tenant-a' }, undefined)).toMatchObject({
      prefix: 'agent:ops:tenant-a',
    });
  });

  it('refuses no scope, two scopes, no capability, no name and lifetimes out of range', () => {
    expect(() => buildTokenCreateRequest({ name: 'x', cap: ['sessions:read'] }, undefined)).toThrow(/exactly one scope/);
    expect(() => buildTokenCreateRequest({ name: 'x', cap: ['sessions:read'], agent: 'ops', prefix: 'agent:ops:a' }, undefined)).toThrow(
      /exactly one scope/,
    );
    expect(() => buildTokenCreateRequest({ name: 'x', agent: 'ops' }, undefined)).toThrow(/at least one --cap/);
    expect(() => buildTokenCreateRequest({ cap: ['sessions:read'], agent: 'ops' }, undefined)).toThrow(/Missing --name/);
    expect(() => buildTokenCreateRequest({ name: 'x', cap: ['sessions:read'], agent: 'ops', expiresIn: '30s' }, undefined)).toThrow(
      /between 1m and 365d/,
    );
    expect(() => buildTokenCreateRequest({ name: 'x', cap: ['sessions:read'], agent: 'ops', expiresIn: '366d' }, undefined)).toThrow(
      /between 1m and 365d/,
    );
  });
});

describe('describeTokenScope', () => {
  it('names each scope kind', () => {
    expect(describeTokenScope({ kind: 'agent', agentId: 'ops' })).toBe('agent ops');
    expect(describeTokenScope({ kind: 'session', sessionKey: 'agent:ops:dm-1' })).toBe('session agent:ops:dm-1');
    expect(describeTokenScope({ kind: 'prefix', prefix: 'agent:ops:t' })).toBe('prefix agent:ops:t');
    expect(describeTokenScope(undefined)).toBe('-');
  });
});
