import { afterEach, describe, expect, it } from 'vitest';
import { createFakeRegistry } from '../test/fixtures/fake-registry.js';
import { killBashSession, loadBashSessions } from './bash-sessions.js';
import { PluginSdkError } from './errors.js';
import { bindPluginHost } from './host.js';

const unbinds: Array<() => void> = [];
afterEach(() => {
  for (const unbind of unbinds.splice(0).reverse()) unbind();
});
function bind(registry = createFakeRegistry()) {
  unbinds.push(bindPluginHost({ registry }));
  return registry;
}

describe('NO_HOST', () => {
  it('loadBashSessions throws PluginSdkError NO_HOST when no host is bound', () => {
    let caught: unknown;
    try {
      loadBashSessions();
    } catch (error) {
      caught = error;
    }
    expect(PluginSdkError.isInstance(caught)).toBe(true);
    expect((caught as PluginSdkError).code).toBe('NO_HOST');
    expect((caught as PluginSdkError).message).toMatch(/running gateway/);
  });

  it('killBashSession rejects with NO_HOST when no host is bound', async () => {
    await expect(killBashSession('abc')).rejects.toMatchObject({ name: 'PluginSdkError', code: 'NO_HOST' });
  });

  it('answers NO_HOST again once the only binding is removed', () => {
    const registry = createFakeRegistry();
    const unbind = bindPluginHost({ registry });
    expect(loadBashSessions().running).toEqual([]);
    unbind();
    unbind(); // idempotent
    expect(() => loadBashSessions()).toThrow(expect.objectContaining({ code: 'NO_HOST' }));
  });
});

