import { describe, expect, it } from 'vitest';
import { SessionKeyError, type SessionKeyErrorCode } from './errors.js';
import { normalizeExplicitSessionKey, type ExplicitSessionKeyInput } from './explicit-key.js';

function attempt(input: ExplicitSessionKeyInput): { ok: true; value: unknown } | { ok: false; error: SessionKeyError } {
  try {
    return { ok: true, value: normalizeExplicitSessionKey(input) };
  } catch (error) {
    if (SessionKeyError.isInstance(error)) return { ok: false, error };
    throw error;
  }
}

function expectError(input: ExplicitSessionKeyInput, code: SessionKeyErrorCode, message: string): void {
  const result = attempt(input);
  expect(result.ok).toBe(false);
  if (!result.ok) {
    expect(result.error.code).toBe(code);
    expect(result.error.message).toBe(message);
  }
}

// Reference §8.5 matrix. A config column is what the caller (CLI/Gateway) resolved from its
// roster: the owner for bare keys (`defaultAgentId`) and the configured agents.
// Roster `[main, ops]` has no owner: owner *selection* (AgentSelectionRequiredError) happens in
// the caller before this function runs, so its "⟂ selection" cells are marked 'selection'.
const COLUMNS = {
  implicitMain: { defaultAgentId: 'main', knownAgentIds: ['main'] },
  soleOps: { defaultAgentId: 'ops', knownAgentIds: ['ops'] },
  mainAndOps: { defaultAgentId: '', knownAgentIds: ['main', 'ops'] },
  opsDefault: { defaultAgentId: 'ops', knownAgentIds: ['main', 'ops'] },
} as const;
type Column = keyof typeof COLUMNS;

type Cell = { sessionKey: string; agentId: string | undefined } | { code: SessionKeyErrorCode; message: string } | 'selection';

const INVALID_AGENT_OPS: Cell = {
  code: 'MALFORMED_AGENT_KEY',
  message: 'Invalid --session-key "agent:ops". Agent-prefixed session keys must use agent:<agent-id>:<session-key>.',
};
const MISMATCH: Cell = { code: 'AGENT_MISMATCH', message: 'Agent id "main" does not match session key agent "ops".' };
const UNKNOWN_OPS: Cell = { code: 'UNKNOWN_AGENT', message: 'Unknown agent id "ops".' };
const BLANK: Cell = { code: 'BLANK_SELECTOR', message: '--session-key must not be blank' };
const all = (cell: Cell): Record<Column, Cell> => ({ implicitMain: cell, soleOps: cell, mainAndOps: cell, opsDefault: cell });

const MATRIX: ReadonlyArray<readonly [label: string, args: { sessionKey: string; agentId?: string }, cells: Record<Column, Cell>]> = [
  [
    '--session-key incident-42',
    { sessionKey: 'incident-42' },
    {
      implicitMain: { agentId: 'main', sessionKey: 'agent:main:incident-42' },
      soleOps: { agentId: 'ops', sessionKey: 'agent:ops:incident-42' },
      mainAndOps: 'selection',
      opsDefault: { agentId: 'ops', sessionKey: 'agent:ops:incident-42' },
    },
  ],
  [
    '--agent ops --session-key incident-42',
    { agentId: 'ops', sessionKey: 'incident-42' },
    {
      implicitMain: UNKNOWN_OPS,
      soleOps: { agentId: 'ops', sessionKey: 'agent:ops:incident-42' },
      mainAndOps: { agentId: 'ops', sessionKey: 'agent:ops:incident-42' },
      opsDefault: { agentId: 'ops', sessionKey: 'agent:ops:incident-42' },
    },
  ],
  [
    '--session-key agent:ops:incident-42',
    { sessionKey: 'agent:ops:incident-42' },
    all({ agentId: 'ops', sessionKey: 'agent:ops:incident-42' }),
  ],
  ['--agent main --session-key agent:ops:x', { agentId: 'main', sessionKey: 'agent:ops:x' }, all(MISMATCH)],
  [
    '--session-key global',
    { sessionKey: 'global' },
    {
      implicitMain: { agentId: undefined, sessionKey: 'global' },
      soleOps: { agentId: undefined, sessionKey: 'global' },
      mainAndOps: 'selection',
      opsDefault: { agentId: undefined, sessionKey: 'global' },
    },
  ],
  [
    '--agent ops --session-key global',
    { agentId: 'ops', sessionKey: 'global' },
    {
      implicitMain: UNKNOWN_OPS,
      soleOps: { agentId: 'ops', sessionKey: 'global' },
      mainAndOps: { agentId: 'ops', sessionKey: 'global' },
      opsDefault: { agentId: 'ops', sessionKey: 'global' },
    },
  ],
  ...(['main', 'MAIN'] as const).map(
    (key) =>
      [
        `--session-key ${key}`,
        { sessionKey: key },
        {
          implicitMain: { agentId: 'main', sessionKey: 'agent:main:main' },
          soleOps: { agentId: 'ops', sessionKey: 'agent:ops:main' },
          mainAndOps: 'selection',
          opsDefault: { agentId: 'ops', sessionKey: 'agent:ops:main' },
        },
      ] as const,
  ),
  [
    '--session-key agent:ops',
    { sessionKey: 'agent:ops' },
    { implicitMain: INVALID_AGENT_OPS, soleOps: INVALID_AGENT_OPS, mainAndOps: 'selection', opsDefault: INVALID_AGENT_OPS },
  ],
  ['--agent ops --session-key agent:ops', { agentId: 'ops', sessionKey: 'agent:ops' }, all(INVALID_AGENT_OPS)],
  [
    '--session-key subagent:worker',
    { sessionKey: 'subagent:worker' },
    {
      implicitMain: { agentId: 'main', sessionKey: 'agent:main:subagent:worker' },
      soleOps: { agentId: 'ops', sessionKey: 'agent:ops:subagent:worker' },
      mainAndOps: 'selection',
      opsDefault: { agentId: 'ops', sessionKey: 'agent:ops:subagent:worker' },
    },
  ],
  [
    '--session-key agent:ops:subagent:agent:main:main (first head owns)',
    { sessionKey: 'agent:ops:subagent:agent:main:main' },
    all({ agentId: 'ops', sessionKey: 'agent:ops:subagent:agent:main:main' }),
  ],
  [
    '--to agent:ops:x (moved into --session-key by the CLI)',
    { sessionKey: 'agent:ops:x' },
    all({ agentId: 'ops', sessionKey: 'agent:ops:x' }),
  ],
  ['--session-key "  "', { sessionKey: '  ' }, all(BLANK)],
];

