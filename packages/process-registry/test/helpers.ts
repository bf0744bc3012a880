import { afterEach } from 'vitest';
import { type ProcessRegistry, type ProcessRegistryOptions, createProcessRegistry, type ExitEvent } from '../src/index.js';

const open = new Set<ProcessRegistry>();

/** A registry disposed automatically after each test; short grace so the suite stays fast. */
export function makeRegistry(options: ProcessRegistryOptions = {}): ProcessRegistry {
  const registry = createProcessRegistry({ killGraceMs: 200, exitDrainMs: 100, ...options });
  open.add(registry);
  return registry;
}

afterEach(async () => {
  const all = [...open];
  open.clear();
  await Promise.all(all.map((r) => r.dispose()));
});

/** Resolves with the exit event of `id`. */
export function nextExit(registry: ProcessRegistry, id?: string): Promise<ExitEvent> {
  return new Promise((resolve) => {
    const off = registry.on('exit', (event) => {
      if (id === undefined || event.id === id) {
        off();
        resolve(event);
      }
    });
  });
}

/** Collects every exit event. */
export function collectExits(registry: ProcessRegistry): ExitEvent[] {
  const events: ExitEvent[] = [];
  registry.on('exit', (e) => events.push(e));
  return events;
}

/** Polls until `predicate(output so far)` holds (bounded); returns the accumulated output. */
export async function pollUntil(
  registry: ProcessRegistry,
  scopeKey: string,
  id: string,
  predicate: (output: string) => boolean,
  rounds = 50,
): Promise<string> {
  let output = '';
  for (let i = 0; i < rounds; i++) {
    const result = await registry.poll({ scopeKey, id, waitMs: 200 });
    output += result.output;
    if (predicate(output) || result.status !== 'running') return output;
  }
  return output;
}

export function errorOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}
