#!/usr/bin/env node
// `pnpm lint:openapi`: starts the built gateway (apps/gateway/dist/main.js) on an ephemeral
// loopback port with a throw-away state dir, fetches its OpenAPI document, writes it to a temp
// file and runs `redocly lint` on it with the repo's redocly.yaml. Exits with redocly's code
// (non-zero on any error); the gateway and the temp dir are always cleaned up.
//
// Robust to how the gateway produces the document: it tries each path in OPENAPI_PATHS (or the
// one in PINCER_OPENAPI_PATH), without and then with the bearer token.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const gatewayMain = join(root, 'apps', 'gateway', 'dist', 'main.js');
const OPENAPI_PATHS = process.env.PINCER_OPENAPI_PATH
  ? [process.env.PINCER_OPENAPI_PATH]
  : ['/openapi.json', '/v1/openapi.json', '/documentation/json'];
const LISTEN_TIMEOUT_MS = 30_000;
const FETCH_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 10_000;

/** The redocly executable from the root devDependency (no network, no npx download). */
function redoclyBin() {
  const require = createRequire(import.meta.url);
  const manifestPath = require.resolve('@redocly/cli/package.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  return join(dirname(manifestPath), manifest.bin.redocly);
}

/** The environment without the caller's PINCER_* variables (the lint must not see a real gateway). */
function cleanEnv() {
  const env = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('PINCER_')) env[name] = value;
  return env;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function startGateway(stateDir) {
  const child = spawn(process.execPath, [gatewayMain, '--port', '0', '--host', '127.0.0.1', '--state-dir', stateDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: cleanEnv(),
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk.toString()));
  child.stderr.on('data', (chunk) => (output += chunk.toString()));
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  const deadline = Date.now() + LISTEN_TIMEOUT_MS;
  const listening = () => /listening on (http:\/\/\S+)/.exec(output);
  while (!listening()) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the gateway exited before listening:\n${output}`);
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the gateway did not listen within ${LISTEN_TIMEOUT_MS} ms:\n${output}`);
    }
    await sleep(25);
  }
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  };
  return { url: listening()[1].replace(/\/$/, ''), stop, output: () => output };
}

async function fetchDocument(baseUrl, stateDir) {
  const tokenFile = join(stateDir, 'token');
  const token = existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : undefined;
  const attempts = [];
  for (const path of OPENAPI_PATHS) {
    for (const headers of [{}, ...(token ? [{ authorization: `Bearer ${token}` }] : [])]) {
      const response = await fetch(`${baseUrl}${path}`, { headers, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
      const text = await response.text();
      attempts.push(`${path}${headers.authorization ? ' (with token)' : ''}: HTTP ${response.status}`);
      if (response.status === 401 || response.status === 403) continue;
      if (response.status !== 200) break;
      let document;
      try {
        document = JSON.parse(text);
      } catch {
        attempts.push(`${path}: not JSON`);
        break;
      }
      if (typeof document?.openapi !== 'string' && typeof document?.swagger !== 'string') {
        attempts.push(`${path}: JSON without an "openapi" version field`);
        break;
      }
      return { path, document };
    }
  }
  throw new Error(`no OpenAPI document found on the gateway:\n  ${attempts.join('\n  ')}`);
}

async function main() {
  if (!existsSync(gatewayMain)) {
    console.error('lint-openapi: apps/gateway/dist/main.js is missing: run `pnpm build` first.');
    return 1;
  }
  const workDir = mkdtempSync(join(tmpdir(), 'pincer-openapi-lint-'));
  const stateDir = join(workDir, 'state');
  let gateway;
  try {
    // The gateway refuses a state dir other users can read: give it a 0700 one.
    mkdirSync(stateDir, { mode: 0o700 });
    chmodSync(stateDir, 0o700);
    gateway = await startGateway(stateDir);
    const { path, document } = await fetchDocument(gateway.url, stateDir);
    const documentFile = join(workDir, 'openapi.json');
    writeFileSync(documentFile, `${JSON.stringify(document, null, 2)}\n`);
    const operations = Object.values(document.paths ?? {}).reduce(
      (count, item) => count + Object.keys(item ?? {}).filter((key) => /^(get|put|post|delete|patch|head|options)$/.test(key)).length,
      0,
    );
    console.log(`lint-openapi: ${path} from the gateway: OpenAPI ${document.openapi ?? document.swagger}, ${operations} operations`);
    const lint = spawnSync(
      process.execPath,
      [redoclyBin(), 'lint', documentFile, '--config', join(root, 'redocly.yaml'), '--format', 'stylish'],
      {
        cwd: root,
        stdio: 'inherit',
        env: {
          ...process.env,
          REDOCLY_TELEMETRY: 'off',
          REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true',
          NO_UPDATE_NOTIFIER: '1',
        },
      },
    );
    if (lint.error) throw lint.error;
    return lint.status ?? 1;
  } catch (error) {
    console.error(`lint-openapi: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    await gateway?.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
