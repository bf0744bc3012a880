import { describe, expect, it } from 'vitest';
import { createLogFollower, processesFrom, toLogChunk, toProcessRow } from './processes.js';

describe('createLogFollower', () => {
  it('prints only what is new, re-reading the last (possibly partial) line', () => {
    const follower = createLogFollower(0);
    expect(follower.push('one\ntw')).toBe('one\ntw');
    expect(follower.offset).toBe(1);
    expect(follower.push('tw')).toBe('');
    expect(follower.push('two\nthree')).toBe('o\nthree');
    expect(follower.offset).toBe(2);
    expect(follower.push('')).toBe('');
    expect(follower.finish()).toBe('\n');
  });

  it('starts at a given line and prints nothing for an empty log', () => {
    const follower = createLogFollower(5);
    expect(follower.push('')).toBe('');
    expect(follower.offset).toBe(5);
    expect(follower.finish()).toBe('');
  });

  it('starts a fresh line when the retained output no longer matches', () => {
    const follower = createLogFollower(0);
    follower.push('abc');
    expect(follower.push('xyz')).toBe('\nxyz');
  });
});

describe('process answers', () => {
  it('reads the gateway process list and log shapes', () => {
    const view = {
      id: 'p1',
      pid: 12,
      scopeKey: 'agent:main:main',
      sessionKey: 'agent:main:main',
      command: 'sleep 5',
      cwd: '/',
      startedAt: 1,
      status: 'running',
      exitCode: null,
      signal: null,
      tail: '',
      truncated: false,
      source: 'registry',
    };
    const list = processesFrom({ count: 1, processes: [view] });
    expect(list.map(toProcessRow)[0]).toMatchObject({
      id: 'p1',
      status: 'running',
      pid: '12',
      sessionKey: 'agent:main:main',
      command: 'sleep 5',
    });
    // A shape the gateway does not send is a GATEWAY_ERROR naming the call, not a silent empty list.
    expect(() => processesFrom({ running: [{ id: 'a' }], finished: [{ id: 'b' }] })).toThrow(/GET \/v1\/processes/);
    expect(toLogChunk({ id: 'p1', status: 'completed', output: 'hi', source: 'registry' })).toEqual({
      id: 'p1',
      status: 'completed',
      output: 'hi',
    });
  });
});

describe('kill wait and log tails', () => {
  it('waits as long as the kill ceremony can take: grace + two confirms + margin', async () => {
    const { killWaitMs, lastLines } = await import('./processes.js');
    expect(killWaitMs()).toBe(23_000);
    expect(killWaitMs(60_000)).toBe(80_000);
    expect(killWaitMs(0)).toBe(20_000);
    expect(lastLines('a\nb\nc\n', 2)).toBe('b\nc');
    expect(lastLines('a\nb\nc', 5)).toBe('a\nb\nc');
  });
});
