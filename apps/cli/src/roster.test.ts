import { describe, expect, it } from 'vitest';
import { DEFAULT_ROSTER, loadRoster, rosterFromConfig } from './roster.js';

describe('rosterFromConfig', () => {
  it('is [main] with no agents', () => {
    expect(rosterFromConfig({})).toEqual(DEFAULT_ROSTER);
    expect(rosterFromConfig({ agents: [] })).toEqual(DEFAULT_ROSTER);
    expect(rosterFromConfig(undefined)).toEqual(DEFAULT_ROSTER);
  });

  it('reads agent ids and defaultAgent (else the first agent)', () => {
    expect(rosterFromConfig({ agents: [{ id: 'main' }, { id: 'Ops' }], defaultAgent: 'ops' })).toEqual({ knownAgentIds: ['main', 'ops'], defaultAgentId: 'ops' });
    expect(rosterFromConfig({ agents: [{ id: 'ops' }] })).toEqual({ knownAgentIds: ['ops'], defaultAgentId: 'ops' });
  });
});

describe('loadRoster', () => {
  it('does not load the gateway when there is no config file', async () => {
    let loads = 0;
    const roster = await loadRoster(undefined, async () => {
      loads += 1;
      throw new Error('not expected');
    });
    expect(roster).toEqual(DEFAULT_ROSTER);
    expect(loads).toBe(0);
  });

  it('turns a config error into a VALIDATION error that keeps the path', async () => {
    const failing = {
      startGateway: () => Promise.reject(new Error('x')),
      createGatewayRuntime: () => Promise.reject(new Error('x')),
      loadConfig: () => {
        throw Object.assign(new Error('Invalid config in /c.json at agents[0].id: bad'), { field: 'agents[0].id' });
      },
    };
    await expect(loadRoster('/c.json', async () => failing)).rejects.toMatchObject({
      code: 'VALIDATION',
      message: 'Invalid config in /c.json at agents[0].id: bad',
      field: 'agents[0].id',
    });
  });
});
