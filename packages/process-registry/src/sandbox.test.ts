import { describe, expect, it } from 'vitest';
import { ProcessRegistryError } from './errors.js';
import { createBwrapSandbox } from './bwrap-sandbox.js';
import { isSandbox, workspaceDirName } from './sandbox.js';

describe('workspaceDirName', () => {
  it('is the first 32 hex digits of sha256(scopeKey), distinct per scope', () => {
    expect(workspaceDirName('a')).toBe('ca978112ca1bbdcafac231b39a23dc4d');
    expect(workspaceDirName('agent:ops:dm-alice')).not.toBe(workspaceDirName('agent:ops:group-42'));
    expect(workspaceDirName('../../etc')).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('createBwrapSandbox', () => {
  it('validates its options with typed errors', () => {
    const attempt = (options: unknown): unknown => {
      try {
        return createBwrapSandbox(options as never);
      } catch (error) {
        return error;
      }
    };
    for (const [options, field] of [
      [{ workspaceRoot: 'relative/dir' }, 'workspaceRoot'],
      [{ workspaceRoot: '/' }, 'workspaceRoot'],
      [{ workspaceRoot: '/srv/ws', network: 'bridge' }, 'network'],
      [{ workspaceRoot: '/srv/ws', mode: 'sometimes' }, 'mode'],
      [{ workspaceRoot: '/srv/ws', limits: { maxProcesses: 0 } }, 'limits.maxProcesses'],
      [{ workspaceRoot: '/srv/ws', hiddenPaths: ['state'] }, 'hiddenPaths.0'],
    ] as const) {
      const error = attempt(options);
      expect(ProcessRegistryError.isInstance(error), JSON.stringify(options)).toBe(true);
      expect(error).toMatchObject({ code: 'INVALID_INPUT', field });
    }
    const sandbox = createBwrapSandbox({ workspaceRoot: '/srv/ws' });
    expect(isSandbox(sandbox)).toBe(true);
    expect(sandbox).toMatchObject({ backend: 'bwrap', mode: 'auto' });
    expect(sandbox.workspaceFor('a')).toBe('/srv/ws/ca978112ca1bbdcafac231b39a23dc4d');
  });
});
