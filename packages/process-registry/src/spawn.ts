import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { Readable } from 'node:stream';
import type { OutputStream } from './output-buffer.js';
import { sharedOutputSlicer } from './output-slice.js';

/** Leader exit as reported by the OS. */
export interface LeaderExit {
  readonly exitCode: number | null;
  readonly signal: string | null;
}

/** What the registry holds of a spawned process (never exposed). */
export interface ProcessHandle {
  readonly pid: number;
  readonly isPty: boolean;
  /** Resolves when the leader exited. */
  readonly exited: Promise<LeaderExit>;
  /** Resolves when the leader's stdio closed (all writers gone). */
  readonly closed: Promise<void>;
  /** Everything written to fd 3 until it closed (`hasInfoFd`), else undefined. */
  readonly info: Promise<string | undefined>;
  isStdinWritable(): boolean;
  write(data: string | Buffer): void;
  /** Closes stdin (PTY: sends Ctrl-D). */
  end(): void;
  /** Detaches listeners and destroys streams. */
  dispose(): void;
}

/** What to spawn: `<shell> -c <command>`, or the sandbox launcher with its arguments. */
export interface SpawnSpec {
  readonly file: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Record<string, string>;
  readonly stdin: 'closed' | 'pipe' | 'pty';
  readonly onOutput: (stream: OutputStream, text: string) => void;
  /** Open a pipe as fd 3 and collect what the child writes to it (bwrap's `--info-fd 3`). */
  readonly hasInfoFd?: boolean;
}

const SIGNAL_NAMES = new Map<number, string>(Object.entries(constants.signals).map(([name, n]) => [n, name]));

/** Spawns `spec.file spec.args` detached (own session and process group). Rejects on spawn error. */
export async function spawnChild(spec: SpawnSpec): Promise<ProcessHandle> {
  const child = spawn(spec.file, [...spec.args], {
    cwd: spec.cwd,
    env: spec.env,
    detached: true,
    stdio:
      spec.hasInfoFd === true
        ? [spec.stdin === 'pipe' ? 'pipe' : 'ignore', 'pipe', 'pipe', 'pipe']
        : [spec.stdin === 'pipe' ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  const infoStream = spec.hasInfoFd === true ? child.stdio[3] : undefined;
  const info = new Promise<string | undefined>((resolve) => {
    if (!infoStream || !(infoStream instanceof Readable)) {
      resolve(undefined);
      return;
    }
    let text = '';
    infoStream.setEncoding('utf8');
    infoStream.on('data', (chunk: string) => {
      if (text.length < 65_536) text += chunk;
    });
    infoStream.on('error', () => resolve(text));
    infoStream.on('close', () => resolve(text));
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    child.once('error', onError);
    child.once('spawn', () => {
      child.off('error', onError);
      resolve();
    });
  });
  child.on('error', () => {});
  const pid = child.pid!;
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  const stdout = child.stdout!;
  const stderr = child.stderr!;
  sharedOutputSlicer.track(stdout);
  sharedOutputSlicer.track(stderr);
  stdout.on('data', (text: string) => {
    sharedOutputSlicer.onChunk(stdout);
    spec.onOutput('stdout', text);
  });
  stderr.on('data', (text: string) => {
    sharedOutputSlicer.onChunk(stderr);
    spec.onOutput('stderr', text);
  });
  child.stdin?.on('error', () => {});
  const exited = new Promise<LeaderExit>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ exitCode: child.exitCode, signal: child.signalCode });
    } else {
      child.once('exit', (exitCode, signal) => resolve({ exitCode, signal }));
    }
  });
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  return {
    pid,
    isPty: false,
    exited,
    closed,
    info,
    isStdinWritable: () => child.stdin !== null && child.stdin.writable && !child.stdin.writableEnded,
    write: (data) => {
      child.stdin?.write(data);
    },
    end: () => {
      child.stdin?.end();
    },
    dispose: () => {
      child.stdin?.destroy();
      child.stdout?.removeAllListeners('data');
      child.stderr?.removeAllListeners('data');
    },
  };
}

/** The subset of `@lydell/node-pty` the registry uses. */
export interface PtyModule {
  spawn(
    file: string,
    args: string[],
    options: { name: string; cols: number; rows: number; cwd: string; env: Record<string, string> },
  ): {
    readonly pid: number;
    onData(listener: (data: string) => void): { dispose(): void };
    onExit(listener: (e: { exitCode: number; signal?: number }) => void): { dispose(): void };
    write(data: string): void;
    kill(signal?: string): void;
  };
}

/** Loads `@lydell/node-pty` (prebuilt binaries); rejects when this host cannot load it. */
export async function loadPtyModule(): Promise<PtyModule> {
  const mod = (await import('@lydell/node-pty')) as unknown as Partial<PtyModule> & { default?: PtyModule };
  const pty = typeof mod.spawn === 'function' ? (mod as PtyModule) : mod.default;
  if (!pty || typeof pty.spawn !== 'function') throw new Error('@lydell/node-pty has no spawn()');
  return pty;
}

/** Spawns the command in a pseudo-terminal (120×30). The PTY child is a session and group leader. */
export async function spawnPty(pty: PtyModule, spec: SpawnSpec): Promise<ProcessHandle> {
  const term = pty.spawn(spec.file, [...spec.args], {
    name: spec.env['TERM'] ?? 'xterm-256color',
    cols: 120,
    rows: 30,
    cwd: spec.cwd,
    env: spec.env,
  });
  let isExited = false;
  let isEnded = false;
  const dataSub = term.onData((text) => spec.onOutput('stdout', text));
  const exited = new Promise<LeaderExit>((resolve) => {
    const sub = term.onExit(({ exitCode, signal }) => {
      isExited = true;
      sub.dispose();
      const name = signal ? (SIGNAL_NAMES.get(signal) ?? `SIG${signal}`) : null;
      resolve({ exitCode: name ? null : exitCode, signal: name });
    });
  });
  return {
    pid: term.pid,
    isPty: true,
    exited,
    // node-pty reports exit only after its socket closed (or its own flush timeout).
    closed: exited.then(() => undefined),
    info: Promise.resolve(undefined),
    isStdinWritable: () => !isExited && !isEnded,
    write: (data) => term.write(data as string),
    end: () => {
      term.write('\x04');
      isEnded = true;
    },
    dispose: () => dataSub.dispose(),
  };
}
