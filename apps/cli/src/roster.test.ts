import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_ROSTER, loadRoster, rosterFromConfig } from './roster.js';

describe('rosterFromConfig', () => {
  it('is [main] with no agents', () => {
    expect(rosterFromConfig({})).toEqual(DEFAULT_ROSTER);
    expect(rosterFromConfig({ agents: [] })).toEqual(DEFAULT_ROSTER);
    expect(rosterFromConfig(undefined)).toEqual(DEFAULT_ROSTER);
  });

  it('reads agent ids and defaultAgent (else the first agent)', () => {
    expect(rosterFromConfig({ agents: [{ id: 'main' }, { id: 'Ops' }], defaultAgent: 'ops' })).toEqual({
      knownAgentIds: ['main', 'ops'],
      defaultAgentId: 'ops',
    });
    expect(rosterFromConfig({ agents: [{ id: 'ops' }] })).toEqual({ knownAgentIds: ['ops'], defaultAgentId: 'ops' });
  });
});

describe('loadRoster', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pincer-cli-roster-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is the default roster when there is no config file', async () => {
    expect(await loadRoster(undefined)).toEqual(DEFAULT_ROSTER);
  });

  it('reads agents and defaultAgent from the file', async () => {
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ agents: [{ id: 'Main' }, { id: 'ops', model: 'scripted' }], defaultAgent: 'OPS', other: 1 }));
    expect(await loadRoster(file)).toEqual({ knownAgentIds: ['main', 'ops'], defaultAgentId: 'ops' });
  });

  it('fails with VALIDATION naming the path for unreadable or malformed files', async () => {
    const file = join(dir, 'c.json');
    writeFileSync(file, '{ nope');
    await expect(loadRoster(file)).rejects.toMatchObject({
      code: 'VALIDATION',
      message: expect.stringContaining(`Cannot read config ${file}`),
    });
    writeFileSync(file, JSON.stringify({ agents: [{ name: 'x' }] }));
    await expect(loadRoster(file)).rejects.toMatchObject({ code: 'VALIDATION', field: 'agents[0].id' });
    await expect(loadRoster(join(dir, 'missing.json'))).rejects.toMatchObject({ message: expect.stringContaining('ENOENT') });
    // A parse error that quotes a multi-line file stays one line.
    writeFileSync(file, 'not json\nat all\n');
    const error = (await loadRoster(file).then(
      () => new Error('expected a rejection'),
      (e: unknown) => e,
    )) as Error;
    expect(error.message).toMatch(new RegExp(`^Cannot read config ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
    expect(error.message).not.toContain('\n');
  });
});
