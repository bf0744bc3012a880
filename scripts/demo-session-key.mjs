#!/usr/bin/env node
// A tour of @pincer/session-key on real inputs: the explicit `--session-key` rules
// (seed 003), sub-agent keys (seed 002), process scopes (seed 000) and DM keys by dmScope.
// Exits non-zero if any row does not give the expected answer.
import {
  buildAgentPeerSessionKey,
  deriveProcessScopeKey,
  normalizeAgentId,
  normalizeExplicitSessionKey,
  resolveSubagentSessionKey,
  SessionKeyError,
} from '../packages/session-key/dist/index.js';

const rows = [];
let failed = 0;
function check(label, run, expected) {
  let got;
  try {
    got = run();
  } catch (error) {
    got = SessionKeyError.isInstance(error) ? `✗ ${error.code}: ${error.message}` : `CRASH ${error}`;
  }
  const ok = got === expected;
  if (!ok) failed += 1;
  rows.push([ok ? 'ok ' : 'BAD', label, got, ok ? '' : `(expected ${expected})`]);
}

const explicit = (sessionKey, agentId) => () =>
  normalizeExplicitSessionKey({ sessionKey, agentId, defaultAgentId: 'main', knownAgentIds: ['main', 'ops'] }).sessionKey;

console.log('@pincer/session-key — how keys are normalized\n');
check('agent id "  Ops Team "', () => normalizeAgentId('  Ops Team '), 'ops-team');
check('agent id "../../../etc/passwd"', () => normalizeAgentId('../../../etc/passwd'), 'etc-passwd');
check('--session-key agent:ops:incident-42', explicit('agent:ops:incident-42'), 'agent:ops:incident-42');
check('--agent ops --session-key incident-42', explicit('incident-42', 'ops'), 'agent:ops:incident-42');
check('--session-key incident-42 (default agent)', explicit('incident-42'), 'agent:main:incident-42');
check('--session-key global', explicit('global'), 'global');
check('--session-key "  "', explicit('  '), '✗ BLANK_SELECTOR: --session-key must not be blank');
check(
  '--session-key agent:main',
  explicit('agent:main'),
  '✗ MALFORMED_AGENT_KEY: Invalid --session-key "agent:main". Agent-prefixed session keys must use agent:<agent-id>:<session-key>.',
);
check(
  '--agent ops --session-key agent:main:x',
  explicit('agent:main:x', 'ops'),
  '✗ AGENT_MISMATCH: Agent id "ops" does not match session key agent "main".',
);
check('--agent ghost --session-key x', explicit('x', 'ghost'), '✗ UNKNOWN_AGENT: Unknown agent id "ghost".');
check(
  'sub-agent key "research" for ops',
  () => resolveSubagentSessionKey({ targetAgentId: 'ops', sessionKey: 'research', newId: () => 'x' }),
  'agent:ops:subagent:research',
);
check(
  'sub-agent key AGENT:Ops:subagent:r for ops',
  () => resolveSubagentSessionKey({ targetAgentId: 'ops', sessionKey: 'AGENT:Ops:subagent:r', newId: () => 'x' }),
  'agent:ops:subagent:r',
);
check(
  'sub-agent key agent:main:subagent:r for ops',
  () => resolveSubagentSessionKey({ targetAgentId: 'ops', sessionKey: 'agent:main:subagent:r', newId: () => 'x' }),
  expectedCode('CROSS_AGENT_SESSION_KEY'),
);
check(
  'process scope (session key wins over agent)',
  () => deriveProcessScopeKey({ sessionKey: 'agent:ops:telegram:group:-100', agentId: 'ops' }),
  'agent:ops:telegram:group:-100',
);
check('process scope (agent only)', () => deriveProcessScopeKey({ agentId: 'ops' }), 'agent:ops');
for (const dmScope of ['main', 'per-peer', 'per-channel-peer', 'per-account-channel-peer']) {
  const expected = {
    main: 'agent:ops:main',
    'per-peer': 'agent:ops:direct:123456',
    'per-channel-peer': 'agent:ops:telegram:direct:123456',
    'per-account-channel-peer': 'agent:ops:telegram:default:direct:123456',
  }[dmScope];
  check(
    `telegram DM from 123456, dmScope=${dmScope}`,
    () => buildAgentPeerSessionKey({ agentId: 'Ops', channel: 'telegram', peerKind: 'direct', peerId: '123456', dmScope }),
    expected,
  );
}

function expectedCode(code) {
  try {
    resolveSubagentSessionKey({ targetAgentId: 'ops', sessionKey: 'agent:main:subagent:r', newId: () => 'x' });
  } catch (error) {
    if (SessionKeyError.isInstance(error) && error.code === code) return `✗ ${error.code}: ${error.message}`;
  }
  return `✗ ${code}`;
}

const width = Math.max(...rows.map((r) => r[1].length));
for (const [status, label, got, note] of rows) console.log(`${status}  ${label.padEnd(width)}  →  ${got} ${note}`);
console.log(`\n${rows.length - failed} of ${rows.length} rows as expected.`);
process.exit(failed ? 1 : 0);
