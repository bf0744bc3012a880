import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkPluginModulePath, checkStateDir, tightenDatabaseModes } from './state-dir-guard.js';
import { GatewayError } from '../errors.js';

const isRoot = process.getuid?.() === 0;

function refusal(run: () => void): GatewayError {
  try {
    run();
  } catch (error) {
    if (GatewayError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

let root: string;
let stateDir: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'pincer-guard-'));
  stateDir = join(root, 'state');
  mkdirSync(stateDir, { mode: 0o700 });
  chmodSync(stateDir, 0o700);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('checkStateDir', () => {
  it('accepts a fresh 0700 dir with a 0600 token', () => {
    writeFileSync(join(stateDir, 'token'), 'a'.repeat(64), { mode: 0o600 });
    expect(() => checkStateDir({ stateDir })).not.toThrow();
  });

  it('refuses a group-writable state dir, naming the path and the fix', () => {
    chmodSync(stateDir, 0o770);
    const error = refusal(() => checkStateDir({ stateDir }));
    expect(error.message).toContain(stateDir);
    expect(error.message).toContain('writable by group or others');
    expect(error.message).toContain('fix: chmod go-w');
  });

  it('tightens a 0755 dir it owns to 0700 (nobody else could write to it)', () => {
    chmodSync(stateDir, 0o755);
    checkStateDir({ stateDir });
    expect(statSync(stateDir).mode & 0o777).toBe(0o700);
  });

  it('refuses a token readable by others and leaves its mode as it was (never chmod-ed)', () => {
    const token = join(stateDir, 'token');
    writeFileSync(token, 'a'.repeat(64));
    chmodSync(token, 0o644);
    const error = refusal(() => checkStateDir({ stateDir }));
    expect(error.message).toContain(token);
    expect(error.message).toContain('readable by group or others');
    expect(statSync(token).mode & 0o777).toBe(0o644);
  });

  it('refuses a token that is a symlink, even to a private file', () => {
    const target = join(root, 'elsewhere');
    writeFileSync(target, 'b'.repeat(64), { mode: 0o600 });
    symlinkSync(target, join(stateDir, 'token'));
    expect(refusal(() => checkStateDir({ stateDir })).message).toContain('is a symlink');
  });

  it('refuses a token that is a directory', () => {
    mkdirSync(join(stateDir, 'token'), { mode: 0o700 });
    expect(refusal(() => checkStateDir({ stateDir })).message).toContain('not a regular file');
  });

  it('refuses a world-writable (0666) config file', () => {
    const config = join(stateDir, 'pincer.config.json');
    writeFileSync(config, '{}');
    chmodSync(config, 0o666);
    expect(refusal(() => checkStateDir({ stateDir })).message).toContain(config);
  });

  it('refuses a config outside the state dir that others can write', () => {
    const config = join(root, 'shared.json');
    writeFileSync(config, '{}');
    chmodSync(config, 0o666);
    expect(refusal(() => checkStateDir({ stateDir, configPath: config })).field).toBe(config);
  });

  it('refuses a group-writable plugin module', () => {
    const plugin = join(stateDir, 'plugin.mjs');
    writeFileSync(plugin, 'export default {}');
    chmodSync(plugin, 0o664);
    expect(refusal(() => checkStateDir({ stateDir, pluginFiles: [plugin] })).message).toContain(plugin);
  });

  it('refuses a world-writable database and tightens a merely readable one to 0600', () => {
    const database = join(stateDir, 'pincer.db');
    writeFileSync(database, '');
    chmodSync(database, 0o644);
    checkStateDir({ stateDir });
    expect(statSync(database).mode & 0o777).toBe(0o600);
    chmodSync(`${database}`, 0o666);
    expect(refusal(() => checkStateDir({ stateDir })).message).toContain(database);
  });

  it('refuses a -wal file owned by another user', () => {
    const wal = join(stateDir, 'pincer.db-wal');
    writeFileSync(wal, '', { mode: 0o600 });
    if (isRoot) {
      chownSync(wal, 65534, 65534);
      expect(refusal(() => checkStateDir({ stateDir })).message).toContain('owned by uid 65534');
    } else {
      // Not root: cannot chown, so expect a different owner than the file's real one.
      const uid = statSync(wal).uid + 1;
      expect(refusal(() => checkStateDir({ stateDir, owner: { uid, gid: uid } })).message).toContain(`not the gateway's user (uid ${uid})`);
    }
  });

  it.skipIf(!isRoot)('refuses a state dir owned by another user', () => {
    chownSync(stateDir, 65534, 65534);
    expect(refusal(() => checkStateDir({ stateDir })).message).toContain(`${stateDir} is owned by uid 65534`);
  });
});

describe('tightenDatabaseModes', () => {
  it('sets the database and its side files to 0600', () => {
    const database = join(stateDir, 'pincer.db');
    for (const file of [database, `${database}-wal`, `${database}-shm`]) {
      writeFileSync(file, '');
      chmodSync(file, 0o644);
    }
    tightenDatabaseModes(database);
    for (const file of [database, `${database}-wal`, `${database}-shm`]) expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});

describe('checkPluginModulePath', () => {
  it('allows modules inside the state dir or the config dir and bare package names', () => {
    expect(() => checkPluginModulePath(join(stateDir, 'p.mjs'), { stateDir })).not.toThrow();
    expect(() => checkPluginModulePath('./plugins/p.mjs', { stateDir, configDir: root })).not.toThrow();
    expect(() => checkPluginModulePath('@acme/pincer-plugin', { stateDir })).not.toThrow();
  });

  it('refuses a module elsewhere unless the operator opted in', () => {
    const error = refusal(() => checkPluginModulePath('/opt/other/p.mjs', { stateDir, field: 'plugins[0].module' }));
    expect(error.field).toBe('plugins[0].module');
    expect(error.message).toContain('allowPluginsOutsideStateDir');
    expect(() => checkPluginModulePath('/opt/other/p.mjs', { stateDir, isOutsideAllowed: true })).not.toThrow();
    expect(() => checkPluginModulePath('../../etc/p.mjs', { stateDir, configDir: stateDir })).toThrow();
  });
});
