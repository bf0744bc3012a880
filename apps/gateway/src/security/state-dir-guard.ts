import { chmodSync, lstatSync, statSync, type Stats } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { GatewayError } from '../errors.js';

/**
 * Item 13 (issue 14): the state dir belongs to the gateway's user. Every check here refuses and
 * names the path plus the command that fixes it; only modes the gateway's own user set on its
 * own files are tightened (the dir to 0700, the database files to 0600) — the token is never
 * chmod'ed, because a token that others could read must be treated as leaked.
 */

/** Names of the files in the state dir the guard checks (besides plugin modules). */
export const STATE_FILES = {
  token: 'token',
  config: 'pincer.config.json',
  database: 'pincer.db',
} as const;

/** The database and its SQLite side files. */
export function databaseFiles(databaseFile: string): string[] {
  return [databaseFile, `${databaseFile}-wal`, `${databaseFile}-shm`];
}

/** Who the gateway runs as (defaults: the current process). */
export interface StateOwner {
  uid: number;
  gid: number;
}

/** Options of {@link checkStateDir}. */
export interface CheckStateDirOptions {
  stateDir: string;
  /** Config file actually used (may live outside the state dir); checked like the state files. */
  configPath?: string | undefined;
  /** Plugin module files to check (absolute paths). */
  pluginFiles?: ReadonlyArray<string>;
  /** Owner to expect; default the current process's uid/gid. */
  owner?: StateOwner;
  /**
   * Tighten a too-open dir (to 0700) and database files (to 0600) owned by us and writable by
   * nobody else; default true. With false they are refused instead.
   */
  tighten?: boolean;
}

