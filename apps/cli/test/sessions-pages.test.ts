/**
 * Issue 14 item 24: `pincer sessions list` follows the gateway's `nextCursor` pages past 1 000
 * sessions up to `--limit` (or every page with `--all`), and `count` is the gateway's total.
 * The built binary against a real gateway on loopback holding 1 005 sessions made over the API.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, json, runPincer, startTestGateway, tempDir, type TempDir, type TestGateway } from './helpers.js';

const SESSIONS = 1_005;
/** Turns in flight at once while filling the gateway (well under its 1 000 queued runs). */
const BATCH = 50;

const keyOf = (index: number) => `agent:main:page-${String(index).padStart(4, '0')}`;

describe('pincer sessions list pages', () => {
  let state: TempDir;
  let gateway: TestGateway;
  let env: Record<string, string>;
  const created = new Set<string>();

  beforeAll(async () => {
    assertBuilt();
    state = tempDir();
    gateway = await startTestGateway({ stateDir: state.path });
    env = { HOME: state.path, PINCER_STATE_DIR: state.path };
    const token = readFileSync(join(state.path, 'token'), 'utf8').trim();
    const call = async (method: string, path: string, body?: unknown) => {
      const answer = await fetch(`${gateway.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return (await answer.json()) as Record<string, unknown>;
    };
    for (let start = 0; start < SESSIONS; start += BATCH) {
      const batch = Array.from({ length: Math.min(BATCH, SESSIONS - start) }, (_, offset) => keyOf(start + offset));
      const runs = await Promise.all(batch.map((sessionKey) => call('POST', '/v1/agent', { sessionKey, message: 'hi' })));
      await Promise.all(runs.map((run) => call('GET', `/v1/runs/${String(run.runId)}?waitMs=30000`)));
      for (const key of batch) created.add(key);
    }
  }, 240_000);

  afterAll(async () => {
    await gateway?.close();
    state?.dispose();
  });

  it('without flags lists the first 200, says how many there are, and keeps count as the total', async () => {
    const [table, asJson] = await Promise.all([
      runPincer(['sessions', 'list', '--wide'], env),
      runPincer(['sessions', 'list', '--json'], env),
    ]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stderr).toContain(`Showing 200 of ${SESSIONS} sessions`);
    expect(table.stdout.trim().split('\n')).toHaveLength(201); // header + 200 rows
    const body = json(asJson) as { count: number; sessions: unknown[]; nextCursor?: string };
    expect(body.count).toBe(SESSIONS);
    expect(body.sessions).toHaveLength(200);
    expect(typeof body.nextCursor).toBe('string');
  });

  it('--limit follows pages past 1 000; --all lists every session exactly once', async () => {
    const [limited, everything, exact] = await Promise.all([
      runPincer(['sessions', 'list', '--limit', '1003', '--json'], env),
      runPincer(['sessions', 'list', '--all', '-q'], env),
      runPincer(['sessions', 'list', '--limit', String(SESSIONS), '--json'], env),
    ]);
    const page = json(limited) as { count: number; sessions: Array<{ key: string }>; nextCursor?: string };
    expect(page.count).toBe(SESSIONS);
    expect(page.sessions).toHaveLength(1003);
    expect(new Set(page.sessions.map((row) => row.key)).size).toBe(1003);
    expect(page.nextCursor).toBeDefined();
    expect(everything.code, everything.stderr).toBe(0);
    const keys = everything.stdout.trim().split('\n');
    expect(keys).toHaveLength(SESSIONS);
    expect(new Set(keys)).toEqual(created);
    expect(everything.stderr).toBe('');
    const whole = json(exact) as { count: number; sessions: unknown[]; nextCursor?: string };
    expect(whole.sessions).toHaveLength(SESSIONS);
    expect(whole.nextCursor).toBeUndefined();
  });

  it('--all and --limit together are a usage error', async () => {
    const both = await runPincer(['sessions', 'list', '--all', '--limit', '5'], env);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--all.*cannot be used with.*--limit|--limit.*cannot be used with.*--all/);
  });
});
