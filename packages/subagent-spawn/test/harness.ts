// Test-only helpers shared by the unit and integration tests (never built or published).
import { afterEach, beforeEach, vi } from 'vitest';
import { createInMemoryRunStore, type InMemoryRunStore } from '../src/memory-run-store.js';
import type { SpawnPolicyInput } from '../src/policy.js';
import type { AnnounceInput, LaunchOutcome, LaunchRequest, SpawnResult } from '../src/spawn-types.js';
import { createSubagentSpawner, type SubagentSpawner } from '../src/spawner.js';

export interface PendingLaunch {
  request: LaunchRequest;
  resolve(outcome: LaunchOutcome): void;
  reject(error: unknown): void;
}

export interface Harness {
  spawner: SubagentSpawner;
  runs: InMemoryRunStore;
  launches: PendingLaunch[];
  launch: ReturnType<typeof vi.fn>;
  announce: ReturnType<typeof vi.fn>;
  /** Inputs of announce() calls that resolved (successful deliveries). */
  delivered: AnnounceInput[];
  /** Make the next `n` announce() calls reject. */
  failNextAnnounces(n: number): void;
  /** Make every announce() call reject. */
  failAllAnnounces(): void;
}

export const AGENTS = ['main', 'ops', 'research'];
export const OPS_MAIN = { agentId: 'ops', sessionKey: 'agent:ops:main' } as const;

/** Let promise chains settle (fake timers do not fake microtasks). Bounded. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 50; i += 1) await Promise.resolve();
}

export function createHarness(options: { policy?: Partial<SpawnPolicyInput>; runs?: InMemoryRunStore; idPrefix?: string } = {}): Harness {
  const runs = options.runs ?? createInMemoryRunStore();
  const launches: PendingLaunch[] = [];
  const delivered: AnnounceInput[] = [];
  let failuresLeft = 0;
  let failAll = false;
  let counter = 0;
  const launch = vi.fn(
    (request: LaunchRequest) =>
      new Promise<LaunchOutcome>((resolve, reject) => {
        launches.push({ request, resolve, reject });
      }),
  );
  const announce = vi.fn(async (input: AnnounceInput) => {
    if (failAll || failuresLeft > 0) {
      failuresLeft = Math.max(0, failuresLeft - 1);
      throw new Error('requester session unavailable');
    }
    delivered.push(input);
  });
  const spawner = createSubagentSpawner({
    policy: { agents: AGENTS, ...options.policy },
    runs,
    launch,
    announce,
    newId: () => `${options.idPrefix ?? 'id'}-${++counter}`,
  });
  return {
    spawner,
    runs,
    launches,
    launch,
    announce,
    delivered,
    failNextAnnounces(n) {
      failuresLeft = n;
    },
    failAllAnnounces() {
      failAll = true;
    },
  };
}

/**
 * Registers, for the calling test file, fake timers at 2026-01-01T00:00:00Z before each test and
 * the disposal of every harness it made after each test. Returns the harness factory to use.
 */
export function useFakeClockHarnesses(): (...args: Parameters<typeof createHarness>) => Harness {
  let harnesses: Harness[] = [];
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'));
  });
  afterEach(() => {
    for (const h of harnesses) h.spawner.dispose();
    harnesses = [];
    vi.useRealTimers();
  });
  return (...args) => {
    const h = createHarness(...args);
    harnesses.push(h);
    return h;
  };
}

/** Narrows a spawn result to `accepted`, failing the test with the result otherwise. */
export function expectAccepted(result: SpawnResult): { childSessionKey: string; runId: string } {
  if (result.status !== 'accepted') throw new Error(`expected accepted, got ${JSON.stringify(result)}`);
  return result;
}