function currentOwner(): StateOwner {
  return { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
}

function octal(mode: number): string {
  return (mode & 0o777).toString(8).padStart(3, '0');
}

function refuse(path: string, problem: string, fix: string): never {
  throw new GatewayError('invalid_config', `unsafe state: ${path} ${problem}; fix: ${fix}`, { field: path });
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function checkOwnedNotWritable(path: string, stats: Stats, owner: StateOwner): void {
  if (stats.uid !== owner.uid) {
    refuse(
      path,
      `is owned by uid ${stats.uid}, not the gateway's user (uid ${owner.uid})`,
      `chown ${owner.uid} ${path} (or run the gateway as its owner)`,
    );
  }
  if ((stats.mode & 0o022) !== 0) {
    refuse(path, `is writable by group or others (mode ${octal(stats.mode)})`, `chmod go-w ${path} after checking nobody changed it`);
  }
}

/**
 * Check the state dir and the files in it before anything is read from them. Throws
 * `GatewayError('invalid_config')` whose message names the path and the fix; `field` is the path.
 *
 * - dir: must be a directory owned by the gateway's user, not group/other-writable; tightened to 0700.
 * - `token`: if present, a regular file (not a symlink), ours, mode without group/other bits.
 * - config, plugin files: ours (the symlink and its target), not group/other-writable.
 * - `pincer.db`, `-wal`, `-shm`: regular files, ours, not group/other-writable; tightened to 0600.
 */
export function checkStateDir(options: CheckStateDirOptions): void {
  const owner = options.owner ?? currentOwner();
  const tighten = options.tighten ?? true;
  const stateDir = resolve(options.stateDir);
  let dirStats: Stats;
  try {
    dirStats = statSync(stateDir);
  } catch (error) {
    refuse(stateDir, `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`, `mkdir -m 700 ${stateDir}`);
  }
  if (!dirStats.isDirectory()) refuse(stateDir, 'is not a directory', `remove it or pass another --state-dir`);
  checkOwnedNotWritable(stateDir, dirStats, owner);
  if ((dirStats.mode & 0o077) !== 0) {
    if (!tighten) refuse(stateDir, `is accessible by group or others (mode ${octal(dirStats.mode)})`, `chmod 700 ${stateDir}`);
    chmodSync(stateDir, 0o700);
  }

  const tokenFile = join(stateDir, STATE_FILES.token);
  const tokenStats = lstatOrUndefined(tokenFile);
  if (tokenStats) {
    if (tokenStats.isSymbolicLink()) refuse(tokenFile, 'is a symlink', `rm ${tokenFile} (a new token is generated on start)`);
    if (!tokenStats.isFile()) refuse(tokenFile, 'is not a regular file', `rm -r ${tokenFile} (a new token is generated on start)`);
    checkOwnedNotWritable(tokenFile, tokenStats, owner);
    if ((tokenStats.mode & 0o077) !== 0) {
      refuse(
        tokenFile,
        `is readable by group or others (mode ${octal(tokenStats.mode)}), so it may have leaked`,
        `rm ${tokenFile} to rotate it (a new one is generated on start with mode 0600)`,
      );
    }
  }

  const configFiles = [join(stateDir, STATE_FILES.config), ...(options.configPath ? [resolve(options.configPath)] : [])];
  for (const file of [...new Set([...configFiles, ...(options.pluginFiles ?? []).map((path) => resolve(path))])]) {
    const linkStats = lstatOrUndefined(file);
    if (!linkStats) continue;
    checkOwnedNotWritable(file, linkStats, owner);
    if (linkStats.isSymbolicLink()) {
      const targetStats = statSync(file);
      checkOwnedNotWritable(`${file} (symlink target)`, targetStats, owner);
    }
  }

  for (const file of databaseFiles(join(stateDir, STATE_FILES.database))) {
    const stats = lstatOrUndefined(file);
    if (!stats) continue;
    if (!stats.isFile()) refuse(file, 'is not a regular file (symlink or other)', `move it away and restore the database from a backup`);
    checkOwnedNotWritable(file, stats, owner);
    if ((stats.mode & 0o077) !== 0) {
      if (!tighten) refuse(file, `is accessible by group or others (mode ${octal(stats.mode)})`, `chmod 600 ${file}`);
      chmodSync(file, 0o600);
    }
  }
}

/**
 * Refuse a file (and, for a symlink, its target) that another user owns or that group or others
 * can write: plugin modules and other code or config the gateway loads.
 */
export function checkOwnedFile(file: string, owner: StateOwner = currentOwner()): void {
  const linkStats = lstatOrUndefined(file);
  if (!linkStats) return;
  checkOwnedNotWritable(file, linkStats, owner);
  if (linkStats.isSymbolicLink()) checkOwnedNotWritable(`${file} (symlink target)`, statSync(file), owner);
}

/** Set the database and its side files to 0600 (call after opening: SQLite creates them 0644 & ~umask). */
export function tightenDatabaseModes(databaseFile: string): void {
  for (const file of databaseFiles(databaseFile)) {
    const stats = lstatOrUndefined(file);
    if (stats?.isFile() && (stats.mode & 0o077) !== 0) chmodSync(file, 0o600);
  }
}

/** Options of {@link checkPluginModulePath}. */
export interface PluginPathOptions {
  stateDir: string;
  /** Directory of the config file, when one is used. */
  configDir?: string | undefined;
  /** Operator opt-in for modules elsewhere (config `plugins[i].allowOutsideStateDir`). */
  isOutsideAllowed?: boolean;
  /** JSON path for the error (e.g. `plugins[0].module`). */
  field?: string;
}

function isInside(parent: string, child: string): boolean {
  const path = relative(parent, child);
  return path === '' || (!path.startsWith('..') && !isAbsolute(path));
}

/**
 * A plugin module file must live inside the state dir or the config's directory unless the
 * operator opted in. Bare package specifiers (no `/`, not starting with `.`) resolve through
 * node_modules and are allowed. Throws `GatewayError('invalid_config')` naming the field.
 */
export function checkPluginModulePath(modulePath: string, options: PluginPathOptions): void {
  const isFilePath = isAbsolute(modulePath) || modulePath.startsWith('.') || modulePath.startsWith('file:');
  if (!isFilePath || options.isOutsideAllowed === true) return;
  const base = options.configDir ?? options.stateDir;
  const absolute = resolve(base, modulePath.startsWith('file:') ? new URL(modulePath).pathname : modulePath);
  const roots = [resolve(options.stateDir), ...(options.configDir ? [resolve(options.configDir)] : [])];
  if (roots.some((root) => isInside(root, absolute))) return;
  throw new GatewayError(
    'invalid_config',
    `plugin module ${absolute} is outside the state dir and the config's directory; move it there or set "security": { "allowPluginsOutsideStateDir": true }`,
    { field: options.field ?? 'plugins' },
  );
}
