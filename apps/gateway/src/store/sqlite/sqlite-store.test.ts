import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { describeGatewayStore } from '../store-behaviour.js';
import { MIGRATIONS } from './migrations.js';
import { createSqliteGatewayStore } from './sqlite-store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const freshFile = () => {
  const dir = mkdtempSync(join(tmpdir(), 'pincer-store-'));
  dirs.push(dir);
  return join(dir, 'pincer.db');
};

describeGatewayStore('SQLite', () => {
  const file = freshFile();
  const subject = {
    store: createSqliteGatewayStore(file),
    reopen() {
      subject.store.close();
      subject.store = createSqliteGatewayStore(file);
      return subject.store;
    },
  };
  return subject;
});

describe('the SQLite file', () => {
  it('migrates to the latest version in WAL mode', () => {
    const file = freshFile();
    createSqliteGatewayStore(file).close();
    const db = new BetterSqlite3(file);
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      db.close();
    }
  });

  it('lists sessions in their order through an index, not a sort of every row', () => {
    const file = freshFile();
    createSqliteGatewayStore(file).close();
    const db = new BetterSqlite3(file);
    try {
      const plan = db.prepare('EXPLAIN QUERY PLAN SELECT * FROM sessions ORDER BY updated_at DESC LIMIT 50').all() as Array<{
        detail: string;
      }>;
      expect(plan.map((step) => step.detail).join(' ')).not.toMatch(/TEMP B-TREE/);
    } finally {
      db.close();
    }
  });
});
