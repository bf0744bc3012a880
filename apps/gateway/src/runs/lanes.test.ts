import { describe, expect, it } from 'vitest';
import { createLanes } from './lanes.js';

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

describe('createLanes', () => {
  it('runs one task at a time per key, in order', async () => {
    const lanes = createLanes({ maxConcurrent: 4 });
    const order: string[] = [];
    const gate = deferred();
    const a = lanes.run('k', async () => {
      order.push('a-start');
      await gate.promise;
      order.push('a-end');
    });
    const b = lanes.run('k', async () => void order.push('b'));
    await Promise.resolve();
    expect(lanes.isBusy('k')).toBe(true);
    gate.resolve();
    await Promise.all([a, b]);
    expect(order).toEqual(['a-start', 'a-end', 'b']);
    expect(lanes.isBusy('k')).toBe(false);
  });

  it('caps concurrency across keys and keeps going after a failure', async () => {
    const lanes = createLanes({ maxConcurrent: 1 });
    let running = 0;
    let peak = 0;
    const task = async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setImmediate(r));
      running--;
    };
    const failing = lanes.run('x', async () => {
      throw new Error('boom');
    });
    await expect(failing).rejects.toThrow('boom');
    await Promise.all([lanes.run('a', task), lanes.run('b', task), lanes.run('c', task)]);
    expect(peak).toBe(1);
    await lanes.idle();
    expect(lanes.pending()).toBe(0);
  });
});
