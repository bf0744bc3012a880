import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Resolve the state directory: explicit, else `PINCER_STATE_DIR`, else `~/.pincer`. */
export function resolveStateDir(explicit?: string): string {
  const dir = explicit ?? process.env.PINCER_STATE_DIR ?? join(homedir(), '.pincer');
  return resolve(dir);
}

/** Create the state dir (mode 0700) if missing. */
export function ensureStateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/** Resolve the config path: explicit, else `PINCER_CONFIG`, else `<stateDir>/pincer.config.json` if present. */
export function resolveConfigPath(stateDir: string, explicit?: string): string | undefined {
  if (explicit) return resolve(explicit);
  if (process.env.PINCER_CONFIG) return resolve(process.env.PINCER_CONFIG);
  const candidate = join(stateDir, 'pincer.config.json');
  return existsSync(candidate) ? candidate : undefined;
}

/**
 * The bearer token: explicit, else `PINCER_GATEWAY_TOKEN`, else `<stateDir>/token`
 * (generated on first start, 32 random bytes hex, file mode 0600).
 */
export function loadOrCreateToken(stateDir: string, explicit?: string): string {
  const fromEnv = explicit ?? process.env.PINCER_GATEWAY_TOKEN;
  if (fromEnv && fromEnv.trim() !== '') return fromEnv.trim();
  const file = join(stateDir, 'token');
  if (existsSync(file)) {
    const stored = readFileSync(file, 'utf8').trim();
    if (stored !== '') {
      chmodSync(file, 0o600);
      return stored;
    }
  }
  const token = randomBytes(32).toString('hex');
  const temporaryFile = `${file}.${process.pid}.tmp`;
  writeFileSync(temporaryFile, `${token}\n`, { mode: 0o600 });
  renameSync(temporaryFile, file);
  chmodSync(file, 0o600);
  return token;
}

/** Contents of `<stateDir>/gateway.json`, the discovery file the CLI reads. */
export interface DiscoveryFile {
  url: string;
  port: number;
  pid: number;
  startedAt: number;
}

/** Write the discovery file atomically (mode 0600). */
export function writeDiscovery(stateDir: string, info: DiscoveryFile): void {
  const file = join(stateDir, 'gateway.json');
  const temporaryFile = `${file}.${process.pid}.tmp`;
  writeFileSync(temporaryFile, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporaryFile, file);
}

/** Remove the discovery file if it still names this process. */
export function removeDiscovery(stateDir: string): void {
  const file = join(stateDir, 'gateway.json');
  try {
    const info = JSON.parse(readFileSync(file, 'utf8')) as Partial<DiscoveryFile>;
    if (info.pid === process.pid) rmSync(file, { force: true });
  } catch {
    // absent or unreadable: nothing to remove
  }
}