describe('bindPluginHost', () => {
  it('rejects something that is not a registry', () => {
    expect(() => bindPluginHost({ registry: {} as never })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', field: 'registry' }));
  });

  it('stacks bindings: the latest answers and unbinding restores the previous one', () => {
    const first = bind();
    first.add({ id: 'first' });
    const second = createFakeRegistry();
    second.add({ id: 'second' });
    const unbindSecond = bindPluginHost({ registry: second });
    expect(loadBashSessions().running.map((s) => s.id)).toEqual(['second']);
    unbindSecond();
    expect(loadBashSessions().running.map((s) => s.id)).toEqual(['first']);
  });

  it('unbinding an older binding leaves the newer one answering', () => {
    const older = createFakeRegistry();
    older.add({ id: 'older' });
    const unbindOlder = bindPluginHost({ registry: older });
    const newer = bind();
    newer.add({ id: 'newer' });
    unbindOlder();
    expect(loadBashSessions().running.map((s) => s.id)).toEqual(['newer']);
  });

  it('keeps the slot out of reach: non-enumerable, non-writable, only bind/current', () => {
    bind();
    const key = Symbol.for('@pincer/plugin-sdk/host-slot@1');
    const descriptor = Object.getOwnPropertyDescriptor(globalThis, key);
    expect(descriptor).toMatchObject({ writable: false, configurable: false, enumerable: false });
    expect(Object.keys(descriptor?.value as object).sort()).toEqual(['bind', 'current']);
    expect(Object.isFrozen(descriptor?.value)).toBe(true);
  });
});

describe('loadBashSessions', () => {
  it('returns deep-frozen copies whose mutation throws and never reaches the registry', () => {
    const registry = bind();
    registry.add({ id: 'a', command: 'sleep 30', tail: 'hello' });
    const sessions = loadBashSessions();
    const [first] = sessions.running;
    expect(Object.isFrozen(sessions)).toBe(true);
    expect(Object.isFrozen(sessions.running)).toBe(true);
    expect(Object.isFrozen(first)).toBe(true);
    expect(() => {
      (first as { command: string }).command = 'rm -rf /';
    }).toThrow(TypeError);
    expect(() => (sessions.running as unknown[]).push({})).toThrow(TypeError);
    expect(registry.snapshot().running[0]?.command).toBe('sleep 30');
    expect(loadBashSessions().running[0]?.command).toBe('sleep 30');
  });

  it('copies exactly the DTO fields: internal handles never cross over', () => {
    const registry = bind();
    registry.add({ id: 'a' });
    const [session] = loadBashSessions().running;
    expect(Object.keys(session ?? {})).toEqual([
      'id',
      'pid',
      'scopeKey',
      'sessionKey',
      'command',
      'cwd',
      'startedAt',
      'endedAt',
      'status',
      'exitCode',
      'signal',
      'tail',
      'truncated',
      'sandbox',
    ]);
    expect(session).not.toHaveProperty('child');
    expect(session).not.toHaveProperty('stdin');
    const { sandbox, ...scalars } = session ?? ({} as Record<string, unknown>);
    for (const value of Object.values(scalars)) expect(typeof value === 'object' && value !== null).toBe(false);
    expect(session).not.toBe(registry.snapshot().running[0]);
    expect(sandbox).not.toBe(registry.snapshot().running[0]?.sandbox);
  });

  it('copies the sandbox status field by field: extra registry fields are stripped, the copy is frozen', () => {
    const registry = bind();
    const internal = { isSandboxed: true, backend: 'bwrap' as const, reason: undefined, namespacePid: 77, bwrapArgs: ['--unshare-pid'] };
    registry.add({ id: 'a', sandbox: internal });
    const [session] = loadBashSessions().running;
    expect(session?.sandbox).toEqual({ isSandboxed: true, backend: 'bwrap', reason: undefined });
    expect(Object.keys(session?.sandbox ?? {})).toEqual(['isSandboxed', 'backend', 'reason']);
    expect(Object.isFrozen(session?.sandbox)).toBe(true);
    expect(() => {
      (session?.sandbox as { isSandboxed: boolean }).isSandboxed = false;
    }).toThrow(TypeError);
    expect(internal.isSandboxed).toBe(true);
  });

  it('fails with INVALID_SNAPSHOT when the sandbox status is missing or malformed', () => {
    const registry = bind();
    registry.add({ id: 'a', sandbox: { isSandboxed: 'yes', backend: 'docker', reason: 1 } as never });
    expect(() => loadBashSessions()).toThrow(
      expect.objectContaining({ code: 'INVALID_SNAPSHOT', message: expect.stringContaining('sandbox') }),
    );
    registry.finish('a');
    registry.add({ id: 'b', sandbox: undefined as never });
    expect(() => loadBashSessions()).toThrow(expect.objectContaining({ code: 'INVALID_SNAPSHOT' }));
  });

  it('splits running and finished shells', () => {
    const registry = bind();
    registry.add({ id: 'a' });
    registry.add({ id: 'b' });
    registry.finish('b');
    const sessions = loadBashSessions();
    expect(sessions.running.map((s) => s.id)).toEqual(['a']);
    expect(sessions.finished).toEqual([expect.objectContaining({ id: 'b', status: 'completed', endedAt: 1_010, exitCode: 0 })]);
  });

  it('fails with INVALID_SNAPSHOT when the registry breaks the DTO contract', () => {
    const registry = createFakeRegistry();
    unbinds.push(
      bindPluginHost({
        registry: { ...registry, snapshot: () => ({ running: [{ id: 'x' } as never], finished: [] }) },
      }),
    );
    expect(() => loadBashSessions()).toThrow(expect.objectContaining({ code: 'INVALID_SNAPSHOT' }));
  });
});

describe('killBashSession', () => {
  it('goes through registry.killById and returns a frozen result', async () => {
    const registry = bind();
    registry.add({ id: 'a' });
    const result = await killBashSession('a');
    expect(result).toEqual({ status: 'killed', signal: 'SIGTERM' });
    expect(Object.isFrozen(result)).toBe(true);
    expect(registry.killCalls).toEqual(['a']);
    expect(await killBashSession('a')).toEqual({ status: 'already-exited' });
  });

  it('answers not-found for unknown ids, without a signal field', async () => {
    bind();
    const result = await killBashSession('nope');
    expect(result).toEqual({ status: 'not-found' });
    expect(Object.keys(result)).toEqual(['status']);
  });

  it('maps a registry that throws PROCESS_NOT_FOUND to the same not-found answer', async () => {
    const registry = createFakeRegistry();
    const error = Object.assign(new Error('no such process'), { code: 'PROCESS_NOT_FOUND' });
    unbinds.push(bindPluginHost({ registry: { ...registry, killById: () => Promise.reject(error) } }));
    expect(await killBashSession('x')).toEqual({ status: 'not-found' });
  });

  it('wraps other registry failures as KILL_FAILED with the cause', async () => {
    const registry = createFakeRegistry();
    const boom = new Error('boom');
    unbinds.push(bindPluginHost({ registry: { ...registry, killById: () => Promise.reject(boom) } }));
    await expect(killBashSession('x')).rejects.toMatchObject({ code: 'KILL_FAILED', cause: boom });
  });

  it.each([[''], ['   '], ['x'.repeat(257)], [42], [undefined]])('rejects malformed id %j with INVALID_INPUT', async (id) => {
    const registry = bind();
    await expect(killBashSession(id as string)).rejects.toMatchObject({ code: 'INVALID_INPUT', field: 'id' });
    expect(registry.killCalls).toEqual([]);
  });
});
