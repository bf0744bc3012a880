import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  assertBuilt,
  json,
  runPincer,
  spawnPincerPty,
  startTestGateway,
  tempDir,
  writeTwoAgentConfig,
  type PtyChild,
  type TempDir,
  type TestGateway,
} from './helpers.js';

const ESC = '\x1b';

// The built binary on a real pseudo-terminal (@lydell/node-pty) against a real gateway.
describe('pincer on a terminal', () => {
  let state: TempDir;
  let gateway: TestGateway;
  let env: Record<string, string>;
  let terminal: PtyChild | undefined;
  const started: string[] = [];

  beforeAll(async () => {
    assertBuilt();
    state = tempDir();
    gateway = await startTestGateway({ stateDir: state.path, configPath: writeTwoAgentConfig(state.path) });
    env = { HOME: state.path, PINCER_STATE_DIR: state.path };
  });
  afterEach(() => {
    terminal?.kill();
    terminal = undefined;
  });
  afterAll(async () => {
    await Promise.all(started.map((id) => runPincer(['kill', id], env)));
    await gateway?.close();
    state?.dispose();
  });

  const background = async (command: string): Promise<string> => {
    const result = await runPincer(['agent', '-m', `run in background: ${command}`, '--session-key', 'agent:ops:tty', '--json'], env);
    const id = /as (\S+) \(/.exec(String(json(result).reply))?.[1];
    if (id === undefined) throw new Error(`no process id: ${result.stdout} ${result.stderr}`);
    started.push(id);
    return id;
  };

  it('Ctrl-C during agent says the run goes on and how to wait for it (exit 130); runs wait then prints the reply', async () => {
    terminal = await spawnPincerPty(['agent', '-m', 'run: sleep 3; echo slept-three', '--session-key', 'agent:main:ctrl-c'], env);
    await terminal.waitFor(/waiting for agent:main:ctrl-c \(run [0-9a-f-]+\)/);
    terminal.write('\x03');
    expect(await terminal.exited).toBe(130);
    const output = terminal.output();
    const runId = /Interrupted\. Run (\S+) goes on on the gateway \(session agent:main:ctrl-c\)\./.exec(output)?.[1];
    expect(runId, output).toBeDefined();
    expect(output).toContain(`Wait for its reply with: pincer runs wait ${runId}`);
    const waited = await runPincer(['runs', 'wait', String(runId)], env);
    expect(waited.code, waited.stderr).toBe(0);
    expect(waited.stdout).toContain('slept-three');
  });

  it('shows an escape sequence in a command neutralised in ps; --json keeps the bytes', async () => {
    const id = await background(`echo ${ESC}[31mRED${ESC}[0m ${ESC}]0;owned${'\x07'}; sleep 30`);
    terminal = await spawnPincerPty(['ps'], env, { cols: 200 });
    expect(await terminal.exited).toBe(0);
    const shown = terminal.output();
    expect(shown).toContain(`${id}`);
    expect(shown).toContain('echo \\x1b[31mRED\\x1b[0m \\x1b]0;owned\\x07; sleep 30');
    expect(shown).not.toContain(ESC);
    expect(shown).not.toContain('\x07');
    const raw = await runPincer(['ps', '--json'], env);
    const row = (json(raw).processes as Array<{ id: string; command: string }>).find((process) => process.id === id);
    expect(row?.command).toBe(`echo ${ESC}[31mRED${ESC}[0m ${ESC}]0;owned\x07; sleep 30`);
  });

  it('fits ps to the terminal width by cutting the command with …; piped, nothing is cut', async () => {
    const long = `sleep 30; echo ${'x'.repeat(120)}`;
    const id = await background(long);
    terminal = await spawnPincerPty(['ps'], env, { cols: 80 });
    expect(await terminal.exited).toBe(0);
    const lines = terminal
      .output()
      .split('\r\n')
      .filter((line) => line !== '');
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(80);
    const row = lines.find((line) => line.startsWith(id));
    // The command column (its width depends on the other columns: ids, pids, the SBX column) ends
    // with … and holds the start of the command.
    const commandAt = lines[0]!.indexOf('COMMAND');
    expect(commandAt, lines[0]).toBeGreaterThan(0);
    const cut = row?.slice(commandAt) ?? '';
    expect(cut, lines.join('\n')).toMatch(/^s.*…$/);
    expect(long.startsWith(cut.slice(0, -1)), lines.join('\n')).toBe(true);
    const [piped, wide] = await Promise.all([
      runPincer(['ps'], env),
      (async () => {
        const wideTerminal = await spawnPincerPty(['ps', '--wide'], env, { cols: 80 });
        await wideTerminal.exited;
        return wideTerminal.output();
      })(),
    ]);
    expect(piped.stdout).toContain(long);
    expect(wide.replace(/\r\n/g, '')).toContain(long);
  });

  it('escapes control characters in process output on a terminal, and keeps them when piped', async () => {
    const id = await background(`printf 'plain\\n${ESC}[2Jcleared\\n'; sleep 30`);
    for (let attempt = 0; attempt < 100; attempt += 1) {
      if ((await gateway.runtime.subsystems.operatorLog(id, {}))?.output.includes('cleared')) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    terminal = await spawnPincerPty(['logs', id], env);
    expect(await terminal.exited).toBe(0);
    expect(terminal.output()).toBe('plain\r\n\\x1b[2Jcleared\r\n');
    const piped = await runPincer(['logs', id], env);
    expect(piped.stdout).toBe(`plain\n${ESC}[2Jcleared\n`);
  });
});
