import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { FAST, startTestGateway, type TestGateway } from './helpers.js';

let t: TestGateway | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const A = 'agent:main:tree-a';
const B = 'agent:main:tree-b';
const q = (key: string) => `sessionKey=${encodeURIComponent(key)}`;

/** A live (non-zombie) process at `pid`, from /proc. */
function isLive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

interface Tree {
  id: string;
  status: string;
  isSandboxed: boolean;
  processCount: number;
  pids: number[];
}

describe('GET /v1/processes/:id/tree', () => {
  it('counts the live processes a kill would end, 0 after the kill; a foreign shell answers like a missing one', async () => {
    t = await startTestGateway({ ...FAST, agents: [{ id: 'main' }] });
    const g = t;
    const run = await g.turn({ message: 'run in background: for n in 1 2 3; do sleep 600 & done; echo tree-ready; wait', sessionKey: A });
    const id = /as (\S+) \(running\)/.exec(run.reply ?? '')?.[1] ?? '';
    expect(id).not.toBe('');
    await g.turn({ message: 'hello', sessionKey: B });

    // The shell and three sleeps (sandboxed also bwrap's launcher and the namespace's init).
    const tree = await g.until(async () => {
      const answer = await g.api<Tree>('GET', `/v1/processes/${id}/tree`);
      return answer.status === 200 && answer.body.processCount >= 4 ? answer.body : undefined;
    }, 'the shell and its three sleeps');
    expect(tree).toMatchObject({ id, status: 'running' });
    expect(tree.pids.length).toBe(tree.processCount);
    expect(tree.pids.filter(isLive)).toEqual(tree.pids);
    const listed = await g.api<{ processes: Array<{ id: string; pid?: number; sandbox?: { isSandboxed: boolean } }> }>(
      'GET',
      '/v1/processes',
    );
    const view = listed.body.processes.find((process) => process.id === id);
    expect(tree.pids).toContain(view?.pid);
    expect(tree.isSandboxed).toBe(view?.sandbox?.isSandboxed === true);
    expect(tree.processCount).toBeGreaterThanOrEqual(tree.isSandboxed ? 6 : 4);
    // Reading it signals nothing: the shell still runs.
    expect((await g.api<Tree>('GET', `/v1/processes/${id}/tree?${q(A)}`)).body.status).toBe('running');

    // Another session's scope: byte-identical to a missing id.
    const foreign = await g.api('GET', `/v1/processes/${id}/tree?${q(B)}`);
    const missing = await g.api('GET', `/v1/processes/no-such-shell/tree?${q(B)}`);
    expect(foreign.status).toBe(404);
    expect(JSON.stringify(foreign.body).replaceAll(id, 'X')).toBe(JSON.stringify(missing.body).replaceAll('no-such-shell', 'X'));

    // A session-scoped token of B, and one of A without processes:read.
    const mint = async (body: Record<string, unknown>) =>
      (await g.api<{ token: string }>('POST', '/v1/tokens', { name: 'tree-test', ...body })).body.token;
    const tokenB = await mint({ sessionKey: B, capabilities: ['processes:read'] });
    const scopedForeign = await g.api('GET', `/v1/processes/${id}/tree`, undefined, tokenB);
    const scopedMissing = await g.api('GET', '/v1/processes/no-such-shell/tree', undefined, tokenB);
    expect(scopedForeign.status).toBe(404);
    expect(JSON.stringify(scopedForeign.body).replaceAll(id, 'X')).toBe(
      JSON.stringify(scopedMissing.body).replaceAll('no-such-shell', 'X'),
    );
    const tokenA = await mint({ sessionKey: A, capabilities: ['processes:read'] });
    expect((await g.api<Tree>('GET', `/v1/processes/${id}/tree`, undefined, tokenA)).body.processCount).toBe(tree.processCount);
    const blind = await mint({ sessionKey: A, capabilities: ['sessions:read'] });
    expect((await g.api('GET', `/v1/processes/${id}/tree`, undefined, blind)).status).toBe(403);

    expect((await g.api('POST', `/v1/processes/${id}/kill`)).status).toBe(200);
    const after = await g.api<Tree>('GET', `/v1/processes/${id}/tree`);
    expect(after.body).toMatchObject({ id, status: 'killed', processCount: 0, pids: [] });
    expect(tree.pids.filter(isLive)).toEqual([]);
  });

  it('is documented in /openapi.json with its response schema', async () => {
    t = await startTestGateway(FAST);
    const document = await t.api<{ paths: Record<string, { get?: { operationId?: string; responses?: Record<string, unknown> } }> }>(
      'GET',
      '/openapi.json',
    );
    const operation = document.body.paths['/v1/processes/{id}/tree']?.get;
    expect(operation?.operationId).toBe('getProcessTree');
    expect(JSON.stringify(operation?.responses?.['200'])).toContain('processCount');
  });
});
