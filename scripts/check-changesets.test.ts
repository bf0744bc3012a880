import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkChangesets, isReleasedSource, parseChangesetPackages } from './check-changesets.mjs';

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'check-changesets.mjs');

let repoRoot: string;

function git(...args: string[]): string {
  return execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8' }).trim();
}

function write(path: string, text: string): void {
  mkdirSync(dirname(join(repoRoot, path)), { recursive: true });
  writeFileSync(join(repoRoot, path), text);
}

function commit(message: string): string {
  git('add', '-A');
  git('commit', '-q', '--allow-empty', '-m', message);
  return git('rev-parse', 'HEAD');
}

function changeset(slug: string, packages: Record<string, string>): void {
  const lines = Object.entries(packages).map(([name, bump]) => `"${name}": ${bump}`);
  write(`.changeset/${slug}.md`, `---\n${lines.join('\n')}\n---\n\nA change.\n`);
}

function missingNames(baseRef?: string): string[] {
  return checkChangesets({ repoRoot, ...(baseRef ? { baseRef } : {}) }).missing.map((pkg: { name: string }) => pkg.name);
}

beforeEach(() => {
  repoRoot = mkdtempSync(join(tmpdir(), 'pincer-changeset-check-'));
  git('init', '-q', '-b', 'main');
  git('config', 'user.email', 'test@example.invalid');
  git('config', 'user.name', 'Test');
  git('config', 'commit.gpgsign', 'false');
  write('.changeset/config.json', JSON.stringify({ ignore: ['@demo/ignored'] }));
  write('.changeset/README.md', '# Changesets\n');
  write('packages/alpha/package.json', JSON.stringify({ name: '@demo/alpha', version: '0.0.0' }));
  write('packages/alpha/src/index.ts', 'export const alpha = 1;\n');
  write('packages/ignored/package.json', JSON.stringify({ name: '@demo/ignored', version: '0.0.0' }));
  write('packages/ignored/src/index.ts', 'export const ignored = 1;\n');
  write('apps/beta/package.json', JSON.stringify({ name: '@demo/beta', version: '0.0.0' }));
  write('apps/beta/src/main.ts', 'export const beta = 1;\n');
});

afterEach(() => {
  rmSync(repoRoot, { recursive: true, force: true });
});

describe('parseChangesetPackages', () => {
  it('reads double-quoted, single-quoted and bare names with their bumps', () => {
    const text = `---\n"@pincer/cli": minor\n'@pincer/gateway': patch\nplain-name: major\n---\n\nBody "@pincer/other": minor\n`;
    expect(parseChangesetPackages(text)).toEqual(['@pincer/cli', '@pincer/gateway', 'plain-name']);
  });

  it('names nothing for an empty changeset, a file without frontmatter or an unknown bump', () => {
    expect(parseChangesetPackages('---\n---\n\nNo release.\n')).toEqual([]);
    expect(parseChangesetPackages('"@pincer/cli": minor\n')).toEqual([]);
    expect(parseChangesetPackages('---\n"@pincer/cli": huge\n---\n')).toEqual([]);
  });
});

describe('isReleasedSource', () => {
  it('counts src/ files of the package and not its tests, test/ folder or other packages', () => {
    expect(isReleasedSource('packages/alpha/src/index.ts', 'packages/alpha')).toBe(true);
    expect(isReleasedSource('packages/alpha/src/index.test.ts', 'packages/alpha')).toBe(false);
    expect(isReleasedSource('packages/alpha/src/types.test-d.ts', 'packages/alpha')).toBe(false);
    expect(isReleasedSource('packages/alpha/test/flow.test.ts', 'packages/alpha')).toBe(false);
    expect(isReleasedSource('packages/alpha/README.md', 'packages/alpha')).toBe(false);
    expect(isReleasedSource('packages/alphabet/src/index.ts', 'packages/alpha')).toBe(false);
  });
});

