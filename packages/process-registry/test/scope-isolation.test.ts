import { describe, expect, it } from 'vitest';
import { ProcessRegistryError } from '../src/index.js';
import { errorOf, makeRegistry, nextExit, pollUntil, rejectionOf } from './helpers.js';

function shape(error: unknown): Record<string, unknown> {
  expect(ProcessRegistryError.isInstance(error)).toBe(true);
  const e = error as ProcessRegistryError;
  return { name: e.name, code: e.code, message: e.message, field: e.field, keys: Object.keys(e).sort() };
}

describe('scope isolation', () => {
  it("answers every action on another scope's session exactly like a missing one and leaves it untouched", async () => {
    const registry = makeRegistry();
    const empty = makeRegistry(); // never spawns; disposed in afterEach like every registry here
    const A = 'agent:ops:dm-alice';
    const B = 'agent:ops:group-42';
    const live = await registry.exec({ command: 'cat', scopeKey: A, background: true, stdin: 'pipe' });
    const done = await registry.exec({ command: 'echo finished', scopeKey: A, background: true });
    await nextExit(registry, done.id);

    expect(registry.list({ scopeKey: B })).toEqual([]);
    expect(
      registry
        .list({ scopeKey: A })
        .map((s) => s.id)
        .sort(),
    ).toEqual([live.id, done.id].sort());

    for (const id of [live.id, done.id]) {
      const missing = async (fn: (reg: typeof registry) => unknown): Promise<unknown> => {
        try {
          return await fn(empty);
        } catch (error) {
          return error;
        }
      };
      const cases: Array<[string, (reg: typeof registry) => unknown]> = [
        ['poll', (reg) => reg.poll({ scopeKey: B, id })],
        ['log', (reg) => reg.log({ scopeKey: B, id })],
        ['write', (reg) => reg.write({ scopeKey: B, id, data: 'x\n' })],
        ['sendKeys', (reg) => reg.sendKeys({ scopeKey: B, id, keys: ['C-c'] })],
        ['paste', (reg) => reg.paste({ scopeKey: B, id, text: 'x' })],
        ['submit', (reg) => reg.submit({ scopeKey: B, id })],
        ['kill', (reg) => reg.kill({ scopeKey: B, id })],
        ['clear', (reg) => reg.clear({ scopeKey: B, id })],
        ['remove', (reg) => reg.remove({ scopeKey: B, id })],
      ];
      for (const [name, call] of cases) {
        const crossScope = await missing(() => call(registry));
        const absent = await missing(call);
        expect(shape(crossScope), `${name} ${id}`).toEqual(shape(absent));
        expect((crossScope as ProcessRegistryError).code).toBe('PROCESS_NOT_FOUND');
      }
    }

    // A's processes are untouched: still running, still readable, stdin still works — and none of
    // B's write/sendKeys/paste/submit bytes reached A's stdin (cat would have echoed them).
    expect(registry.snapshot().running.map((s) => s.id)).toEqual([live.id]);
    registry.write({ scopeKey: A, id: live.id, data: 'still here\n' });
    expect(await pollUntil(registry, A, live.id, (o) => o.includes('still here'))).toBe('still here\n');
    expect(registry.log({ scopeKey: A, id: done.id }).output).toBe('finished');
    expect(
      registry
        .list({ scopeKey: A })
        .map((s) => [s.id, s.status])
        .sort(),
    ).toEqual(
      [
        [live.id, 'running'],
        [done.id, 'completed'],
      ].sort(),
    );
  });

  it('keeps ids unique across scopes so one scope cannot shadow another', async () => {
    const registry = makeRegistry({ idGenerator: () => 'amber-atlas' });
    const a = await registry.exec({ command: 'sleep 30', scopeKey: 'a', background: true });
    const b = await registry.exec({ command: 'sleep 30', scopeKey: 'b', background: true });
    expect(a.id).toBe('amber-atlas');
    expect(b.id).toMatch(/^amber-atlas-[0-9a-z]{8}$/);
    expect(await rejectionOf(registry.kill({ scopeKey: 'b', id: a.id }))).toMatchObject({ code: 'PROCESS_NOT_FOUND' });
    expect(registry.list({ scopeKey: 'a' }).map((s) => s.status)).toEqual(['running']);
  });

  it('rejects a blank scope key', async () => {
    const registry = makeRegistry();
    expect(await rejectionOf(registry.exec({ command: 'true', scopeKey: '   ' }))).toMatchObject({
      code: 'INVALID_INPUT',
      field: 'scopeKey',
    });
    expect(errorOf(() => registry.list({ scopeKey: '' }))).toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('hides a foreground exec from list until it yields', async () => {
    const registry = makeRegistry();
    const pending = registry.exec({ command: 'sleep 0.3; echo out', scopeKey: 'a', yieldMs: 5_000 });
    await new Promise((r) => setTimeout(r, 50));
    expect(registry.list({ scopeKey: 'a' })).toEqual([]);
    expect(registry.snapshot().running).toHaveLength(1);
    const result = await pending;
    expect(result).toMatchObject({ status: 'completed', exitCode: 0, output: 'out\n' });
    expect(registry.list({ scopeKey: 'a' })).toEqual([]);
  });
});
