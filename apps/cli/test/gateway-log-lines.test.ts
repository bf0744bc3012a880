import type { ChildProcess } from 'node:child_process';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, exitOf, spawnPincer, spawnPincerPty, tempDir, type PtyChild, type TempDir } from './helpers.js';

// `pincer gateway` hands its logger to startGateway: readable lines on a terminal, pino JSON otherwise.
describe('pincer gateway log lines', () => {
  let state: TempDir | undefined;
  let terminal: PtyChild | undefined;
  let child: ChildProcess | undefined;
  beforeAll(() => assertBuilt());
  afterEach(async () => {
    if (terminal !== undefined) {
      terminal.kill();
      await terminal.exited;
    }
    terminal = undefined;
    if (child !== undefined && child.exitCode === null) {
      child.kill('SIGKILL');
      await exitOf(child);
    }
    child = undefined;
    state?.dispose();
    state = undefined;
  });

  async function callUntil(seen: () => string, url: string, pattern: RegExp): Promise<void> {
    for (let attempt = 0; attempt < 100 && !pattern.test(seen()); attempt += 1) {
      await fetch(`${url}/v1/sessions`).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('prints readable level/message lines under a PTY', async () => {
    state = tempDir();
    terminal = await spawnPincerPty(['gateway', '--port', '0', '--state-dir', state.path, '--log-level', 'debug'], { HOME: state.path });
    await terminal.waitFor(/http:\/\/127\.0\.0\.1:\d+/);
    const url = /http:\/\/127\.0\.0\.1:\d+/.exec(terminal.output())![0];
    const readable = /\d\d:\d\d:\d\d\.\d{3} DEBUG\s+http method=GET/;
    await callUntil(() => terminal!.output(), url, readable);
    expect(terminal.output()).toMatch(readable);
    expect(terminal.output()).not.toContain('"msg":"http"');
  });

  it('prints pino JSON lines when stdout is not a terminal', async () => {
    state = tempDir();
    child = spawnPincer(['gateway', '--port', '0', '--state-dir', state.path, '--log-level', 'debug'], { HOME: state.path });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    for (let attempt = 0; attempt < 200 && !/http:\/\/127\.0\.0\.1:\d+/.test(output); attempt += 1)
      await new Promise((resolve) => setTimeout(resolve, 100));
    const url = /http:\/\/127\.0\.0\.1:\d+/.exec(output)![0];
    await callUntil(() => output, url, /"msg":"http"/);
    const line = output.split('\n').find((candidate) => candidate.includes('"msg":"http"'));
    expect(JSON.parse(line!)).toMatchObject({ level: 20, msg: 'http', method: 'GET' });
  });
});
