/**
 * Headless Chromium for the console's end-to-end tests: Debian's `chromium` driven by
 * playwright-core (no browser download). Missing browser: the suites skip with the reason,
 * except under CI=true, where they fail (CI must install chromium).
 */
import { accessSync, constants, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** The browser binary (`PINCER_CHROMIUM` overrides). */
export const CHROMIUM_PATH = process.env.PINCER_CHROMIUM ?? '/usr/bin/chromium';

/** The console's build, which the gateway serves. */
export const CONSOLE_DIST = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');

/** Where screenshots go (gitignored; CI keeps it as an artifact). */
export const ARTIFACTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'test-results');

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Why the browser tests cannot run here, or undefined when they can. */
export function browserUnavailableReason(): string | undefined {
  try {
    accessSync(CHROMIUM_PATH, constants.X_OK);
    return undefined;
  } catch {
    return `no executable Chromium at ${CHROMIUM_PATH} (Debian: apt-get install -y chromium; or set PINCER_CHROMIUM)`;
  }
}

/** True when the browser suites must run (CI=true): a missing browser is then a failure, not a skip. */
export const isBrowserRequired = process.env.CI === 'true' || process.env.CI === '1';

/** Fails when the console was not built (never skips). */
export function requireBuiltConsole(): void {
  if (!existsSync(join(CONSOLE_DIST, 'index.html')))
    throw new Error('Build the console first (pnpm build): apps/console/dist/index.html is missing');
}

/** A browser with a fresh profile, and what every page of it requested. */
export interface TestBrowser {
  context: BrowserContext;
  /** Every URL any page requested. */
  requests: string[];
  /** Console messages about Content-Security-Policy violations (should stay empty). */
  cspViolations: string[];
  newPage(viewport?: { width: number; height: number }): Promise<Page>;
  close(): Promise<void>;
}

/** Launch Chromium with a temp user-data dir. */
export async function launchBrowser(): Promise<TestBrowser> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'pincer-console-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 860 },
    timeout: 60_000,
  });
  const requests: string[] = [];
  const cspViolations: string[] = [];
  const watch = (page: Page) => {
    page.on('request', (request) => requests.push(request.url()));
    page.on('console', (message) => {
      if (/Content[- ]Security[- ]Policy/i.test(message.text())) cspViolations.push(message.text());
    });
  };
  context.pages().forEach(watch);
  context.on('page', watch);
  return {
    context,
    requests,
    cspViolations,
    async newPage(viewport) {
      const page = await context.newPage();
      if (viewport) await page.setViewportSize(viewport);
      return page;
    },
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
