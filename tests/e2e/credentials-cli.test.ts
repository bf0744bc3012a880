/**
 * `pincer token create|list|revoke` and `pincer audit` through the built binary against a real
 * gateway (child process): the operator mints a token for one session and hands it to a
 * "dashboard", which sees only that session and cannot kill another session's shell.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ChildGateway,
  disposeGateway,
  FAST_WAKE,
  makeStateDir,
  pincer,
  type StateDir,
  startChildGateway,
  startedId,
  storyApi,
} from '../support/harness.js';

const DASHBOARD_SESSION = 'agent:ops:dm-1';
const OTHER_SESSION = 'agent:ops:dm-2';

let state: StateDir;
let gw: ChildGateway;
let dashboardShell = '';
let otherShell = '';

beforeAll(async () => {
  state = makeStateDir({ wake: FAST_WAKE, agents: [{ id: 'main' }, { id: 'ops' }] }, 'pincer-cred-cli-');
  gw = await startChildGateway(state);
  const api = storyApi(gw);
  dashboardShell = startedId((await api.turn({ sessionKey: DASHBOARD_SESSION, message: 'run in background: sleep 120' })).reply);
  otherShell = startedId((await api.turn({ sessionKey: OTHER_SESSION, message: 'run in background: sleep 120' })).reply);
});

afterAll(async () => {
  await disposeGateway(gw, state);
});

const operator = (args: string[]) => pincer(args, { stateDir: state.dir });
const withToken = (token: string, args: string[]) => pincer(args, { stateDir: state.dir, env: { PINCER_GATEWAY_TOKEN: token } });

describe('pincer token and pincer audit', () => {
  let token = '';
  let tokenId = '';

  it('token create prints the token alone on stdout, once, and the summary on stderr', async () => {
    const created = await operator([
      'token',
      'create',
      '--name',
      'dashboard',
      '--session-key',
      DASHBOARD_SESSION,
      '--cap',
      'sessions:read,processes:read',
      '--expires-in',
      '1d',
    ]);
    expect(created.code, created.stderr).toBe(0);
    token = created.stdout.trim();
    expect(token).toMatch(/^pincer\.tk_[0-9a-f]{16}\.[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toMatch(
      /Created token tk_[0-9a-f]{16} "dashboard" \(session agent:ops:dm-1; sessions:read,processes:read; expires /,
    );
    expect(created.stderr).toContain('shown this once');
    tokenId = /tk_[0-9a-f]{16}/.exec(created.stderr)![0];
  });

  it('token create refuses bad input before anything is sent (exit 2)', async () => {
    const noScope = await operator(['token', 'create', '--name', 'x', '--cap', 'sessions:read']);
    expect(noScope.code).toBe(2);
    expect(noScope.stderr).toContain('exactly one scope');
    const noCap = await operator(['token', 'create', '--name', 'x', '--agent', 'ops', '--json']);
    expect(noCap.code).toBe(2);
    expect(JSON.parse(noCap.stdout)).toMatchObject({ ok: false, error: { type: 'validation' } });
    const unknownCap = await operator(['token', 'create', '--name', 'x', '--agent', 'ops', '--cap', 'root']);
    expect(unknownCap.code).toBe(2);
    expect(unknownCap.stderr).toMatch(/capabilities/);
  });

  it('token list shows the token without its secret', async () => {
    const listed = await operator(['token', 'list', '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    const body = JSON.parse(listed.stdout) as { ok: boolean; tokens: Array<{ id: string; status: string; scope: unknown }> };
    expect(body.tokens.find((row) => row.id === tokenId)).toMatchObject({
      status: 'active',
      scope: { kind: 'session', sessionKey: DASHBOARD_SESSION },
    });
    expect(listed.stdout).not.toContain(token.split('.')[2]!);
    const table = await operator(['token', 'list']);
    expect(table.stdout).toMatch(/ID\s+NAME\s+SCOPE\s+CAPABILITIES\s+STATUS/);
    expect(table.stdout).toContain(tokenId);
  });

  it('the dashboard sees only its session and cannot kill another session\u2019s shell', async () => {
    const sessions = await withToken(token, ['sessions', 'list', '--json']);
    expect(sessions.code, sessions.stderr).toBe(0);
    expect(sessions.stdout).toContain(DASHBOARD_SESSION);
    expect(sessions.stdout).not.toContain(OTHER_SESSION);
    const processes = await withToken(token, ['ps', '--json']);
    expect(processes.stdout).toContain(dashboardShell);
    expect(processes.stdout).not.toContain(otherShell);
    const kill = await withToken(token, ['kill', otherShell]);
    expect(kill.code).toBe(1);
    const missing = await withToken(token, ['kill', 'zz-missing-0000']);
    expect(kill.stderr.split(otherShell).join('<ID>')).toBe(missing.stderr.split('zz-missing-0000').join('<ID>'));
    const own = await withToken(token, ['kill', dashboardShell]);
    expect(own.code).toBe(1);
    expect(own.stderr).toContain('processes:kill');
    const tokens = await withToken(token, ['token', 'list']);
    expect(tokens.code).toBe(1);
  });

  it('token revoke ends the token at once', async () => {
    const revoked = await operator(['token', 'revoke', tokenId]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toContain(`Revoked ${tokenId} ("dashboard").`);
    const refused = await withToken(token, ['sessions', 'list']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/Invalid bearer token/);
    const again = await operator(['token', 'revoke', 'tk_ffffffffffffffff']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/not found/);
  });

  it('pincer audit shows what happened, by whom, from where', async () => {
    const audit = await operator(['audit', '--json', '--since', '1h']);
    expect(audit.code, audit.stderr).toBe(0);
    const rows = (
      JSON.parse(audit.stdout) as { entries: Array<{ action: string; credentialId: string; result: string; target: string | null }> }
    ).entries;
    expect(rows.map((row) => `${row.action} ${row.result}`)).toEqual(
      expect.arrayContaining(['token.create ok', 'process.kill refused', 'token.revoke ok', 'token.revoke not_found']),
    );
    // The dashboard's three kill attempts (foreign, missing, own) were refused for the capability, and recorded.
    const refusedKills = rows.filter((row) => row.action === 'process.kill' && row.result === 'refused');
    expect(refusedKills.map((row) => row.credentialId)).toEqual([tokenId, tokenId, tokenId]);
    const table = await operator(['audit', '--since', '1h']);
    expect(table.stdout).toMatch(/TIME\s+CREDENTIAL\s+SOURCE\s+ACTION\s+TARGET\s+RESULT/);
    const future = await operator(['audit', '--since', '2999-01-01T00:00:00Z']);
    expect(future.stdout).toContain('No audit entries since');
    const bad = await operator(['audit', '--since', 'yesterday']);
    expect(bad.code).toBe(2);
  });
});
