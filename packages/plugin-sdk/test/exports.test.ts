import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

// Exports discipline, checked the way a consumer meets it: a separate Node process resolving the
// packages through node_modules and their `exports` maps (needs `pnpm --filter @pincer/plugin-sdk build`).
const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const consumerDir = resolve(packageDir, '../../examples/shell-watchdog');
const distDir = join(packageDir, 'dist');

beforeAll(() => {
  if (!existsSync(join(distDir, 'bash-sessions.d.ts'))) {
    throw new Error('dist/ is missing: run `pnpm --filter @pincer/plugin-sdk build` (the root `pnpm test` builds first).');
  }
});

const temporary: string[] = [];
afterEach(() => {
  for (const dir of temporary.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Runs an ESM snippet in a fresh Node process from `cwd`; returns its JSON output. */
function runNode(cwd: string, source: string): unknown {
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', source], { cwd, encoding: 'utf8', timeout: 20_000 });
  return JSON.parse(output);
}

/** For each specifier: `ok:<sorted export names>` or the error code of the failed import. */
function tryImports(cwd: string, specifiers: ReadonlyArray<string>): Record<string, string> {
  const source = `
    const out = {};
    for (const spec of ${JSON.stringify(specifiers)}) {
      try {
        const mod = await import(spec);
        out[spec] = 'ok:' + Object.keys(mod).sort().join(',');
      } catch (error) {
        out[spec] = error && error.code ? error.code : String(error);
      }
    }
    process.stdout.write(JSON.stringify(out));
  `;
  return runNode(cwd, source) as Record<string, string>;
}

const deepImports = [
  '@pincer/plugin-sdk/dist/index.js',
  '@pincer/plugin-sdk/dist/bash-sessions.js',
  '@pincer/plugin-sdk/dist/host.js',
  '@pincer/plugin-sdk/dist/testing.js',
  '@pincer/plugin-sdk/src/testing.ts',
  '@pincer/plugin-sdk/src/index.ts',
  '@pincer/plugin-sdk/src/host-binding.ts',
  '@pincer/plugin-sdk/src/bash-session-view.ts',
  '@pincer/process-registry/src/index.ts',
  '@pincer/process-registry/src/registry.ts',
  '@pincer/process-registry/dist/index.js',
];

describe('package exports', () => {
  it.each([
    ['a consumer package (examples/shell-watchdog)', consumerDir],
    ['the package itself (self-reference)', packageDir],
  ])('deep imports fail with ERR_PACKAGE_PATH_NOT_EXPORTED from %s', (_label, cwd) => {
    const results = tryImports(cwd, deepImports);
    for (const specifier of deepImports)
      expect({ specifier, code: results[specifier] }).toEqual({ specifier, code: 'ERR_PACKAGE_PATH_NOT_EXPORTED' });
  });

  it('exposes exactly the documented runtime names on each entry point', () => {
    const results = tryImports(consumerDir, [
      '@pincer/plugin-sdk',
      '@pincer/plugin-sdk/bash-sessions',
      '@pincer/plugin-sdk/host',
      '@pincer/plugin-sdk/testing',
    ]);
    const names = (spec: string) => (results[spec] ?? '').replace(/^ok:/, '').split(',');
    expect(names('@pincer/plugin-sdk')).toEqual([
      'PLUGIN_ID_MAX_LENGTH',
      'PluginSdkError',
      'ROUTE_PATH_MAX_LENGTH',
      'afterToolCallEventSchema',
      'beforeToolCallEventSchema',
      'beforeToolCallResultSchema',
      'definePlugin',
      'pluginCallerSchema',
      'pluginDefinitionSchema',
      'pluginHookNameSchema',
      'pluginIdSchema',
      'processExitEventSchema',
      'sessionStartEventSchema',
    ]);
    expect(names('@pincer/plugin-sdk/bash-sessions')).toEqual([
      'BASH_SESSION_ID_MAX_LENGTH',
      'PluginSdkError',
      'bashSessionIdSchema',
      'bashSessionKillResultSchema',
      'bashSessionSandboxStatusSchema',
      'bashSessionSnapshotSchema',
      'bashSessionStatusSchema',
      'finishedBashSessionSnapshotSchema',
      'finishedBashSessionStatusSchema',
      'killBashSession',
      'loadBashSessions',
    ]);
    expect(names('@pincer/plugin-sdk/host')).toEqual([
      'DEFAULT_HOOK_TIMEOUT_MS',
      'PLUGIN_ROUTE_PREFIX',
      'bindPluginHost',
      'bindPluginHostOptionsSchema',
      'createPluginHost',
      'pluginHostOptionsSchema',
    ]);
    expect(names('@pincer/plugin-sdk/testing')).toEqual(['createInMemoryBashRegistry', 'createTestHost']);
  });

  it('never offers spawning, stdin, output mutation or TTL changes on the bash-sessions surface', () => {
    const results = tryImports(consumerDir, ['@pincer/plugin-sdk/bash-sessions', '@pincer/plugin-sdk']);
    const exported = `${results['@pincer/plugin-sdk/bash-sessions']},${results['@pincer/plugin-sdk']}`;
    for (const forbidden of [
      'exec',
      'spawn',
      'write',
      'sendKeys',
      'paste',
      'submit',
      'append',
      'drain',
      'markExited',
      'setJobTtl',
      'clear',
      'remove',
    ]) {
      expect(exported.split(/[,:]/)).not.toContain(forbidden);
    }
  });
});

describe('public type declarations', () => {
  /** The .d.ts file and every relative .d.ts chunk it imports, transitively. */
  function declarationClosure(entry: string): Map<string, string> {
    const files = new Map<string, string>();
    const queue = [join(distDir, entry)];
    while (queue.length > 0 && files.size < 50) {
      const file = queue.shift() as string;
      if (files.has(file)) continue;
      const text = readFileSync(file, 'utf8');
      files.set(file, text);
      for (const match of text.matchAll(/from\s+'(\.[^']+)'/g)) {
        queue.push(join(dirname(file), (match[1] as string).replace(/\.js$/, '.d.ts')));
      }
    }
    return files;
  }

  it.each([['bash-sessions.d.ts'], ['index.d.ts'], ['host.d.ts'], ['testing.d.ts']])('%s references no process-registry type', (entry) => {
    const files = declarationClosure(entry);
    expect(files.size).toBeGreaterThan(0);
    for (const [file, text] of files) {
      // Type references can only enter through import/export specifiers or import() types;
      // JSDoc prose may name the registry, code may not.
      const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
      const specifiers = [...code.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map((m) => m[1] as string);
      expect({ file, external: specifiers.filter((s) => !s.startsWith('.')) }).toEqual({
        file,
        external: specifiers.filter((s) => s === 'zod'),
      });
      expect(code).not.toMatch(/\b(ChildProcess|ProcessRegistry|ProcessSnapshot|Writable|Readable|IPty|OutputChunk|process-registry)\b/);
    }
  });
});

describe('host binding across duplicate copies of the package', () => {
  it('a copy of the SDK sees the binding made through another copy, and its errors pass isInstance', () => {
    const copyRoot = mkdtempSync(join(packageDir, 'node_modules', '.tmp-sdk-copy-'));
    temporary.push(copyRoot);
    cpSync(distDir, join(copyRoot, 'dist'), { recursive: true });
    const hostUrl = pathToFileURL(join(distDir, 'host.js')).href;
    const copyUrl = pathToFileURL(join(copyRoot, 'dist', 'bash-sessions.js')).href;
    const output = runNode(
      packageDir,
      `
      const copy = await import(${JSON.stringify(copyUrl)});
      const host = await import(${JSON.stringify(hostUrl)});
      const original = await import('@pincer/plugin-sdk');
      const out = {};
      try { copy.loadBashSessions(); } catch (e) { out.before = e.code; }
      const record = { id: 'shared', pid: 1, scopeKey: 's', sessionKey: undefined, command: 'c', cwd: '/', startedAt: 1,
        endedAt: undefined, status: 'running', exitCode: null, signal: null, tail: '', truncated: false,
        sandbox: { isSandboxed: false, backend: undefined, reason: 'no sandbox configured' } };
      const unbind = host.bindPluginHost({ registry: { snapshot: () => ({ running: [record], finished: [] }), killById: async () => ({ status: 'not-found' }) } });
      out.during = copy.loadBashSessions().running.map((s) => s.id);
      out.kill = await copy.killBashSession('x');
      unbind();
      try { copy.loadBashSessions(); } catch (e) { out.after = e.code; out.isInstance = original.PluginSdkError.isInstance(e) && !(e instanceof original.PluginSdkError); }
      process.stdout.write(JSON.stringify(out));
    `,
    );
    expect(output).toEqual({ before: 'NO_HOST', during: ['shared'], kill: { status: 'not-found' }, after: 'NO_HOST', isInstance: true });
  });
});
