#!/usr/bin/env node
// `pnpm changeset:check`: fails when a package's source changed without a pending changeset
// naming that package.
//
// The rule: every change to a package's `src/` (tests beside the sources excluded) since the
// last release must be covered by a pending `.changeset/*.md` whose frontmatter names the
// package. "The last release" is the last commit that consumed changesets, i.e. deleted a
// `.changeset/*.md` file (what `changeset version` does); before the first release it is the
// start of history. This works on a fresh clone of main in CI, with no remote and no base ref.
//
// `--base <ref>` (or CHANGESET_BASE=<ref>) is the pull-request form: it checks the changes since
// the merge base with <ref>, and only changesets added or edited since then count.
//
// Uncommitted and untracked files count as changes (so the check can be run before committing).
// Packages: every workspace folder under packages/ and apps/ with a package.json, minus the
// changesets config's `ignore` list.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Workspace folders whose packages the check covers. */
export const PACKAGE_FOLDERS = ['packages', 'apps'];
/** git's empty tree: the base before the first commit. */
const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

function git(cwd, args) {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

function lines(text) {
  return text === '' ? [] : text.split('\n').filter((line) => line !== '');
}

/** The packages the check covers: `{ name, dir }` with `dir` relative to the repo root (posix). */
export function listPackages(repoRoot) {
  const ignored = new Set(readChangesetConfig(repoRoot).ignore ?? []);
  const packages = [];
  for (const folder of PACKAGE_FOLDERS) {
    const folderPath = join(repoRoot, folder);
    if (!existsSync(folderPath)) continue;
    for (const entry of readdirSync(folderPath, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const manifestPath = join(folderPath, entry.name, 'package.json');
      if (!existsSync(manifestPath)) continue;
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
      if (typeof manifest.name !== 'string' || ignored.has(manifest.name)) continue;
      packages.push({ name: manifest.name, dir: `${folder}/${entry.name}` });
    }
  }
  return packages.sort((left, right) => left.dir.localeCompare(right.dir));
}

function readChangesetConfig(repoRoot) {
  const configPath = join(repoRoot, '.changeset', 'config.json');
  return existsSync(configPath) ? JSON.parse(readFileSync(configPath, 'utf8')) : {};
}

/** True for a file whose change needs a changeset: under `<package>/src/`, not a test. */
export function isReleasedSource(path, packageDir) {
  if (!path.startsWith(`${packageDir}/src/`)) return false;
  return !/\.(test|spec|test-d)\.[cm]?[jt]sx?$/.test(path) && !/\/__tests__\//.test(path);
}

/**
 * The package names a changeset file's frontmatter releases (`"@scope/name": minor`).
 * An empty frontmatter (`changeset --empty`) names none.
 */
export function parseChangesetPackages(text) {
  const match = /^---\r?\n([\s\S]*?)\r?\n?---/.exec(text.replace(/^\uFEFF/, ''));
  if (!match) return [];
  const names = [];
  for (const line of match[1].split(/\r?\n/)) {
    const entry = /^\s*(["']?)([^"':\s][^"':]*?)\1\s*:\s*(major|minor|patch|none)\s*$/.exec(line);
    if (entry) names.push(entry[2]);
  }
  return names;
}

/** The base commit of the default mode: the last commit that deleted a changeset, or the empty tree. */
export function lastReleaseCommit(repoRoot) {
  const commit = git(repoRoot, ['log', '-1', '--diff-filter=D', '--format=%H', '--', '.changeset/*.md']);
  return commit === '' ? undefined : commit;
}

/** Files changed between `base` and the working tree, untracked files included (repo-relative). */
function changedFiles(repoRoot, base, pathspecs) {
  const tracked = lines(git(repoRoot, ['diff', '--name-only', '--no-renames', base, '--', ...pathspecs]));
  const untracked = lines(git(repoRoot, ['ls-files', '--others', '--exclude-standard', '--', ...pathspecs]));
  return [...new Set([...tracked, ...untracked])].sort();
}

/**
 * Run the check. Returns `{ base, mode, packages, changed, missing }`: `missing` lists the packages
 * whose source changed with no pending changeset naming them, each with its changed files.
 */
export function checkChangesets({ repoRoot, baseRef } = {}) {
  const root = resolve(repoRoot ?? git(process.cwd(), ['rev-parse', '--show-toplevel']));
  const mode = baseRef ? 'since-base' : 'since-release';
  let base;
  if (baseRef) {
    base = git(root, ['merge-base', baseRef, 'HEAD']);
  } else {
    base = lastReleaseCommit(root) ?? EMPTY_TREE;
  }
  const packages = listPackages(root);
  const sourceChanges = changedFiles(
    root,
    base,
    PACKAGE_FOLDERS.map((folder) => `${folder}/`),
  );
  // Pending changesets: every one in the working tree (since-release), or only those added or
  // edited since the base (since-base).
  const changesetDir = join(root, '.changeset');
  const pendingFiles = existsSync(changesetDir)
    ? readdirSync(changesetDir)
        .filter((name) => name.endsWith('.md') && name.toLowerCase() !== 'readme.md')
        .map((name) => `.changeset/${name}`)
    : [];
  const counted = mode === 'since-base' ? new Set(changedFiles(root, base, ['.changeset/'])) : new Set(pendingFiles);
  const named = new Set();
  for (const file of pendingFiles) {
    if (!counted.has(file)) continue;
    for (const name of parseChangesetPackages(readFileSync(join(root, file), 'utf8'))) named.add(name);
  }
  const changed = [];
  const missing = [];
  for (const pkg of packages) {
    const files = sourceChanges.filter((path) => isReleasedSource(path, pkg.dir));
    if (files.length === 0) continue;
    changed.push({ ...pkg, files });
    if (!named.has(pkg.name)) missing.push({ ...pkg, files });
  }
  return { base: base === EMPTY_TREE ? undefined : base, mode, packages, changed, missing };
}

function parseArguments(argv) {
  let baseRef = process.env.CHANGESET_BASE || undefined;
  for (let index = 0; index < argv.length; index += 1) {
    const argument = argv[index];
    if (argument === '--base') baseRef = argv[++index];
    else if (argument.startsWith('--base=')) baseRef = argument.slice('--base='.length);
    else throw new Error(`unknown argument ${argument} (usage: check-changesets [--base <ref>])`);
  }
  if (baseRef === '') throw new Error('--base needs a git ref');
  return { baseRef };
}

function main() {
  let result;
  try {
    result = checkChangesets(parseArguments(process.argv.slice(2)));
  } catch (error) {
    const message = error instanceof Error ? error.stderr?.toString().trim() || error.message : String(error);
    console.error(`check-changesets: ${message}`);
    return 2;
  }
  const since =
    result.mode === 'since-base'
      ? `the merge base ${result.base.slice(0, 12)}`
      : result.base
        ? `the last release (${result.base.slice(0, 12)}, the last commit that consumed changesets)`
        : 'the first commit (nothing released yet)';
  console.log(`check-changesets: source changes since ${since} in ${result.changed.length} of ${result.packages.length} packages`);
  for (const pkg of result.changed) {
    const covered = !result.missing.includes(pkg);
    console.log(`  ${covered ? 'ok     ' : 'MISSING'} ${pkg.name} (${pkg.files.length} file${pkg.files.length === 1 ? '' : 's'})`);
  }
  if (result.missing.length === 0) return 0;
  console.error('\nThese packages changed without a pending changeset naming them:');
  for (const pkg of result.missing) {
    const shown = pkg.files.slice(0, 5).join(', ');
    console.error(`  ${pkg.name}: ${shown}${pkg.files.length > 5 ? `, … (${pkg.files.length} files)` : ''}`);
  }
  console.error('\nAdd one with `pnpm changeset` (or a .changeset/<slug>.md naming the package and its bump).');
  return 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main();
