// Integration: the built package, loaded by real Node processes through its exports map.
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');

async function node(source: string): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--input-type=module', '-e', source], {
      cwd: packageDir,
      timeout: 20_000,
    });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; code?: number };
    return { stdout: e.stdout ?? '', stderr: e.stderr ?? '', code: typeof e.code === 'number' ? e.code : 1 };
  }
}

describe('built package (run `pnpm --filter @pincer/subagent-spawn build` first)', () => {
  it('spawns, runs and announces exactly once through the public entry point', async () => {
    const result = await node(`
      import { createSubagentSpawner, createInMemoryRunStore } from '@pincer/subagent-spawn';
      const announced = [];
      const runs = createInMemoryRunStore();
      const spawner = createSubagentSpawner({
        policy: { agents: ['ops', 'research'], allowAgents: ['research'] },
        runs,
        launch: async (req) => ({ status: 'ok', result: 'done in ' + req.childSessionKey }),
        announce: async (input) => { announced.push(input); },
      });
      const accepted = await spawner.spawn({
        requester: { agentId: 'ops', sessionKey: 'agent:ops:main' },
        task: 'look it up', agentId: 'Research', sessionKey: 'AGENT:Research:SubAgent:Librarian',
      });
      const refused = await spawner.spawn({
        requester: { agentId: 'ops', sessionKey: 'agent:ops:main' },
        task: 'sneak in', sessionKey: 'agent:research:subagent:librarian',
      });
      for (let i = 0; i < 20 && announced.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
      spawner.dispose();
      console.log(JSON.stringify({ accepted, refused, announced, runs: runs.list() }));
    `);
    expect(result.stderr).toBe('');
    const out = JSON.parse(result.stdout) as {
      accepted: { status: string; childSessionKey: string; runId: string };
      refused: { status: string; code: string };
      announced: Array<{ runId: string; status: string; result: string }>;
      runs: Array<{ announcement: { state: string } }>;
    };
    expect(out.accepted).toMatchObject({ status: 'accepted', childSessionKey: 'agent:research:subagent:librarian' });
    expect(out.refused).toMatchObject({ status: 'forbidden', code: 'CROSS_AGENT_SESSION_KEY' });
    expect(out.announced).toEqual([
      expect.objectContaining({
        runId: out.accepted.runId,
        status: 'ok',
        result: 'done in agent:research:subagent:librarian',
      }),
    ]);
    expect(out.runs.map((r) => r.announcement.state)).toEqual(['delivered']);
  });

  it('refuses deep imports of private files', async () => {
    for (const specifier of ['@pincer/subagent-spawn/dist/index.js', '@pincer/subagent-spawn/src/index.ts']) {
      const result = await node(`await import(${JSON.stringify(specifier)});`);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(/ERR_PACKAGE_PATH_NOT_EXPORTED/);
    }
  });
});
