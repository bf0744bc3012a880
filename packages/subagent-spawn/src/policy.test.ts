import { describe, expect, it } from 'vitest';
import {
  ANNOUNCE_RETRY_MAX_MS,
  announceRetryDelayMs,
  CHILD_ALWAYS_DENIED_TOOLS,
  CHILD_LEAF_DENIED_TOOLS,
  childToolPolicy,
  SpawnPolicySchema,
} from './policy.js';

describe('childToolPolicy', () => {
  it('denies messaging, cron and gateway control at every depth', () => {
    for (const depth of [1, 2, 5]) {
      expect(childToolPolicy(depth).deny).toEqual(expect.arrayContaining(['message', 'sessions_send', 'cron', 'gateway']));
    }
  });

  it('keeps spawning and session listing below the depth limit', () => {
    const policy = childToolPolicy(1);
    expect(policy).toMatchObject({ depth: 1, maxSpawnDepth: 2, isLeaf: false });
    expect(policy.deny).toEqual([...CHILD_ALWAYS_DENIED_TOOLS]);
    expect(policy.deny).not.toContain('sessions_spawn');
  });

  it('removes spawning and session listing at the depth limit', () => {
    const policy = childToolPolicy(2);
    expect(policy.isLeaf).toBe(true);
    expect(policy.deny).toEqual([...CHILD_ALWAYS_DENIED_TOOLS, ...CHILD_LEAF_DENIED_TOOLS]);
    expect(childToolPolicy(3, { maxSpawnDepth: 5 }).isLeaf).toBe(false);
    expect(childToolPolicy(5, { maxSpawnDepth: 5 }).isLeaf).toBe(true);
  });

  it('fails closed on odd input (treats it as a leaf or as depth 1)', () => {
    expect(childToolPolicy(Number.NaN).isLeaf).toBe(true);
    expect(childToolPolicy(0).depth).toBe(1);
    expect(childToolPolicy(1, { maxSpawnDepth: Number.NaN }).maxSpawnDepth).toBe(2);
  });

  it('returns frozen data', () => {
    const policy = childToolPolicy(1);
    expect(Object.isFrozen(policy)).toBe(true);
    expect(Object.isFrozen(policy.deny)).toBe(true);
  });
});

describe('announceRetryDelayMs', () => {
  it('starts at 15 s and doubles up to 5 min', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 50].map(announceRetryDelayMs)).toEqual([
      15_000,
      30_000,
      60_000,
      120_000,
      240_000,
      300_000,
      300_000,
      ANNOUNCE_RETRY_MAX_MS,
    ]);
  });
});

describe('SpawnPolicySchema', () => {
  it('fills the defaults', () => {
    expect(SpawnPolicySchema.parse({ agents: ['ops'] })).toEqual({
      agents: ['ops'],
      maxSpawnDepth: 2,
      maxChildrenPerSession: 5,
      maxConcurrentRuns: 8,
      defaultRunTimeoutSeconds: 0,
      childSessionReuse: 'requester',
      announceTimeoutMs: 120_000,
    });
  });

  it('rejects unknown keys and out-of-range caps', () => {
    expect(SpawnPolicySchema.safeParse({ agents: ['ops'], maxChildren: 3 }).success).toBe(false);
    expect(SpawnPolicySchema.safeParse({ agents: ['ops'], maxConcurrentRuns: 0 }).success).toBe(false);
    expect(SpawnPolicySchema.safeParse({ agents: [] }).success).toBe(false);
  });
});
