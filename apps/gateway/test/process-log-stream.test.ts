/**
 * `GET /v1/processes/:id/log/stream`: a shell's output over SSE as it is printed, ending with its
 * status; a scoped token naming another session's shell gets exactly a missing shell's 404.
 * Real gateway on loopback, real shells.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FAST, startTestGateway, type TestGateway } from './helpers.js';

let t: TestGateway | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

interface Frame {
  event: string;
  data: { offset?: number; output?: string; status: string };
}

/** Reads the stream to its end (bounded), frame by frame. */
async function readStream(url: string, token: string): Promise<{ status: number; frames: Frame[]; body: string }> {
  const answer = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(30_000) });
  const body = await answer.text();
  const frames = body
    .split('\n\n')
    .filter((block) => block.startsWith('event: '))
    .map((block) => {
      const [eventLine, dataLine] = block.split('\n');
      return { event: eventLine!.slice('event: '.length), data: JSON.parse(dataLine!.slice('data: '.length)) as Frame['data'] };
    });
  return { status: answer.status, frames, body };
}

describe('GET /v1/processes/:id/log/stream', () => {
  it("streams a shell's lines as they are printed, then its end; foreign = missing for a scoped token", async () => {
    t = await startTestGateway({ ...FAST, agents: [{ id: 'main' }] });
    const started = await t.turn({
      sessionKey: 'agent:main:own',
      message: 'run in background: for i in 1 2 3 4; do echo line-$i; sleep 0.4; done',
    });
    const id = /as (\S+) \(running\)/.exec(started.reply ?? '')?.[1];
    expect(id, started.reply).toBeDefined();

    const stream = await readStream(`${t.gw.url}/v1/processes/${id}/log/stream`, t.gw.token);
    expect(stream.status).toBe(200);
    const logs = stream.frames.filter((frame) => frame.event === 'log');
    // Printed over 1.6 s and polled every 250 ms: the lines arrive over several frames, not at the end.
    expect(logs.length).toBeGreaterThan(1);
    // Folding the frames as the console does gives every line, in order.
    let lines: string[] = [];
    for (const frame of logs) lines = [...lines.slice(0, frame.data.offset), ...(frame.data.output ?? '').split('\n')];
    expect(lines.filter((line) => line !== '')).toEqual(['line-1', 'line-2', 'line-3', 'line-4']);
    expect(stream.frames.at(-1)).toEqual({ event: 'end', data: { status: 'completed' } });

    // A token scoped to another session: the same 404 as an id that does not exist.
    const minted = await t.api<{ token: string }>('POST', '/v1/tokens', {
      name: 'other',
      sessionKey: 'agent:main:other',
      capabilities: ['processes:read'],
    });
    expect(minted.status).toBe(201);
    const foreign = await fetch(`${t.gw.url}/v1/processes/${id}/log/stream`, { headers: { authorization: `Bearer ${minted.body.token}` } });
    const missing = await fetch(`${t.gw.url}/v1/processes/no-such-shell/log/stream`, {
      headers: { authorization: `Bearer ${minted.body.token}` },
    });
    expect(foreign.status).toBe(404);
    expect(missing.status).toBe(404);
    expect((await foreign.text()).replace(id!, 'ID')).toBe((await missing.text()).replace('no-such-shell', 'ID'));
  });
});
