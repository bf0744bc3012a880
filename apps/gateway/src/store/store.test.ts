import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from './db.js';
import { createGatewayStore, JOURNAL_MAX_OUTPUT_CHARS, PROCESS_LIST_TAIL_CHARS, type GatewayStore } from './store.js';

const dirs: string[] = [];
const stores: GatewayStore[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function open(dir?: string) {
  const d = dir ?? mkdtempSync(join(tmpdir(), 'pincer-store-'));
  if (!dir) dirs.push(d);
  const s = createGatewayStore(join(d, 'pincer.db'));
  stores.push(s);
  return { s, d };
}

describe('createGatewayStore', () => {
  it('migrates to the latest version in WAL mode and keeps data across reopen', () => {
    const { s, d } = open();
    expect(s.db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(s.db.pragma('journal_mode', { simple: true })).toBe('wal');
    s.upsertSession({ key: 'agent:main:main', agentId: 'main', sessionId: 'sid', kind: 'direct', label: null, spawnedBy: null, spawnDepth: 0, channel: null, peerKind: null, peerId: null, now: 1 });
    s.eventsAppend('agent:main:main', 'e1', { id: 'e1', text: 'x' }, 1);
    s.close();
    stores.pop();
    const again = open(d).s;
    expect(again.getSession('agent:main:main')?.sessionId).toBe('sid');
    expect(again.eventsCount('agent:main:main')).toBe(1);
  });

  it('keeps at most the retained-output cap per journaled process, marking truncation', () => {
    const { s } = open();
    s.journalStart({ id: 'p1', pid: 1, scopeKey: 'agent:main:main', sessionKey: 'agent:main:main', command: 'yes', cwd: '/', startedAt: 1, status: 'running', record: {}, gatewayPid: 1 });
    const chunk = 'y\n'.repeat(50_000);
    for (let i = 0; i < 5; i++) s.journalOutput('p1', chunk);
    const p = s.getProcess('p1')!;
    expect(p.output.length).toBe(JOURNAL_MAX_OUTPUT_CHARS);
    expect(p.truncated).toBe(true);
    s.journalExit('p1', { status: 'completed', exitCode: 0, signal: null, endedAt: 2 });
    expect(s.listProcesses({ status: 'finished' }).map((x) => x.id)).toEqual(['p1']);
  });

  it('lists journaled processes with only the tail of their output, and reads one in full', () => {
    const { s } = open();
    s.journalStart({ id: 'p1', pid: 1, scopeKey: 'agent:main:main', sessionKey: 'agent:main:main', command: 'seq', cwd: '/', startedAt: 1, status: 'running', record: {}, gatewayPid: 1 });
    const full = Array.from({ length: 20_000 }, (_, i) => `line ${i}`).join('\n');
    s.journalOutput('p1', full);
    const [listed] = s.listProcesses();
    expect(listed!.output.length).toBe(PROCESS_LIST_TAIL_CHARS);
    expect(listed!.output.endsWith('line 19999')).toBe(true);
    expect(s.getProcess('p1')!.output).toBe(full.slice(-JOURNAL_MAX_OUTPUT_CHARS));
  });

  it('records announcements once per run id', () => {
    const { s } = open();
    const a = { runId: 'r1', requesterSessionKey: 'agent:main:main', payload: {}, state: 'pending' as const, attempts: 0, createdAt: 1, deliveredAt: null };
    expect(s.announcementPut(a)).toBe(true);
    expect(s.announcementPut(a)).toBe(false);
    s.announcementMark('r1', 'delivered', 5);
    expect(s.announcementGet('r1')).toMatchObject({ state: 'delivered', deliveredAt: 5, attempts: 1 });
  });
});
