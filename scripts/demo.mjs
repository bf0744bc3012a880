#!/usr/bin/env node
// `pnpm demo`: the newcomer's tour of Pincer. Starts a real gateway (child process, temp state
// dir, embedded SQLite, the offline scripted model, an ephemeral loopback port) and walks through
// seven stories and a sandbox story with the real `pincer` CLI (plain HTTP where the CLI has no command), printing a
// short narrated transcript. Every step checks its outcome; the demo exits 0 only if every check
// held and names the ones that failed otherwise. It always cleans up: the gateway is stopped,
// every process it started is gone (found by a marker in their environment), the temp dir removed.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const GATEWAY = join(ROOT, 'apps', 'gateway', 'dist', 'main.js');
const CLI = join(ROOT, 'apps', 'cli', 'dist', 'bin.js');
const OVERALL_DEADLINE_MS = Number(process.env.PINCER_DEMO_DEADLINE_MS ?? 150_000);
const color = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code, s) => (color ? `\u001b[${code}m${s}\u001b[0m` : s);

const started = Date.now();
const mark = randomUUID();
const checks = [];
let stateDir;
let gateway; // { proc, url, token, pid }
let story = '';
let isCleaningUp = false;

// ---------------------------------------------------------------- output
const say = (text) => console.log(`  ${text}`);
const title = (n, text) => {
  story = `story ${n}`;
  console.log(`\n${paint('1', `${n}. ${text}`)}`);
};
function check(what, ok, detail) {
  checks.push({ story, what, ok: Boolean(ok), detail });
  console.log(`  ${ok ? paint('32', '✓') : paint('31', '✗')} ${what}${!ok && detail ? paint('31', ` — ${detail}`) : ''}`);
  return Boolean(ok);
}
const indent = (text, max = 4) => {
  const lines = text.replace(/\s+$/, '').split('\n');
  const shown = lines.slice(0, max).map((l) => `    ${paint('2', l.length > 150 ? `${l.slice(0, 147)}...` : l)}`);
  if (lines.length > max) shown.push(`    ${paint('2', `… (${lines.length - max} more lines)`)}`);
  return shown.join('\n');
};

// ---------------------------------------------------------------- helpers
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function cleanEnv(extra) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PINCER_')) env[k] = v;
  return { ...env, ...extra };
}

/** Poll `fn` until it returns something truthy, at most `ms`; undefined on timeout. */
async function until(fn, ms = 15_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch {
      // keep polling until the deadline
    }
    await sleep(60);
  }
  return undefined;
}

function isAlive(pid) {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Pids of live processes whose environment holds `needle` (`NAME=value`). */
function pidsWithEnv(needle, except = []) {
  if (!existsSync('/proc')) return [];
  const out = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (except.includes(pid) || pid === process.pid) continue;
    try {
      if (`\0${readFileSync(`/proc/${pid}/environ`, 'latin1')}\0`.includes(`\0${needle}\0`) && isAlive(pid)) out.push(pid);
    } catch {
      // not ours or gone
    }
  }
  return out;
}

/** Pids of live processes whose command line contains `needle`. */
function pidsWithCmdline(needle) {
  const out = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'latin1').includes(needle) && isAlive(Number(name))) out.push(Number(name));
    } catch {
      // gone
    }
  }
  return out;
}

/**
 * Pids of processes started under this demo's gateways: the gateway carries PINCER_TEST_MARK; its
 * shells get a clean environment without PINCER_*, so they carry the mark as DEMO_SHELL_MARK
 * (`exec.passEnv` in the config).
 */
function markedPids(except = []) {
  return [...new Set([...pidsWithEnv(`PINCER_TEST_MARK=${mark}`, except), ...pidsWithEnv(`DEMO_SHELL_MARK=${mark}`, except)])];
}

async function startGateway() {
  const proc = spawn(
    process.execPath,
    [GATEWAY, '--port', '0', '--host', '127.0.0.1', '--state-dir', stateDir, '--config', join(stateDir, 'pincer.config.json')],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: cleanEnv({ PINCER_TEST_MARK: mark, DEMO_SHELL_MARK: mark }),
    },
  );
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (out += d));
  proc.exited = new Promise((r) => proc.once('exit', (code) => r(code)));
  const url = await until(
    () => /listening on (\S+)/.exec(out)?.[1] ?? (proc.exitCode !== null ? Promise.reject(new Error(out)) : undefined),
    30_000,
  );
  if (!url) {
    proc.kill('SIGKILL');
    throw new Error(`the gateway did not start: ${out.trim() || '(no output)'}`);
  }
  gateway = { proc, url, pid: proc.pid, token: readFileSync(join(stateDir, 'token'), 'utf8').trim() };
  return gateway;
}

