/**
 * A gateway crash in the instant between a shell's spawn and its pid reaching the journal (issue 14
 * item 22). The gateway is told to SIGKILL itself right after the spawn (a test-only variable, see
 * apps/gateway/src/processes/journal.ts), so the journal holds only the `starting` row written
 * before the spawn. After a restart on the same state dir: no process of the shell is left in
 * /proc (found by argv and the test mark, not by asking the gateway), the row is final, and the
 * shell's session gets exactly one notice.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ROOT,
  type ChildGateway,
  type StateDir,
  FAST_WAKE,
  disposeGateway,
  isAlive,
  makeStateDir,
  markedPids,
  startChildGateway,
  storyApi,
  until,
} from '../support/harness.js';

const requireFromGateway = createRequire(join(ROOT, 'apps', 'gateway', 'package.json'));
const CRASH_AFTER_SPAWN_ENV = 'PINCER_TEST_CRASH_AFTER_SPAWN';

function hasBwrap(): boolean {
  try {
    return execFileSync('sh', ['-c', 'command -v bwrap'], { encoding: 'utf8' }).trim() !== '';
  } catch {
    return false;
  }
}

interface JournalRow {
  id: string;
  pid: number | null;
  status: string;
  command: string;
}

/** The journal rows whose command names `needle`, read-only. */
function journalRows(stateDir: string, needle: string): JournalRow[] {
  const Database = requireFromGateway('better-sqlite3') as new (
    path: string,
    o: { readonly: boolean },
  ) => { prepare(sql: string): { all(...a: unknown[]): JournalRow[] }; close(): void };
  const db = new Database(join(stateDir, 'pincer.db'), { readonly: true });
  try {
    return db.prepare('SELECT id, pid, status, command FROM processes WHERE instr(command, ?) > 0').all(needle);
  } finally {
    db.close();
  }
}

/** Live pids whose command line contains `needle` (a /proc scan). */
function pidsWithCmdline(needle: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'latin1').includes(needle) && isAlive(Number(name))) found.push(Number(name));
    } catch {
      // gone
    }
  }
  return found;
}

let state: StateDir | undefined;
let gw: ChildGateway | undefined;
afterEach(async () => {
  const strays = await disposeGateway(gw, state);
  gw = undefined;
  state = undefined;
  expect(strays, 'processes the test had to kill itself').toEqual([]);
});

async function crashDuringSpawn(mode: 'off' | 'required') {
  state = makeStateDir({ wake: FAST_WAKE, agents: [{ id: 'main' }], sandbox: { mode } }, `pincer-spawn-crash-${mode}-`);
  gw = await startChildGateway(state, { env: { [CRASH_AFTER_SPAWN_ENV]: '1' } });
  const key = 'agent:main:crash';
  const marker = `spawn-crash-${randomUUID()}`;
  // A tree that outlives a plain group kill: a child, a setsid child whose parent exits, the leader.
  const command = `bash -c 'exec -a ${marker}-child sleep 300' & ( setsid bash -c 'exec -a ${marker}-escapee sleep 300' & ); exec -a ${marker}-leader sleep 300`;
  const old = gw;
  // The scripted model runs the command in the background; the gateway dies in that turn.
  await old.api('POST', '/v1/agent', { sessionKey: key, message: `run in background: ${command}` }).catch(() => undefined);
  await until(() => old.proc.signalCode === 'SIGKILL', 'the gateway killed itself right after the spawn');
  const [row, ...others] = journalRows(state.dir, marker);
  expect(others).toEqual([]);
  // Only the pre-spawn row reached the journal: no pid to reap by.
  expect(row).toMatchObject({ status: 'starting', pid: null });
  return { key, marker, row: row!, old };
}

async function expectOneNotice(key: string, id: string) {
  const api = storyApi(gw!);
  const notice = `Exec killed by a gateway restart (${id}:`;
  const count = async () => (await api.transcript(key)).filter((entry) => entry.role === 'user' && entry.text.includes(notice)).length;
  await until(async () => (await count()) > 0, 'the restart notice delivered');
  // A later turn in the same session proves it is not delivered a second time.
  await api.turn({ sessionKey: key, message: 'anything new?' });
  expect(await count()).toBe(1);
}

describe('a gateway crash between the journal row and the pid write', () => {
  it('unsandboxed: the shell outlived the crash; the restart finds it by its marker, kills the whole tree, one notice', async () => {
    const { key, marker, row, old } = await crashDuringSpawn('off');
    // The dangerous case: the shell and its escapee live on with no pid in the journal.
    await until(() => pidsWithCmdline(marker).length >= 3, 'the shell tree alive after the crash', 10_000);
    const orphans = [...new Set([...pidsWithCmdline(marker), ...markedPids(old.mark, [old.pid])])];

    gw = await startChildGateway(state!, { mark: old.mark });
    // Reaped during the start, before the gateway listens: nothing is left right away.
    expect(orphans.filter((pid) => isAlive(pid))).toEqual([]);
    expect(pidsWithCmdline(marker)).toEqual([]);
    expect(markedPids(gw.mark, [gw.pid])).toEqual([]);
    expect(journalRows(state!.dir, marker)).toEqual([expect.objectContaining({ id: row.id, status: 'killed' })]);
    await expectOneNotice(key, row.id);
    expect(await gw.stop()).toBe(0);
  });

  it.skipIf(!hasBwrap())('sandboxed: whatever of the sandbox outlived the crash is killed at restart; one notice', async () => {
    const { key, marker, row, old } = await crashDuringSpawn('required');
    // A crash this early can beat bwrap's --die-with-parent (bwrap sets it up after its exec), so
    // the sandbox may still run: its launcher carries the marker, the shell inside does not.
    const orphans = [...new Set([...pidsWithCmdline(marker), ...markedPids(old.mark, [old.pid])])];
    console.log(`sandboxed crash: ${orphans.length} processes of the sandbox outlived the gateway`);
    gw = await startChildGateway(state!, { mark: old.mark });
    await until(() => orphans.every((pid) => !isAlive(pid)), 'the sandbox gone after the restart', 10_000);
    expect(pidsWithCmdline(marker)).toEqual([]);
    expect(markedPids(gw.mark, [gw.pid])).toEqual([]);
    expect(journalRows(state!.dir, marker)).toEqual([expect.objectContaining({ id: row.id, status: 'killed' })]);
    await expectOneNotice(key, row.id);
    expect(await gw.stop()).toBe(0);
  });
});
