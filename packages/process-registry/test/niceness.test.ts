import { describe, expect, it } from 'vitest';
import { createBwrapSandbox } from '../src/index.js';
import { makeRegistry } from './helpers.js';
import { describeWithBwrap, makeSandboxDirs } from './sandbox-helpers.js';

/** The niceness (field 19 of /proc/<pid>/stat) of the shell and of a process it forks. */
const NICENESS = "awk '{print $19}' /proc/$$/stat; (awk '{print $19}' /proc/self/stat)";

async function nicenessOf(registry: ReturnType<typeof makeRegistry>): Promise<string[]> {
  const result = await registry.exec({ command: NICENESS, scopeKey: 'agent:a:main' });
  if (result.status === 'running') throw new Error('expected completion');
  return result.output.trim().split('\n');
}

describe('shellNiceness', () => {
  it('runs every shell, and what it forks, at niceness 10 by default', async () => {
    expect(await nicenessOf(makeRegistry())).toEqual(['10', '10']);
  });

  it('takes the configured niceness, and 0 leaves shells at the registry priority', async () => {
    expect(await nicenessOf(makeRegistry({ shellNiceness: 15 }))).toEqual(['15', '15']);
    expect(await nicenessOf(makeRegistry({ shellNiceness: 0 }))).toEqual(['0', '0']);
  });

  it('is refused out of range', () => {
    expect(() => makeRegistry({ shellNiceness: 20 })).toThrow();
  });
});

describeWithBwrap('shellNiceness in the sandbox', () => {
  it('covers the sandboxed shell and its children too', async () => {
    const dirs = makeSandboxDirs();
    const registry = makeRegistry({ sandbox: createBwrapSandbox({ workspaceRoot: dirs.workspaceRoot }) });
    expect(await nicenessOf(registry)).toEqual(['10', '10']);
  });
});
