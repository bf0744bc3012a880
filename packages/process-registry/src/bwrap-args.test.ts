import { describe, expect, it } from 'vitest';
import { buildBwrapArgs, prlimitFlags } from './bwrap-args.js';
import { DEFAULT_SANDBOX_LIMITS } from './sandbox.js';

const base = {
  workspace: '/state/ws/abc',
  workspaceRoot: '/state/ws',
  hiddenDirs: ['/run', '/state'],
  hiddenFiles: ['/etc/pincer.json'],
  keepFiles: ['/run/resolv.conf'],
  scratchDirs: ['/tmp'],
  binds: { ro: ['/opt/tools'], rw: ['/srv/cache'] },
  network: 'host' as const,
  isNewSession: true,
  cwd: '/state/ws/abc',
  infoFd: 3,
  limits: { ...DEFAULT_SANDBOX_LIMITS },
  prlimitPath: '/usr/bin/prlimit',
  command: ['/bin/bash', '-c', 'echo hi'],
};

describe('buildBwrapArgs', () => {
  it('drops capabilities, unshares pid/ipc/uts/cgroup, dies with its parent and starts a new session', () => {
    const args = buildBwrapArgs(base);
    expect(args.slice(0, 9)).toEqual([
      '--die-with-parent',
      '--new-session',
      '--cap-drop',
      'ALL',
      '--unshare-pid',
      '--unshare-ipc',
      '--unshare-uts',
      '--unshare-cgroup-try',
      '--info-fd',
    ]);
    expect(args).not.toContain('--unshare-net');
    expect(buildBwrapArgs({ ...base, network: 'none' })).toContain('--unshare-net');
    expect(buildBwrapArgs({ ...base, isNewSession: false, infoFd: undefined })).not.toContain('--new-session');
  });

  it('hides before it binds the workspace, then makes the covers read-only, then runs the command under prlimit', () => {
    const args = buildBwrapArgs(base);
    const at = (...needle: string[]): number => args.findIndex((_, index) => needle.every((word, offset) => args[index + offset] === word));
    expect(at('--ro-bind', '/', '/')).toBeLessThan(at('--tmpfs', '/tmp'));
    expect(at('--tmpfs', '/state')).toBeLessThan(at('--tmpfs', '/state/ws'));
    expect(at('--ro-bind', '/dev/null', '/etc/pincer.json')).toBeGreaterThan(0);
    expect(at('--tmpfs', '/state/ws')).toBeLessThan(at('--bind', '/state/ws/abc', '/state/ws/abc'));
    expect(at('--ro-bind', '/opt/tools', '/opt/tools')).toBeLessThan(at('--bind', '/state/ws/abc', '/state/ws/abc'));
    expect(at('--bind', '/state/ws/abc', '/state/ws/abc')).toBeLessThan(at('--remount-ro', '/state'));
    expect(at('--remount-ro', '/state/ws')).toBeGreaterThan(0);
    expect(args.slice(at('--'))).toEqual([
      '--',
      '/usr/bin/prlimit',
      '--nproc=1024',
      `--fsize=${4 * 1024 ** 3}`,
      '--cpu=3600',
      `--as=${8 * 1024 ** 3}`,
      '--',
      '/bin/bash',
      '-c',
      'echo hi',
    ]);
  });

  it('leaves prlimit out when no limit is set', () => {
    const limits = { maxProcesses: null, maxFileSizeBytes: null, cpuSeconds: null, addressSpaceBytes: null };
    expect(prlimitFlags(limits)).toEqual([]);
    expect(buildBwrapArgs({ ...base, limits }).slice(-4)).toEqual(['--', '/bin/bash', '-c', 'echo hi']);
  });
});