describe('checkChangesets before the first release', () => {
  it('reports every package whose source exists without a changeset, except ignored ones', () => {
    commit('initial');
    expect(missingNames()).toEqual(['@demo/beta', '@demo/alpha']);
  });

  it('passes once each changed package is named by a pending changeset', () => {
    changeset('alpha-initial', { '@demo/alpha': 'minor' });
    changeset('beta-initial', { '@demo/beta': 'minor' });
    commit('initial');
    expect(missingNames()).toEqual([]);
  });

  it('does not accept a changeset that names another package', () => {
    changeset('both', { '@demo/beta': 'minor', '@demo/other': 'patch' });
    commit('initial');
    expect(missingNames()).toEqual(['@demo/alpha']);
  });
});

describe('checkChangesets after a release', () => {
  beforeEach(() => {
    changeset('alpha-initial', { '@demo/alpha': 'minor' });
    changeset('beta-initial', { '@demo/beta': 'minor' });
    commit('initial');
    // What `changeset version` does: consume the changesets, bump, write changelogs.
    unlinkSync(join(repoRoot, '.changeset/alpha-initial.md'));
    unlinkSync(join(repoRoot, '.changeset/beta-initial.md'));
    write('packages/alpha/CHANGELOG.md', '# @demo/alpha\n\n## 0.1.0\n');
    commit('Version Packages');
  });

  it('passes when nothing changed since the release', () => {
    expect(checkChangesets({ repoRoot }).changed).toEqual([]);
  });

  it('reports a source change made after the release, and only that package', () => {
    write('packages/alpha/src/index.ts', 'export const alpha = 2;\n');
    commit('alpha: change');
    const result = checkChangesets({ repoRoot });
    expect(result.missing).toEqual([{ name: '@demo/alpha', dir: 'packages/alpha', files: ['packages/alpha/src/index.ts'] }]);
  });

  it('ignores test-only, README and test/ changes', () => {
    write('packages/alpha/src/index.test.ts', 'it.todo("x");\n');
    write('packages/alpha/test/flow.test.ts', 'it.todo("y");\n');
    write('packages/alpha/README.md', '# alpha\n');
    commit('alpha: tests and docs');
    expect(missingNames()).toEqual([]);
  });

  it('counts uncommitted and untracked source files', () => {
    write('apps/beta/src/main.ts', 'export const beta = 2;\n');
    write('apps/beta/src/new-file.ts', 'export const fresh = 1;\n');
    const result = checkChangesets({ repoRoot });
    expect(result.missing.map((pkg: { files: string[] }) => pkg.files)).toEqual([['apps/beta/src/main.ts', 'apps/beta/src/new-file.ts']]);
    changeset('beta-fix', { '@demo/beta': 'patch' });
    expect(missingNames()).toEqual([]);
  });
});

describe('checkChangesets --base (pull-request form)', () => {
  it('counts only changesets added since the merge base', () => {
    changeset('alpha-old', { '@demo/alpha': 'minor' });
    changeset('beta-old', { '@demo/beta': 'minor' });
    commit('initial');
    git('branch', 'base-branch');
    write('packages/alpha/src/index.ts', 'export const alpha = 3;\n');
    commit('alpha: change on a branch');
    // The pending alpha-old changeset predates the branch: it does not cover this change.
    expect(missingNames('base-branch')).toEqual(['@demo/alpha']);
    changeset('alpha-new', { '@demo/alpha': 'patch' });
    commit('alpha: changeset');
    expect(missingNames('base-branch')).toEqual([]);
  });
});

describe('the command', () => {
  it('exits 1 naming the package and the fix, and 0 once covered', () => {
    commit('initial');
    const failing = spawnSync(process.execPath, [SCRIPT], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: { ...process.env, CHANGESET_BASE: '' },
    });
    expect(failing.status).toBe(1);
    expect(failing.stderr).toContain('@demo/alpha: packages/alpha/src/index.ts');
    expect(failing.stderr).toContain('pnpm changeset');
    changeset('all', { '@demo/alpha': 'minor', '@demo/beta': 'minor' });
    const passing = spawnSync(process.execPath, [SCRIPT], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: { ...process.env, CHANGESET_BASE: '' },
    });
    expect(passing.stdout).toContain('ok      @demo/alpha');
    expect(passing.status).toBe(0);
  });

  it('exits 2 with a clear message for an unknown base ref', () => {
    commit('initial');
    const result = spawnSync(process.execPath, [SCRIPT, '--base', 'no-such-ref'], { cwd: repoRoot, encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^check-changesets: /);
  });
});
