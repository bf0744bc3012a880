import { describe, expect, it } from 'vitest';
import { namespaceFromInfo } from './namespace-kill.js';
import { readPidNamespace, readProcStat } from './proc.js';

describe('namespaceFromInfo', () => {
  it('reads child-pid and pid-namespace from bwrap info, trusting the init only while /proc agrees', () => {
    const own = readPidNamespace('self')!;
    const startTime = readProcStat(process.pid)!.startTime;
    const info = (childPid: number, namespace: number): string =>
      `{\n "child-pid": ${childPid},\n "pid-namespace": ${namespace}\n}\ntrailing`;
    expect(namespaceFromInfo(info(process.pid, own))).toMatchObject({ pidNamespace: own, init: { pid: process.pid, startTime } });
    // A pid that is not in the reported namespace (reused, or gone) is never taken for its init.
    expect(namespaceFromInfo(info(process.pid, own + 1))).toMatchObject({ pidNamespace: own + 1, init: undefined });
  });

  it('returns undefined for no info, garbage and impossible pids', () => {
    for (const text of [undefined, '', 'not json', '{"child-pid": 1, "pid-namespace": 5}', '{"child-pid": "7"}', '[]']) {
      expect(namespaceFromInfo(text)).toBeUndefined();
    }
  });
});
