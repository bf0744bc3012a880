import fc from 'fast-check';
import { parseAgentSessionKey } from '@pincer/session-key';
import { describe, expect, it } from 'vitest';
import { createInMemoryRunStore } from './memory-run-store.js';
import { createSubagentSpawner } from './spawner.js';
import type { SpawnRequest } from './spawn-types.js';

const keyish = fc.oneof(
  fc.string(),
  fc.constantFrom('agent:ops:main', 'AGENT:Research:SubAgent:W', 'agent:main:subagent:x', 'worker', 'agent:ops'),
  fc
    .tuple(fc.constantFrom('agent:', 'Agent:', ''), fc.constantFrom('ops', 'OPS', 'research', 'main', 'x y', ''), fc.string())
    .map(([a, b, c]) => `${a}${b}:${c}`),
);

describe('spawn (property)', () => {
  it('never rejects, answers one of three shapes, and writes only when accepted — into an allowed agent', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          requesterAgent: fc.constantFrom('ops', 'Ops', 'research', 'ghost', '', ' '),
          requesterKey: keyish,
          agentId: fc.option(fc.oneof(fc.string(), fc.constantFrom('ops', 'Research', 'main', '*')), { nil: undefined }),
          sessionKey: fc.option(keyish, { nil: undefined }),
          task: fc.oneof(fc.string(), fc.constant('do it')),
          runTimeoutSeconds: fc.option(fc.oneof(fc.integer(), fc.double()), { nil: undefined }),
        }),
        async (input) => {
          const runs = createInMemoryRunStore();
          const spawner = createSubagentSpawner({
            policy: { agents: ['ops', 'research', 'main'], allowAgents: ['research'] },
            runs,
            launch: () => new Promise(() => {}),
            announce: async () => {},
          });
          try {
            const request = {
              requester: { agentId: input.requesterAgent, sessionKey: input.requesterKey },
              task: input.task,
              agentId: input.agentId,
              sessionKey: input.sessionKey,
              runTimeoutSeconds: input.runTimeoutSeconds,
            } as SpawnRequest;
            const result = await spawner.spawn(request);
            expect(['accepted', 'forbidden', 'error']).toContain(result.status);
            if (result.status !== 'accepted') {
              expect(runs.size).toBe(0);
              expect(typeof result.error).toBe('string');
              return;
            }
            expect(runs.size).toBe(1);
            const child = parseAgentSessionKey(result.childSessionKey);
            const requester = parseAgentSessionKey(input.requesterKey);
            expect(child?.rest.startsWith('subagent:')).toBe(true);
            expect([requester?.agentId, 'research']).toContain(child?.agentId);
            expect(result.childSessionKey).not.toBe(`agent:${requester?.agentId}:${requester?.rest}`);
          } finally {
            spawner.dispose();
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});