describe('normalizeExplicitSessionKey — reference §8.5 matrix', () => {
  for (const [label, args, cells] of MATRIX) {
    describe(label, () => {
      for (const column of Object.keys(COLUMNS) as Column[]) {
        const cell = cells[column];
        const input = { ...COLUMNS[column], ...args };
        if (cell === 'selection') {
          it(`${column}: owner selection is the caller's; without an owner a bare key is NO_AGENT_ID`, () => {
            const result = attempt(input);
            // Bare keys have no owner → NO_AGENT_ID; sentinels stay literal; malformed keys are
            // still refused. None of them is silently given an owner.
            if (result.ok) expect(result.value).toEqual({ sessionKey: args.sessionKey.trim(), agentId: undefined });
            else expect(['NO_AGENT_ID', 'MALFORMED_AGENT_KEY']).toContain(result.error.code);
          });
        } else if ('code' in cell) {
          it(`${column}: ⟂ ${cell.code}`, () => expectError(input, cell.code, cell.message));
        } else {
          it(`${column}: → ${cell.agentId ?? '—'} / ${cell.sessionKey}`, () => {
            expect(normalizeExplicitSessionKey(input)).toEqual(cell);
          });
        }
      }
    });
  }
});

describe('normalizeExplicitSessionKey — rules (reference §8.3, seed 003)', () => {
  const base = { defaultAgentId: 'main' };

  it('sends agent-prefixed keys as typed apart from trimming; the owner is the normalized key agent', () => {
    expect(normalizeExplicitSessionKey({ ...base, sessionKey: '  AGENT:Ops:Incident-42 ' })).toEqual({
      sessionKey: 'AGENT:Ops:Incident-42',
      agentId: 'ops',
    });
    expect(normalizeExplicitSessionKey({ ...base, sessionKey: 'agent:Ops Team:x' }).agentId).toBe('ops-team');
  });

  it('scopes bare keys to --agent (normalized, lower-cased)', () => {
    expect(normalizeExplicitSessionKey({ ...base, agentId: 'Ops', sessionKey: 'Incident-42' })).toEqual({
      sessionKey: 'agent:ops:incident-42',
      agentId: 'ops',
    });
    expect(normalizeExplicitSessionKey({ ...base, agentId: ' Ops ', sessionKey: 'MAIN' }).sessionKey).toBe('agent:ops:main');
  });

  it('accepts --agent that matches after normalization', () => {
    expect(normalizeExplicitSessionKey({ ...base, agentId: 'OPS', sessionKey: 'agent:ops:x' })).toEqual({
      sessionKey: 'agent:ops:x',
      agentId: 'ops',
    });
  });

  it('reports a mismatch with --agent as typed (trimmed) and the normalized key agent', () => {
    expectError(
      { ...base, agentId: ' main ', sessionKey: 'AGENT:OPS:x' },
      'AGENT_MISMATCH',
      'Agent id "main" does not match session key agent "ops".',
    );
  });

  it('keeps sentinels verbatim (case kept, trimmed); with --agent only the owner changes', () => {
    expect(normalizeExplicitSessionKey({ ...base, sessionKey: 'GLOBAL' })).toEqual({ sessionKey: 'GLOBAL', agentId: undefined });
    expect(normalizeExplicitSessionKey({ ...base, sessionKey: ' unknown ' })).toEqual({ sessionKey: 'unknown', agentId: undefined });
    expect(normalizeExplicitSessionKey({ ...base, agentId: 'Ops', sessionKey: 'Global' })).toEqual({
      sessionKey: 'Global',
      agentId: 'ops',
    });
  });

  it('quotes the trimmed key in the malformed-key error', () => {
    expectError(
      { ...base, sessionKey: '  agent::main ' },
      'MALFORMED_AGENT_KEY',
      'Invalid --session-key "agent::main". Agent-prefixed session keys must use agent:<agent-id>:<session-key>.',
    );
  });

  it('checks a blank --agent before a blank --session-key', () => {
    expectError({ ...base, agentId: '  ', sessionKey: '  ' }, 'BLANK_SELECTOR', '--agent must not be blank');
    expectError({ ...base, agentId: '', sessionKey: 'agent:ops:x' }, 'BLANK_SELECTOR', '--agent must not be blank');
    expectError({ ...base, sessionKey: '' }, 'BLANK_SELECTOR', '--session-key must not be blank');
  });

  it('reports a malformed key before an unknown --agent, and a mismatch before an unknown --agent', () => {
    expectError(
      { ...base, knownAgentIds: [], agentId: 'ghost', sessionKey: 'agent:ops' },
      'MALFORMED_AGENT_KEY',
      'Invalid --session-key "agent:ops". Agent-prefixed session keys must use agent:<agent-id>:<session-key>.',
    );
    expectError(
      { ...base, knownAgentIds: [], agentId: 'ghost', sessionKey: 'agent:ops:x' },
      'AGENT_MISMATCH',
      'Agent id "ghost" does not match session key agent "ops".',
    );
  });

  it('compares knownAgentIds after normalization and quotes --agent as typed', () => {
    expect(normalizeExplicitSessionKey({ ...base, knownAgentIds: ['Ops Team'], agentId: 'OPS TEAM', sessionKey: 'x' })).toEqual({
      sessionKey: 'agent:ops-team:x',
      agentId: 'ops-team',
    });
    expectError({ ...base, knownAgentIds: ['main'], agentId: ' Ghost ', sessionKey: 'x' }, 'UNKNOWN_AGENT', 'Unknown agent id "Ghost".');
    // "!!!" normalizes to main and is accepted when main is configured (reference §8.3 step 7).
    expect(normalizeExplicitSessionKey({ ...base, knownAgentIds: ['main'], agentId: '!!!', sessionKey: 'x' }).agentId).toBe('main');
  });

  it('does not check an agent-prefixed key against knownAgentIds (any agent may be named)', () => {
    expect(normalizeExplicitSessionKey({ ...base, knownAgentIds: ['main'], sessionKey: 'agent:ghost:main' })).toEqual({
      sessionKey: 'agent:ghost:main',
      agentId: 'ghost',
    });
  });

  it('without knownAgentIds accepts any --agent', () => {
    expect(normalizeExplicitSessionKey({ ...base, agentId: 'anyone', sessionKey: 'x' }).sessionKey).toBe('agent:anyone:x');
  });

  it('refuses a bare key when there is neither --agent nor a default agent', () => {
    expectError(
      { defaultAgentId: '  ', sessionKey: 'incident-42' },
      'NO_AGENT_ID',
      'Session key "incident-42" has no agent; pass --agent <id> or configure a default agent.',
    );
  });

  it('rejects wrongly typed input with INVALID_INPUT', () => {
    for (const bad of [
      null,
      { sessionKey: 1, defaultAgentId: 'main' },
      { sessionKey: 'x', agentId: 2, defaultAgentId: 'main' },
      { sessionKey: 'x', agentId: 'ops', defaultAgentId: 'main', knownAgentIds: 'ops' },
    ]) {
      const result = attempt(bad as unknown as ExplicitSessionKeyInput);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error.code).toBe('INVALID_INPUT');
    }
  });
});

describe('normalizeExplicitSessionKey — keys that could not be owned', () => {
  it('refuses a bare key starting with ":" instead of minting the unparseable agent:<id>::…', () => {
    expectError(
      { defaultAgentId: 'main', sessionKey: ' :x ' },
      'MALFORMED_SESSION_KEY',
      'Invalid --session-key ":x". Session keys must not start with ":".',
    );
  });
});

describe('normalizeExplicitSessionKey — error messages echo at most 200 characters of input', () => {
  it('truncates a huge key in the message with an ellipsis', () => {
    const sessionKey = `agent:${'x'.repeat(10_000)}`;
    const result = attempt({ defaultAgentId: 'main', sessionKey });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe('MALFORMED_AGENT_KEY');
      expect(result.error.message).toBe(
        `Invalid --session-key "${sessionKey.slice(0, 200)}…". Agent-prefixed session keys must use agent:<agent-id>:<session-key>.`,
      );
    }
  });
});
