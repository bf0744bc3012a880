// The console in a real browser against the real built gateway: log in, watch sessions,
// transcripts and shell output live, kill a runaway and see its processes gone from /proc.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  disposeGateway,
  FAST_WAKE,
  makeStateDir,
  markedPids,
  startChildGateway,
  startedId,
  storyApi,
  until,
  type ChildGateway,
  type StateDir,
} from '../../../tests/support/harness.js';
import {
  ARTIFACTS_DIR,
  browserUnavailableReason,
  isBrowserRequired,
  launchBrowser,
  requireBuiltConsole,
  type TestBrowser,
} from './browser.js';

const unavailable = browserUnavailableReason();
if (unavailable && !isBrowserRequired) console.warn(`\n[console e2e] SKIPPED: ${unavailable}\n`);

/** A live (non-zombie) process at `pid`, from /proc. */
function isLive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

const shot = async (page: Page, name: string) => {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS_DIR, `${name}.png`), fullPage: true });
};

describe.skipIf(unavailable !== undefined && !isBrowserRequired)('console in headless Chromium', () => {
  let state: StateDir;
  let gateway: ChildGateway;
  let browser: TestBrowser;
  let api: ReturnType<typeof storyApi>;

  const login = async (page: Page, path = '/console/', token = gateway.token) => {
    await page.goto(`${gateway.url}${path}`);
    await page.getByLabel('Gateway token').fill(token);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('button', { name: 'Log out' }).waitFor();
  };

  beforeAll(async () => {
    if (unavailable) throw new Error(`CI=true but the browser tests cannot run: ${unavailable}`);
    requireBuiltConsole();
    state = makeStateDir({ wake: FAST_WAKE, agents: [{ id: 'main' }, { id: 'ops' }], defaultAgent: 'main' }, 'pincer-console-e2e-');
    gateway = await startChildGateway(state);
    api = storyApi(gateway);
    browser = await launchBrowser();
    await api.turn({ message: 'hello from main', sessionKey: 'console-one' });
    await api.turn({ message: 'hello from ops', agentId: 'ops', sessionKey: 'console-two' });
  });

  afterAll(async () => {
    await browser?.close();
    await disposeGateway(gateway, state);
  });

  it('serves the console without the API token, with a strict CSP, while the API still needs one', async () => {
    const page = await fetch(`${gateway.url}/console/sessions`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(page.headers.get('content-security-policy')).toContain("connect-src 'self'");
    expect(page.headers.get('content-security-policy')).not.toContain('unsafe-inline');
    expect(await page.text()).toContain('<div id="app">');
    expect((await fetch(`${gateway.url}/v1/sessions`)).status).toBe(401);
    expect((await fetch(`${gateway.url}/console/`, { method: 'POST' })).status).toBe(401);
  });

  it('logs in with the operator token, lists the sessions and filters them by agent and key', async () => {
    const page = await browser.newPage();
    await login(page);
    const table = page.getByTestId('sessions-table');
    await expect
      .poll(() => table.getByRole('link').allTextContents())
      .toEqual(expect.arrayContaining(['agent:main:console-one', 'agent:ops:console-two']));
    expect(await page.evaluate(() => sessionStorage.getItem('pincer.console.token'))).toBe(gateway.token);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    await page.getByLabel('Agent').selectOption('ops');
    await expect.poll(() => table.getByRole('link').allTextContents()).toEqual(['agent:ops:console-two']);
    await page.getByLabel('Agent').selectOption('');
    await page.getByLabel('Search by key').fill('console-one');
    await expect.poll(() => table.getByRole('link').allTextContents()).toEqual(['agent:main:console-one']);
    await page.getByLabel('Search by key').fill('');
    await shot(page, 'sessions');
    await page.setViewportSize({ width: 390, height: 844 });
    await shot(page, 'sessions-narrow');
    await page.close();
  });

  it('refuses a wrong token at the login form', async () => {
    const page = await browser.newPage();
    await page.goto(`${gateway.url}/console/`);
    await page.getByLabel('Gateway token').fill('0'.repeat(64));
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('refused');
    await shot(page, 'login');
    await page.close();
  });

  describe('under a session-scoped token', () => {
    const OWN = 'agent:main:console-one';
    let scoped: string;
    let ownShell: string;
    let foreignShell: string;

    beforeAll(async () => {
      ownShell = startedId((await api.turn({ message: 'run in background: sleep 300', sessionKey: 'console-one' })).reply);
      foreignShell = startedId(
        (await api.turn({ message: 'run in background: sleep 300', agentId: 'ops', sessionKey: 'console-two' })).reply,
      );
      // A dashboard's token: it may look at one session, never kill or write (no processes:kill, no cron:write).
      const minted = await gateway.api<{ token: string }>('POST', '/v1/tokens', {
        name: 'dashboard',
        sessionKey: OWN,
        capabilities: ['sessions:read', 'transcripts:read', 'processes:read', 'events:read', 'cron:read'],
      });
      expect(minted.status, minted.text).toBe(201);
      scoped = minted.body.token;
    });

    afterAll(async () => {
      // Leave no shell behind for the later /proc checks.
      for (const id of [ownShell, foreignShell]) if (id) await gateway.api('POST', `/v1/processes/${id}/kill`);
    });

    it('logs in with a session-scoped token and sees only that session, with nothing it may not do offered', async () => {
      const page = await browser.newPage();
      await login(page, '/console/', scoped);
      expect(await page.getByTestId('identity').textContent()).toBe(`Scoped: dashboard (session ${OWN})`);
      const table = page.getByTestId('sessions-table');
      await expect.poll(() => table.getByRole('link').allTextContents()).toEqual([OWN]);
      // The operator-only audit log is not offered; the pages it may read are.
      const nav = page.getByRole('navigation', { name: 'Console' });
      expect(await nav.getByRole('link').allTextContents()).toEqual(['Sessions', 'Shells', 'Cron', 'Status']);
      await shot(page, 'scoped-sessions');

      await nav.getByRole('link', { name: 'Shells' }).click();
      await page.locator(`tr[data-shell-id="${ownShell}"]`).getByText('running').waitFor();
      const listed = await page.locator('tr[data-shell-id]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-shell-id')));
      expect(listed).toContain(ownShell);
      expect(listed).not.toContain(foreignShell);
      for (const key of await page.getByTestId('shells-table').locator('td.key').allTextContents()) expect(key).toBe(OWN);
      // No processes:kill: no Kill button, even on its own running shell.
      expect(await page.getByRole('button', { name: /^Kill/ }).count()).toBe(0);
      await shot(page, 'scoped-shells');

      await page.goto(`${gateway.url}/console/sessions/${encodeURIComponent(OWN)}`);
      await page.getByRole('region', { name: 'Shells of this session' }).getByRole('link', { name: ownShell }).waitFor();
      // No agent:run: no message box; no kill in the session's shells either.
      expect(await page.getByLabel('Send a message to this session').count()).toBe(0);
      expect(await page.getByRole('button', { name: /^Kill/ }).count()).toBe(0);
      await page.close();
    });

    it('a foreign session\'s shell id typed into the URL shows "not found", exactly like a missing one', async () => {
      const page = await browser.newPage();
      await login(page, `/console/shells/${foreignShell}`, scoped);
      await page.getByRole('heading', { name: 'Not found' }).waitFor();
      const foreign = (await page.getByRole('status').filter({ hasText: 'was not found' }).textContent()) ?? '';
      expect(foreign).toContain(`Shell ${foreignShell} was not found`);
      await shot(page, 'scoped-foreign-shell');
      await page.goto(`${gateway.url}/console/shells/no-such-shell`);
      await page.getByRole('heading', { name: 'Not found' }).waitFor();
      const missing = (await page.getByRole('status').filter({ hasText: 'was not found' }).textContent()) ?? '';
      expect(foreign.replace(foreignShell, '<ID>')).toBe(missing.replace('no-such-shell', '<ID>'));
      // Its output is not shown either; the operator still sees the shell.
      expect(await page.getByTestId('shell-log').count()).toBe(0);
      expect((await gateway.api('GET', `/v1/processes/${foreignShell}/log`)).status).toBe(200);
      // The foreign session itself: not found too.
      await page.goto(`${gateway.url}/console/sessions/${encodeURIComponent('agent:ops:console-two')}`);
      await page.getByText('Session agent:ops:console-two was not found').waitFor();
      await page.close();
    });
  });

  it('streams a session transcript live and shows a background shell output as it is printed', async () => {
    const page = await browser.newPage();
    await login(page, '/console/sessions/agent%3Amain%3Aconsole-live');
    // The session does not exist yet: not found, then it appears once a turn ran in it.
    await page.getByText('was not found').waitFor();
    await api.turn({ message: 'first', sessionKey: 'console-live' });
    await page.reload();
    await expect.poll(() => page.getByTestId('stream-status').textContent()).toBe('Live');
    const run = await gateway.api<{ runId: string }>('POST', '/v1/agent', {
      message: 'run in background: for i in $(seq 1 60); do echo tick-$i; sleep 0.25; done',
      sessionKey: 'console-live',
    });
    expect(run.status).toBe(202);
    // No reload: the transcript updates from the SSE stream.
    await page
      .getByTestId('transcript')
      .getByText(/Started .* in the background as/)
      .waitFor({ timeout: 20_000 });
    const reply =
      (await page
        .getByTestId('transcript')
        .getByText(/in the background as/)
        .textContent()) ?? '';
    const shellId = startedId(reply);
    await page.getByRole('region', { name: 'Shells of this session' }).getByRole('link', { name: shellId }).waitFor();
    await shot(page, 'session');
    // A message typed into the session page runs a turn there; its reply streams in.
    await page.getByLabel('Send a message to this session').fill('typed in the console');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.getByTestId('transcript').getByText('[scripted] echo: typed in the console').waitFor({ timeout: 20_000 });

    // The live tail is a server-sent-events stream, not a poll.
    const streamRequest = page.waitForRequest((request) => request.url().includes(`/v1/processes/${shellId}/log/stream`));
    await page.getByRole('region', { name: 'Shells of this session' }).getByRole('link', { name: shellId }).click();
    await page.getByRole('heading', { name: `Shell ${shellId}` }).waitFor();
    await streamRequest;
    const log = page.getByTestId('shell-log');
    await log.getByText('tick-2').waitFor({ timeout: 20_000 });
    const early = (await log.textContent()) ?? '';
    // The output grows while the page stays open and the shell still runs.
    await until(
      async () => ((await log.textContent()) ?? '').split('\n').length >= early.split('\n').length + 3,
      'more log lines',
      20_000,
      100,
    );
    expect(await page.getByTestId('shell-status').textContent()).toBe('running');
    await page.getByRole('button', { name: 'Pause' }).click();
    await expect.poll(() => page.getByRole('button', { name: 'Follow' }).getAttribute('aria-pressed')).toBe('false');
    await shot(page, 'shell');
    await page.getByRole('button', { name: 'Follow' }).click();
    await log.getByText('tick-60').waitFor({ timeout: 30_000 });
    await expect.poll(() => page.getByTestId('shell-status').textContent(), { timeout: 10_000 }).toBe('completed');
    await page.close();
  });

  it('kills a runaway from the shells page after a confirmation, and its processes are gone from /proc', async () => {
    const started = await api.turn({
      message: 'run in background: for n in 1 2 3; do sleep 600 & done; echo runaway-ready; wait',
      sessionKey: 'console-runaway',
    });
    const shellId = startedId(started.reply);
    const before = await until(() => {
      const pids = markedPids(gateway.mark, [gateway.pid]);
      return pids.length >= 4 ? pids : undefined;
    }, 'the runaway shell and its three sleeps');
    const page = await browser.newPage();
    await login(page, '/console/shells?show=running');
    const row = page.locator(`tr[data-shell-id="${shellId}"]`);
    await row.getByRole('button', { name: `Kill shell ${shellId}` }).click();
    const dialog = page.getByRole('dialog', { name: `Kill shell ${shellId}?` });
    await dialog.waitFor();
    // The gateway counts the live tree when the dialog opens: the shell and its three sleeps at least.
    const scope = dialog.getByTestId('kill-scope');
    await expect.poll(() => scope.textContent(), { timeout: 10_000 }).toMatch(/^This ends \d+ process/);
    const shown = Number(/^This ends (\d+) process/.exec((await scope.textContent()) ?? '')?.[1]);
    expect(shown).toBeGreaterThanOrEqual(4);
    const tree = await gateway.api<{ processCount: number; pids: number[] }>('GET', `/v1/processes/${shellId}/tree`);
    expect(tree.body.processCount).toBe(shown);
    for (const pid of before) expect(tree.body.pids).toContain(pid);
    // Cancel has the focus first: Escape closes without killing.
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Cancel');
    await shot(page, 'kill-confirm');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect(markedPids(gateway.mark, [gateway.pid]).filter((pid) => before.includes(pid)).length).toBe(before.length);

    await row.getByRole('button', { name: `Kill shell ${shellId}` }).click();
    await dialog.getByRole('button', { name: 'Kill shell' }).click();
    await expect
      .poll(() => page.getByTestId('kill-outcome').textContent(), { timeout: 20_000 })
      .toMatch(new RegExp(`^Killed shell ${shellId}`));
    await until(() => markedPids(gateway.mark, [gateway.pid]).length === 0, 'every process of the runaway to be gone from /proc', 15_000);
    await until(() => tree.body.pids.every((pid) => !isLive(pid)), 'every counted process to be gone from /proc', 15_000);
    expect((await gateway.api<{ processCount: number }>('GET', `/v1/processes/${shellId}/tree`)).body.processCount).toBe(0);
    await page.goto(`${gateway.url}/console/shells`);
    await page.locator(`tr[data-shell-id="${shellId}"]`).getByText('killed').waitFor();
    await shot(page, 'shells');
    await page.close();
  });

  it('shows "not found" for an unknown shell id and an unknown session key typed into the URL', async () => {
    const page = await browser.newPage();
    await login(page, '/console/shells/no-such-shell');
    await page.getByRole('heading', { name: 'Not found' }).waitFor();
    expect(await page.getByRole('status').filter({ hasText: 'was not found' }).textContent()).toContain('Shell no-such-shell');
    await shot(page, 'shell-not-found');
    await page.goto(`${gateway.url}/console/sessions/${encodeURIComponent('agent:main:never-seen')}`);
    await page.getByText('Session agent:main:never-seen was not found').waitFor();
    await page.goto(`${gateway.url}/console/no/such/page`);
    await page.getByText('No console page at').waitFor();
    await page.close();
  });

  it('runs a cron job now and deletes it after a confirmation', async () => {
    const created = await gateway.api<{ id: string }>('POST', '/v1/cron', {
      sessionKey: 'console-one',
      text: 'check disk',
      every: '1h',
      name: 'disk-check',
    });
    expect(created.status).toBe(201);
    const page = await browser.newPage();
    await login(page, '/console/cron');
    const table = page.getByTestId('cron-table');
    await table.getByRole('button', { name: 'Run now disk-check' }).waitFor();
    await table.getByRole('button', { name: 'Run now disk-check' }).click();
    await page.getByText('Ran disk-check').waitFor();
    await until(
      async () => ((await gateway.api<{ runs: unknown[] }>('GET', `/v1/cron/${created.body.id}/runs`)).body.runs ?? []).length > 0,
      'a cron run',
    );
    await shot(page, 'cron');
    await table.getByRole('button', { name: 'Delete disk-check' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete job' }).click();
    await page.getByText('Deleted disk-check').waitFor();
    expect((await gateway.api('GET', `/v1/cron/${created.body.id}`)).status).toBe(404);
    await page.close();
  });

  it('shows the audit log of a gateway with scoped credentials, and the gateway status with its sandbox', async () => {
    const page = await browser.newPage();
    await login(page, '/console/audit');
    // The gateway has GET /v1/audit (issue 15): the records (the kills and deletes above) or, on a fresh gateway, none.
    await page.getByRole('region', { name: 'Audit records' }).or(page.getByText('No audit records.')).first().waitFor();
    expect(await page.getByTestId('audit-unavailable').count()).toBe(0);
    await shot(page, 'audit');
    await page.getByRole('link', { name: 'Status' }).click();
    await page.getByRole('heading', { name: 'Gateway status' }).waitFor();
    await page.getByText('Shells running').waitFor();
    // GET /v1/sandbox (issue 13) is reported: its backend is named.
    await page
      .locator('section', { has: page.getByRole('heading', { name: 'Sandbox' }) })
      .getByText('bwrap', { exact: false })
      .first()
      .waitFor();
    // The sandbox mode, what exec does with it and the limits shells get, from /v1/sandbox.
    const summary = page.locator('section', { has: page.getByRole('heading', { name: 'Sandbox mode and limits' }) });
    const sandbox = await gateway.api<{ mode: string; effect: string }>('GET', '/v1/sandbox');
    await summary.getByText('Max processes').waitFor();
    const facts = (await summary.textContent()) ?? '';
    expect(facts).toContain(`Mode${sandbox.body.mode}`);
    expect(facts).toContain(`Effect on shells${sandbox.body.effect}`);
    // No clustering: no nodes section unless /v1/status reports nodes.
    expect(await page.getByRole('heading', { name: 'Nodes' }).count()).toBe(0);
    await shot(page, 'status');
    await page.close();
  });

  it('is reachable by keyboard: skip link first, navigation by Tab and Enter, focus on the new heading', async () => {
    const page = await browser.newPage();
    await login(page);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Shells');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Shells', level: 1 }).waitFor();
    await expect.poll(() => page.evaluate(() => document.activeElement?.tagName)).toBe('H1');
    await page.close();
  });

  it('made no request to any other host and no Content-Security-Policy violation', () => {
    const origin = new URL(gateway.url).origin;
    const foreign = browser.requests.filter(
      (url) => !url.startsWith(`${origin}/`) && !url.startsWith('about:') && !url.startsWith('data:'),
    );
    expect(foreign).toEqual([]);
    expect(browser.requests.length).toBeGreaterThan(10);
    expect(browser.cspViolations).toEqual([]);
  });
});