async function api(method, path, body) {
  const res = await fetch(`${gateway.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${gateway.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(40_000),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, body: json, text };
}

/** Run the real `pincer` binary; prints the command and (some of) its output. */
async function pincer(args, { quiet = false, lines = 4, env = {} } = {}) {
  const shown = args.map((a) => (/^[\w:./@=-]+$/.test(a) ? a : `'${a}'`)).join(' ');
  if (!quiet)
    console.log(`  ${paint('36', `$ ${env.PINCER_GATEWAY_TOKEN ? 'PINCER_GATEWAY_TOKEN=<dashboard token> ' : ''}pincer ${shown}`)}`);
  const result = await execa(process.execPath, [CLI, ...args], {
    stdin: 'ignore',
    env: cleanEnv({ PINCER_STATE_DIR: stateDir, ...env }),
    extendEnv: false,
    timeout: 60_000,
    killSignal: 'SIGKILL',
    stripFinalNewline: false,
    reject: false,
  });
  const { stdout, stderr } = result;
  const code = result.exitCode ?? null;
  if (!quiet) {
    if (stdout.trim()) console.log(indent(stdout, lines));
    if (stderr.trim()) console.log(indent(`stderr: ${stderr}`, lines));
    if (code !== 0) console.log(indent(result.timedOut ? '(timed out after 60 s)' : `(exit ${code})`));
  }
  return { code, stdout, stderr };
}

/** A chat message handed in by a bot platform (POST /v1/inbound), waited for. */
async function chat(peer, sender, text) {
  console.log(`  ${paint('36', `» telegram ${peer.kind} ${peer.id} (${sender}): ${text}`)}`);
  const r = await api('POST', '/v1/inbound', { channel: 'telegram', peer, sender, text });
  if (r.status !== 202) throw new Error(`POST /v1/inbound answered ${r.status}: ${r.text}`);
  const w = await api('GET', `/v1/runs/${r.body.runId}?waitMs=20000`);
  console.log(indent(w.body?.reply ?? `(run ${w.body?.status})`, 3));
  return { sessionKey: r.body.sessionKey, reply: w.body?.reply ?? '' };
}

async function turn(sessionKey, message, { wait = true } = {}) {
  console.log(`  ${paint('36', `» POST /v1/agent ${sessionKey}: ${message}`)}`);
  const r = await api('POST', '/v1/agent', { sessionKey, message });
  if (r.status !== 202) throw new Error(`POST /v1/agent answered ${r.status}: ${r.text}`);
  if (!wait) return { runId: r.body.runId, reply: '' };
  const w = await api('GET', `/v1/runs/${r.body.runId}?waitMs=20000`);
  console.log(indent(w.body?.reply ?? `(run ${w.body?.status})`, 3));
  return { runId: r.body.runId, reply: w.body?.reply ?? '' };
}

const transcript = async (key) => (await api('GET', `/v1/sessions/${encodeURIComponent(key)}/transcript?limit=2000`)).body?.entries ?? [];
const processes = async () => (await api('GET', '/v1/processes')).body?.processes ?? [];
const shellId = (reply) => /in the background as (\S+) \(/.exec(reply)?.[1];
const pidOf = async (id) => (await until(async () => (await processes()).find((p) => p.id === id && p.pid)))?.pid;

// ---------------------------------------------------------------- cleanup
async function cleanup() {
  if (isCleaningUp) return;
  isCleaningUp = true;
  if (gateway && gateway.proc.exitCode === null && gateway.proc.signalCode === null) {
    gateway.proc.kill('SIGTERM');
    const stopped = await Promise.race([gateway.proc.exited.then(() => true), sleep(15_000).then(() => false)]);
    if (!stopped) {
      gateway.proc.kill('SIGKILL');
      await gateway.proc.exited;
    }
  }
  for (const pid of markedPids()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
}

// ---------------------------------------------------------------- the stories
const CONFIG = {
  wake: { eventCooldownMs: 0, coalesceMs: 0, busyRetryMs: 100 },
  agents: [
    // main: one owner and dmScope=main — every DM, and every system event, lands in agent:main:main.
    { id: 'main', owners: ['owner-1'], session: { dmScope: 'main' }, allowAgents: ['research'] },
    // ops: per-channel-peer — each DM peer and each group is its own session.
    { id: 'ops', owners: ['alice'], session: { dmScope: 'per-channel-peer' } },
    { id: 'research' },
  ],
  bindings: [{ agentId: 'ops', match: { channel: 'telegram' } }],
  // Several agents: turns that name none go to main (without it they are refused as ambiguous).
  defaultAgent: 'main',
  // Story 1's group member is not an owner; guests get exec and process only because this says so.
  security: { guestTools: ['exec', 'process'] },
  // Shells get a clean environment; this one variable (the demo's process marker) is passed on.
  exec: { passEnv: ['DEMO_SHELL_MARK'] },
};

const shared = { groupShell: undefined, finishedShell: undefined, sandbox: undefined };

async function story1() {
  title(1, 'Agent ops has a DM and a group session; each sees only its own shells (seed 000)');
  const alice = { kind: 'direct', id: 'alice' };
  const room = { kind: 'group', id: 'ops-room' };
  const dm = await chat(alice, 'alice', 'run in background: while :; do echo dm-tick; sleep 0.2; done');
  const group = await chat(room, 'bob', 'run in background: while :; do echo group-tick; sleep 0.2; done');
  check(
    'the DM and the group are different sessions of agent ops',
    dm.sessionKey === 'agent:ops:telegram:direct:alice' && group.sessionKey === 'agent:ops:telegram:group:ops-room',
    `${dm.sessionKey} / ${group.sessionKey}`,
  );
  const dmId = shellId(dm.reply);
  const groupId = shellId(group.reply);
  const dmPid = await pidOf(dmId);
  shared.groupShell = { id: groupId, pid: await pidOf(groupId), sessionKey: group.sessionKey };
  const dmPs = await chat(alice, 'alice', 'ps');
  check('the DM lists only its own shell', dmPs.reply.includes(dmId) && !dmPs.reply.includes(groupId));
  const groupPs = await chat(room, 'bob', 'ps');
  check('the group lists only its own shell', groupPs.reply.includes(groupId) && !groupPs.reply.includes(dmId));
  say("The DM tries to kill the group's shell, then cleans up its own:");
  const cross = await chat(alice, 'alice', `kill ${groupId}`);
  check(
    "the group's shell is invisible to the DM (answered like a missing one)",
    /No process/.test(cross.reply) && isAlive(shared.groupShell.pid),
  );
  await chat(alice, 'alice', `kill ${dmId}`);
  const dmGone = await until(() => !isAlive(dmPid), 10_000);
  check("the DM's cleanup killed its shell", dmGone === true);
  check("the group's shell keeps running", isAlive(shared.groupShell.pid));
}

async function story2() {
  title(2, 'dmScope=main with a single owner: a background completion lands in agent:main:main (seed 001)');
  const r = await pincer([
    'agent',
    '--agent',
    'main',
    '--session-key',
    'telegram:direct:owner-1',
    '-m',
    'run in background: echo build finished',
  ]);
  const id = shellId(r.stdout);
  shared.finishedShell = id;
  check('the command started in the per-channel session', r.code === 0 && Boolean(id), r.stderr.trim());
  const notice = await until(async () =>
    (await transcript('agent:main:main')).find((e) => e.text.includes(`Exec completed (${id}, code 0)`)),
  );
  if (notice) say(`agent:main:main transcript: ${notice.text.split('\n').find((l) => l.includes('Exec completed'))}`);
  check("the exit notice is in agent:main:main's transcript", notice?.text.includes('build finished'));
}

async function story3() {
  title(3, 'A sub-agent spawned twice with sessionKey "research" continues one history (seed 002)');
  const child = 'agent:research:subagent:research';
  await pincer(['agent', '--agent', 'main', '--session-key', 'lab', '-m', 'spawn research as research: remember the number 7']);
  const first = await until(async () => (await transcript(child)).some((e) => e.role === 'assistant' && e.text.includes('number 7')));
  await pincer(['agent', '--agent', 'main', '--session-key', 'lab', '-m', 'spawn research as research: which number was it?']);
  const second = await until(async () => (await transcript(child)).some((e) => e.role === 'assistant' && e.text.includes('which number')));
  const users = (await transcript(child)).filter((e) => e.role === 'user').map((e) => e.text);
  say(`${child} history: ${JSON.stringify(users)}`);
  check(
    'both spawns ran in one child session with one history',
    Boolean(first && second) && users.length === 2 && users[0].includes('number 7') && users[1].includes('which number'),
  );
  const refused = await pincer([
    'agent',
    '--agent',
    'main',
    '--session-key',
    'lab',
    '-m',
    'spawn research as agent:ops:subagent:research: read their notes',
  ]);
  check('a key naming another agent is refused', /forbidden[\s\S]*another agent/.test(refused.stdout));
  check(
    'and no such session was created',
    (await api('GET', `/v1/sessions/${encodeURIComponent('agent:ops:subagent:research')}`)).status === 404,
  );
}

async function story4() {
  title(4, 'pincer agent --session-key: exact keys accepted, malformed ones refused before dispatch (seed 003)');
  const exact = await pincer(['agent', '--session-key', 'agent:ops:incident-42', '-m', 'status?', '--json'], { lines: 6 });
  let parsed;
  try {
    parsed = JSON.parse(exact.stdout);
  } catch {
    parsed = undefined;
  }
  check('the exact key is used as typed', exact.code === 0 && parsed?.sessionKey === 'agent:ops:incident-42');
  const scoped = await pincer(['agent', '--agent', 'ops', '--session-key', 'incident-43', '-m', 'hi']);
  check(
    'a bare key is scoped to --agent',
    scoped.code === 0 && (await api('GET', '/v1/sessions/agent%3Aops%3Aincident-43')).status === 200,
  );
  const count = async () => {
    const m = await api('GET', '/metrics');
    return [...m.text.matchAll(/^pincer_http_requests_total\{[^}]*route="\/v1\/agent"[^}]*\} (\d+)/gm)].reduce(
      (n, x) => n + Number(x[1]),
      0,
    );
  };
  const before = await count();
  const malformed = await pincer(['agent', '--session-key', 'agent:main', '-m', 'x']);
  check(
    'a malformed key fails with exit 2 and the exact message',
    malformed.code === 2 &&
      malformed.stderr.includes('Invalid --session-key "agent:main". Agent-prefixed session keys must use agent:<agent-id>:<session-key>.'),
  );
  const mismatch = await pincer(['agent', '--agent', 'ops', '--session-key', 'agent:main:x', '-m', 'x']);
  check(
    'an --agent mismatch fails with exit 2 and the exact message',
    mismatch.code === 2 && mismatch.stderr.includes('Agent id "ops" does not match session key agent "main".'),
  );
  check('the gateway saw neither request', (await count()) === before);
}

async function story5() {
  title(5, 'The operator lists every shell and kills runaways (seed 004)');
  const a = await turn('agent:ops:incident-42', 'run in background: while :; do echo runaway; sleep 0.05; done');
  const b = await turn('agent:main:notes', 'run in background: while :; do echo spinning; sleep 0.05; done');
  const aId = shellId(a.reply);
  const bId = shellId(b.reply);
  const aPid = await pidOf(aId);
  const bPid = await pidOf(bId);
  const ps = await pincer(['ps'], { lines: 8 });
  check(
    'pincer ps lists the shells of every session',
    ps.code === 0 && [aId, bId, shared.groupShell?.id].every((id) => id && ps.stdout.includes(id)),
  );
  const logs = await until(async () => {
    const r = await pincer(['logs', aId, '--limit', '2'], { quiet: true });
    return r.code === 0 && r.stdout.includes('runaway') ? r : undefined;
  });
  if (logs) console.log(`  ${paint('36', `$ pincer logs ${aId} --limit 2`)}\n${indent(logs.stdout, 2)}`);
  check('pincer logs shows its output', Boolean(logs));
  const killed = await pincer(['kill', aId]);
  check('pincer kill stops the runaway and its tree', killed.code === 0 && !isAlive(aPid));
  console.log(`  ${paint('36', `» POST /v1/processes/${bId}/kill`)}`);
  const viaApi = await api('POST', `/v1/processes/${bId}/kill`, {});
  console.log(indent(viaApi.text));
  check('the SDK-backed endpoint kills the other one', viaApi.status === 200 && viaApi.body?.status === 'killed' && !isAlive(bPid));
  const write = await api('POST', '/v1/tools/invoke', {
    tool: 'process',
    args: { action: 'write', id: shared.groupShell?.id, data: 'x' },
    sessionKey: shared.groupShell?.sessionKey,
  });
  check('stdin is never reachable over HTTP (403)', write.status === 403);
}

async function story6() {
  title(6, 'SIGKILL the gateway and restart it: nothing is lost, no orphan survives');
  const long = await turn('agent:ops:longjob', 'run in background: sleep 300');
  const longPid = await pidOf(shellId(long.reply));
  const queuedShell = shellId((await turn('agent:ops:busy', 'run in background: sleep 0.3; echo event-while-busy')).reply);
  const blocker = await turn('agent:ops:busy', 'run: sleep 30', { wait: false });
  const queued = await until(async () => ((await api('GET', '/v1/sessions/agent%3Aops%3Abusy')).body?.queuedEvents ?? 0) >= 1);
  check('an exit notice is queued behind a busy session', Boolean(queued));
  const sessionsBefore = ((await api('GET', '/v1/sessions')).body?.sessions ?? []).map((s) => s.key);
  const orphans = markedPids([gateway.pid]);
  const isSandboxed = shared.sandbox?.effect === 'sandboxed';
  say(
    `kill -9 ${gateway.pid} (${orphans.length} shell process(es) running${isSandboxed ? ', each in a sandbox that dies with the gateway' : ''})`,
  );
  gateway.proc.kill('SIGKILL');
  await gateway.proc.exited;
  if (isSandboxed)
    check(
      'its sandboxed shells died with it (bwrap --die-with-parent)',
      orphans.includes(longPid) && (await until(() => !isAlive(longPid), 10_000)) === true,
    );
  else check('its shells outlived the dead gateway', orphans.includes(longPid) && isAlive(longPid));
  await startGateway();
  say(`restarted on the same state dir: ${gateway.url}`);
  const reaped = await until(() => orphans.every((pid) => !isAlive(pid)), 20_000);
  check('every orphan was reaped on restart', reaped === true, `alive: ${orphans.filter(isAlive).join(', ')}`);
  const list = await pincer(['sessions', 'list'], { lines: 3 });
  const sessionsAfter = ((await api('GET', '/v1/sessions')).body?.sessions ?? []).map((s) => s.key);
  check(`all ${sessionsBefore.length} sessions are still there`, list.code === 0 && sessionsBefore.every((k) => sessionsAfter.includes(k)));
  const log = await pincer(['logs', shared.finishedShell ?? '?']);
  check("a finished shell's output is still readable", log.code === 0 && log.stdout.includes('build finished'));
  const delivered = await until(async () =>
    (await transcript('agent:ops:busy')).some(
      (e) => e.role === 'user' && e.text.includes(`Exec completed (${queuedShell}, code 0) :: event-while-busy`),
    ),
  );
  check('the queued event was delivered after the restart', Boolean(delivered));
  const run = await api('GET', `/v1/runs/${blocker.runId}`);
  check('the interrupted run is reported, not replayed', run.body?.status === 'error' && /interrupted/.test(run.body?.error ?? ''));
}

async function story7() {
  title(7, "The operator mints a token for one session: the dashboard sees only it and cannot kill another session's shell");
  const own = await turn('agent:ops:dashboard-1', 'run in background: sleep 60');
  const other = await turn('agent:ops:incident-7', 'run in background: sleep 60');
  const ownId = shellId(own.reply);
  const otherId = shellId(other.reply);
  const created = await pincer(
    [
      'token',
      'create',
      '--name',
      'dashboard',
      '--session-key',
      'agent:ops:dashboard-1',
      '--cap',
      'sessions:read,processes:read,processes:kill',
      '--expires-in',
      '1h',
    ],
    { lines: 3 },
  );
  const token = created.stdout.trim();
  check('the operator minted a token bound to one session', created.code === 0 && /^pincer\.tk_[0-9a-f]{16}\./.test(token));
  const asDashboard = (args, options = {}) => pincer(args, { ...options, env: { PINCER_GATEWAY_TOKEN: token } });
  const sessions = await asDashboard(['sessions', 'list']);
  check(
    'the dashboard lists only its session',
    sessions.code === 0 && sessions.stdout.includes('agent:ops:dashboard-1') && !sessions.stdout.includes('agent:ops:incident-7'),
  );
  const ps = await asDashboard(['ps']);
  check('and only its shell', ps.code === 0 && ps.stdout.includes(ownId) && !ps.stdout.includes(otherId));
  const kill = await asDashboard(['kill', otherId]);
  const stillRunning = (await processes()).find((p) => p.id === otherId)?.status === 'running';
  check(
    "it cannot kill another session's shell (answered like a missing one)",
    kill.code !== 0 && /not found/i.test(kill.stderr) && stillRunning,
  );
  const ownKill = await asDashboard(['kill', ownId]);
  check('its own shell it may kill', ownKill.code === 0);
  const audit = await pincer(['audit', '--since', '10m'], { lines: 8 });
  check(
    'both kills are in the audit log, the refused one as not_found',
    audit.code === 0 && audit.stdout.includes('not_found') && audit.stdout.includes('process.kill'),
  );
}

async function story8() {
  title(8, 'The OS sandbox: one session cannot see, signal or read another, nor the gateway; a kill leaves nothing');
  const status = await pincer(['sandbox', 'status'], { lines: 3 });
  const view = shared.sandbox;
  check(
    'pincer sandbox status reports the mode the gateway runs under',
    status.code === 0 && view && status.stdout.includes(`Mode:        ${view.mode}`),
  );
  if (view?.effect !== 'sandboxed') {
    say(paint('33', `shells are NOT sandboxed here (${view?.probe?.reason ?? 'unknown'}): install bubblewrap for the OS-level checks`));
    const shell = await turn('agent:ops:sbx-a', 'run: echo BEGIN; env; echo END');
    check(
      'even unsandboxed, a shell sees no PINCER_* setting of the gateway',
      !/^PINCER_(?!PROCESS_ID=|SCOPE=)/m.test(shell.reply) && !shell.reply.includes(gateway.token),
    );
    return;
  }
  const secretMark = `beta-secret-${randomUUID().slice(0, 8)}`;
  const b = await turn('agent:ops:sbx-b', `run in background: echo ${secretMark} > notes.txt; exec sleep 3007`);
  const bId = shellId(b.reply);
  const bView = await until(async () => (await processes()).find((p) => p.id === bId && p.pid));
  const bPids = (await until(() => (pidsWithCmdline('sleep 3007').length > 0 ? pidsWithCmdline('sleep 3007') : undefined))) ?? [];
  const bNotes = await until(() =>
    readdirSync(join(stateDir, 'workspaces'))
      .map((dir) => join(stateDir, 'workspaces', dir, 'notes.txt'))
      .find((path) => existsSync(path)),
  );
  const attack = [
    'echo "ps sees:"; ps ax -o pid=,comm=',
    `for pid in ${bPids.join(' ')} ${gateway.pid}; do kill -0 $pid 2>/dev/null && echo SIGNAL=yes || echo "kill -0 $pid: refused"; done`,
    `cat ${join(stateDir, 'token')} 2>/dev/null && echo TOKEN=yes || echo "token: not there"`,
    `cat ${bNotes ?? '/nonexistent'} 2>/dev/null && echo NOTES=yes || echo "B's notes: not there"`,
  ].join('; ');
  const a = await turn('agent:ops:sbx-a', `run: ${attack}`);
  const lines = a.reply.split('\n');
  check(
    "A's ps shows only its own sandbox (no sleep of B)",
    lines.some((line) => line.includes('ps sees:')) && !lines.some((line) => /^\s*\d+ sleep$/.test(line)),
  );
  check(
    "A cannot signal B's processes or the gateway",
    bPids.length > 0 && !lines.some((line) => line === 'SIGNAL=yes') && isAlive(gateway.pid) && bPids.every(isAlive),
  );
  check("A cannot read the gateway's token", !a.reply.includes(gateway.token) && !lines.some((line) => line === 'TOKEN=yes'));
  check("A cannot read B's files", Boolean(bNotes) && !a.reply.includes(secretMark) && !lines.some((line) => line === 'NOTES=yes'));
  const views = await processes();
  check(
    'every process view says the shell is sandboxed',
    [bView?.id].every((id) => views.find((p) => p.id === id)?.sandbox?.isSandboxed === true),
  );
  await api('POST', `/v1/processes/${bId}/kill`, {});
  say('A setsid child that keeps forking, then a kill of its shell:');
  const forkMark = randomUUID();
  const forker = await turn(
    'agent:ops:sbx-a',
    `run in background: export FORK_MARK=${forkMark}; setsid sh -c 'while :; do sleep 5 & sleep 0.02; done' & exec sleep 3009`,
  );
  const forkerId = shellId(forker.reply);
  const before = await until(() => (pidsWithEnv(`FORK_MARK=${forkMark}`).length >= 5 ? pidsWithEnv(`FORK_MARK=${forkMark}`) : undefined));
  say(`${before?.length ?? 0} processes carry the forker's marker`);
  const killed = await pincer(['kill', forkerId]);
  const left = pidsWithEnv(`FORK_MARK=${forkMark}`);
  check(
    'the kill answered once the namespace was empty: 0 processes left (scanned in /proc)',
    killed.code === 0 && Boolean(before) && left.length === 0,
    `left: ${left.join(', ')}`,
  );
}

// ---------------------------------------------------------------- main
async function main() {
  for (const f of [GATEWAY, CLI]) {
    if (!existsSync(f)) throw new Error(`${f.slice(ROOT.length + 1)} is missing: run "pnpm build" first (pnpm demo does).`);
  }
  stateDir = mkdtempSync(join(tmpdir(), 'pincer-demo-'));
  writeFileSync(join(stateDir, 'pincer.config.json'), JSON.stringify(CONFIG, null, 2));
  console.log(paint('1', 'Pincer demo'), '— a real gateway, the real pincer CLI, the offline scripted model');
  await startGateway();
  say(`gateway ${gateway.url} (pid ${gateway.pid}), state dir ${stateDir}`);
  say('agents: main (dmScope=main, owner owner-1), ops (per-channel-peer, telegram), research');
  shared.sandbox = (await api('GET', '/v1/sandbox')).body;
  const sandbox = shared.sandbox;
  say(
    sandbox?.effect === 'sandboxed'
      ? `sandbox: mode ${sandbox.mode}, shells run in bwrap ${sandbox.version ?? ''} (namespaces ${sandbox.namespaces.join(', ')}; probe ${sandbox.probe.durationMs} ms)`
      : paint('33', `sandbox: mode ${sandbox?.mode ?? '?'}, shells run UNSANDBOXED (${sandbox?.probe?.reason ?? 'unknown'})`),
  );
  for (const [n, run] of [story1, story2, story3, story4, story5, story6, story7, story8].entries()) {
    try {
      await run();
    } catch (e) {
      check(`${story || `story ${n + 1}`} ran to the end`, false, e instanceof Error ? e.message : String(e));
    }
  }
}

const watchdog = setTimeout(() => {
  console.error(
    paint(
      '31',
      `\nThe demo exceeded ${OVERALL_DEADLINE_MS / 1000} s during ${story || 'startup'}; stopping (failed so far: ${checks.filter((c) => !c.ok).length}).`,
    ),
  );
  checks.push({ story: 'demo', what: `finished within ${OVERALL_DEADLINE_MS / 1000} s`, ok: false });
  void cleanup().finally(() => process.exit(1));
}, OVERALL_DEADLINE_MS);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    console.error(`\n${sig}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}

let fatal;
try {
  await main();
} catch (e) {
  fatal = e;
} finally {
  await cleanup();
  clearTimeout(watchdog);
}
const failed = checks.filter((c) => !c.ok);
const leftovers = markedPids();
const seconds = ((Date.now() - started) / 1000).toFixed(1);
console.log('');
if (fatal) console.log(paint('31', `The demo could not run: ${fatal instanceof Error ? fatal.message : String(fatal)}`));
if (leftovers.length > 0) console.log(paint('31', `Processes left behind: ${leftovers.join(', ')}`));
if (!fatal && failed.length === 0 && leftovers.length === 0 && checks.length > 0) {
  console.log(
    paint(
      '32',
      `All ${checks.length} checks held across the seven stories and the sandbox story (${seconds} s, sandbox ${shared.sandbox?.mode ?? '?'}: ${shared.sandbox?.effect ?? '?'}). Cleaned up: gateway stopped, no process left, temp dir removed.`,
    ),
  );
  console.log('The operator console: run `npx -y pnpm@10.34.9 start`, open http://127.0.0.1:7787/console/ and paste ~/.pincer/token.');
  process.exit(0);
}
console.log(paint('31', `${failed.length} of ${checks.length} checks failed (${seconds} s):`));
for (const c of failed) console.log(paint('31', `  ✗ ${c.story}: ${c.what}${c.detail ? ` — ${c.detail}` : ''}`));
process.exit(1);
