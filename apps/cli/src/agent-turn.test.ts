import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  checkBlankSelectors,
  MAX_MESSAGE_FILE_BYTES,
  normalizeSelectors,
  prepareAgentTurn,
  readMessageFile,
  resolveMessage,
  type AgentCliOptions,
} from './agent-turn.js';
import { CliError } from './errors.js';
import { DEFAULT_ROSTER, type AgentRoster } from './roster.js';

const MAIN_OPS: AgentRoster = { knownAgentIds: ['main', 'ops'], defaultAgentId: 'main' };
const OPS_DEFAULT: AgentRoster = { knownAgentIds: ['main', 'ops'], defaultAgentId: 'ops' };

function rejectionOf(fn: () => unknown): CliError {
  try {
    fn();
  } catch (error) {
    if (CliError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a CliError');
}

function normalize(options: AgentCliOptions, roster: AgentRoster = MAIN_OPS) {
  return normalizeSelectors(options, roster, 'hi');
}

describe('checkBlankSelectors', () => {
  it('rejects a whitespace-only selector with "<flag> must not be blank"', () => {
    expect(rejectionOf(() => checkBlankSelectors({ sessionKey: '  ' })).message).toBe('--session-key must not be blank');
    expect(rejectionOf(() => checkBlankSelectors({ agent: '' })).message).toBe('--agent must not be blank');
    expect(rejectionOf(() => checkBlankSelectors({ sessionId: '\t' })).message).toBe('--session-id must not be blank');
    expect(rejectionOf(() => checkBlankSelectors({ to: ' ' })).message).toBe('--to must not be blank');
  });

  it('checks in the order --agent, --session-id, --session-key, --to', () => {
    expect(rejectionOf(() => checkBlankSelectors({ agent: ' ', sessionId: ' ', sessionKey: ' ', to: ' ' })).message).toBe(
      '--agent must not be blank',
    );
    expect(rejectionOf(() => checkBlankSelectors({ sessionId: ' ', sessionKey: ' ', to: ' ' })).message).toBe(
      '--session-id must not be blank',
    );
    expect(rejectionOf(() => checkBlankSelectors({ sessionKey: ' ', to: ' ' })).message).toBe('--session-key must not be blank');
  });

  it('rejects a blank selector even when another selector is valid', () => {
    const error = rejectionOf(() => checkBlankSelectors({ agent: 'ops', to: '  ' }));
    expect(error.code).toBe('VALIDATION');
    expect(error.message).toBe('--to must not be blank');
  });
});

describe('resolveMessage', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pincer-cli-msg-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses --message together with --message-file', () => {
    expect(rejectionOf(() => resolveMessage({ message: 'a', messageFile: 'b' }, dir)).message).toBe(
      'Use either --message or --message-file, not both.',
    );
  });

  it('refuses a missing or blank message with the usage hint', () => {
    const hint = 'Missing message. Use pincer agent --message "..." --agent <id> or pincer agent --message-file <path> --agent <id>.';
    expect(rejectionOf(() => resolveMessage({}, dir)).message).toBe(hint);
    expect(rejectionOf(() => resolveMessage({ message: '   ' }, dir)).message).toBe(hint);
    writeFileSync(join(dir, 'blank.txt'), '\ufeff  \n');
    expect(rejectionOf(() => resolveMessage({ messageFile: 'blank.txt' }, dir)).message).toBe(hint);
  });

  it('reads a message file relative to cwd as UTF-8 and strips the BOM', () => {
    writeFileSync(join(dir, 'm.txt'), '\ufeffHallo Wörld\n');
    expect(resolveMessage({ messageFile: 'm.txt' }, dir)).toBe('Hallo Wörld\n');
    expect(readMessageFile(join(dir, 'm.txt'), '/')).toBe('Hallo Wörld\n');
  });

  it('refuses files over 4 MiB and missing files', () => {
    writeFileSync(join(dir, 'big.txt'), Buffer.alloc(MAX_MESSAGE_FILE_BYTES + 1, 0x61));
    expect(rejectionOf(() => readMessageFile('big.txt', dir)).message).toMatch(/too large .*4 MiB/);
    writeFileSync(join(dir, 'edge.txt'), Buffer.alloc(MAX_MESSAGE_FILE_BYTES, 0x61));
    expect(readMessageFile('edge.txt', dir)).toHaveLength(MAX_MESSAGE_FILE_BYTES);
    const missing = rejectionOf(() => readMessageFile('nope.txt', dir));
    expect(missing.code).toBe('VALIDATION');
    expect(missing.message).toContain('ENOENT');
  });
});

describe('normalizeSelectors (seed 003 / reference §8.5)', () => {
  it('sends an agent-prefixed key exactly as typed (trimmed), with no agent id', () => {
    expect(normalize({ sessionKey: ' agent:ops:incident-42 ' })).toEqual({ message: 'hi', sessionKey: 'agent:ops:incident-42' });
    expect(normalize({ sessionKey: 'AGENT:Ops:Incident-42' })).toEqual({ message: 'hi', sessionKey: 'AGENT:Ops:Incident-42' });
  });

  it('scopes a bare key to --agent', () => {
    expect(normalize({ agent: 'Ops', sessionKey: 'Incident-42' })).toEqual({
      message: 'hi',
      agentId: 'ops',
      sessionKey: 'agent:ops:incident-42',
    });
  });

  it('scopes a bare key to the default agent without --agent', () => {
    expect(normalize({ sessionKey: 'incident-42' }, DEFAULT_ROSTER)).toEqual({
      message: 'hi',
      agentId: 'main',
      sessionKey: 'agent:main:incident-42',
    });
    expect(normalize({ sessionKey: 'incident-42' }, OPS_DEFAULT)).toEqual({
      message: 'hi',
      agentId: 'ops',
      sessionKey: 'agent:ops:incident-42',
    });
    expect(normalize({ sessionKey: 'MAIN' }, DEFAULT_ROSTER).sessionKey).toBe('agent:main:main');
    expect(normalize({ sessionKey: 'subagent:worker' }, OPS_DEFAULT).sessionKey).toBe('agent:ops:subagent:worker');
  });

  it('keeps the sentinels global/unknown literal without --agent, owned by --agent with it', () => {
    expect(normalize({ sessionKey: 'global' })).toEqual({ message: 'hi', sessionKey: 'global' });
    expect(normalize({ sessionKey: 'GLOBAL' })).toEqual({ message: 'hi', sessionKey: 'GLOBAL' });
    expect(normalize({ sessionKey: ' unknown ' })).toEqual({ message: 'hi', sessionKey: 'unknown' });
    expect(normalize({ agent: 'ops', sessionKey: 'global' })).toEqual({ message: 'hi', agentId: 'ops', sessionKey: 'global' });
  });

  it('rejects a malformed agent key with the exact message', () => {
    const error = rejectionOf(() => normalize({ sessionKey: 'agent:main' }));
    expect(error.code).toBe('VALIDATION');
    expect(error.message).toBe('Invalid --session-key "agent:main". Agent-prefixed session keys must use agent:<agent-id>:<session-key>.');
    expect(rejectionOf(() => normalize({ agent: 'ops', sessionKey: 'agent:ops' })).message).toBe(
      'Invalid --session-key "agent:ops". Agent-prefixed session keys must use agent:<agent-id>:<session-key>.',
    );
  });

  it('rejects an --agent / key mismatch with the exact message', () => {
    expect(rejectionOf(() => normalize({ agent: 'ops', sessionKey: 'agent:main:incident-42' })).message).toBe(
      'Agent id "ops" does not match session key agent "main".',
    );
    expect(rejectionOf(() => normalize({ agent: 'main', sessionKey: 'AGENT:OPS:x' })).message).toBe(
      'Agent id "main" does not match session key agent "ops".',
    );
    expect(normalize({ agent: 'OPS', sessionKey: 'agent:ops:x' })).toEqual({ message: 'hi', agentId: 'ops', sessionKey: 'agent:ops:x' });
  });

  it('rejects an unknown --agent', () => {
    expect(rejectionOf(() => normalize({ agent: 'ghost', sessionKey: 'x' })).message).toBe('Unknown agent id "ghost".');
    expect(rejectionOf(() => normalize({ agent: 'ghost' })).message).toBe('Unknown agent id "ghost".');
    expect(rejectionOf(() => normalize({ agent: 'ops' }, DEFAULT_ROSTER)).message).toBe('Unknown agent id "ops".');
    // An agent-prefixed key must name a configured agent too (the gateway refuses it the same way).
    expect(rejectionOf(() => normalize({ sessionKey: 'agent:ghost:x' })).message).toBe('Unknown agent id "ghost".');
    expect(rejectionOf(() => normalize({ to: 'agent:ghost:x' })).message).toBe('Unknown agent id "ghost".');
  });

  it('moves an agent-shaped --to into the session key; a malformed one stays a recipient', () => {
    expect(normalize({ to: 'agent:ops:x' })).toEqual({ message: 'hi', sessionKey: 'agent:ops:x' });
    expect(normalize({ to: 'agent:ops' })).toEqual({ message: 'hi', to: 'agent:ops', agentId: 'main', sessionKey: 'agent:main:main' });
  });

  it('targets the owner main session for a plain --to', () => {
    expect(normalize({ to: '+15555550123' })).toEqual({
      message: 'hi',
      to: '+15555550123',
      agentId: 'main',
      sessionKey: 'agent:main:main',
    });
    expect(normalize({ to: '+15555550123', agent: 'ops' })).toEqual({
      message: 'hi',
      to: '+15555550123',
      agentId: 'ops',
      sessionKey: 'agent:ops:main',
    });
  });

  it('sends --agent alone as agentId only, and nothing at all as the default agent', () => {
    expect(normalize({ agent: 'ops' })).toEqual({ message: 'hi', agentId: 'ops' });
    expect(normalize({}, OPS_DEFAULT)).toEqual({ message: 'hi', agentId: 'ops' });
  });

  it('does not scope a bare key next to --session-id', () => {
    expect(normalize({ sessionKey: 'incident-42', sessionId: 's-1' })).toEqual({
      message: 'hi',
      sessionId: 's-1',
      sessionKey: 'incident-42',
    });
    expect(normalize({ sessionId: 's-1' })).toEqual({ message: 'hi', sessionId: 's-1' });
    expect(normalize({ sessionId: 's-1', sessionKey: 'agent:ops:x' })).toEqual({
      message: 'hi',
      sessionId: 's-1',
      sessionKey: 'agent:ops:x',
    });
  });

  it('only ever throws CliError or SessionKeyError-derived validation errors', () => {
    fc.assert(
      fc.property(fc.option(fc.string()), fc.option(fc.string()), fc.option(fc.string()), (agent, sessionKey, to) => {
        const options: AgentCliOptions = {
          ...(agent !== null ? { agent } : {}),
          ...(sessionKey !== null ? { sessionKey } : {}),
          ...(to !== null ? { to } : {}),
        };
        try {
          checkBlankSelectors(options);
          const request = normalize(options);
          if (request.sessionKey !== undefined) expect(request.sessionKey.trim()).toBe(request.sessionKey);
        } catch (error) {
          const isExpected = CliError.isInstance(error) || (error instanceof Error && error.name === 'SessionKeyError');
          expect(isExpected).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('prepareAgentTurn', () => {
  it('runs the blank check before the message check, and both before loading the roster', async () => {
    let rosterLoads = 0;
    const loadRoster = () => {
      rosterLoads += 1;
      return MAIN_OPS;
    };
    await expect(prepareAgentTurn({ sessionKey: ' ' }, { cwd: '/', loadRoster })).rejects.toThrow('--session-key must not be blank');
    await expect(prepareAgentTurn({ sessionKey: 'x' }, { cwd: '/', loadRoster })).rejects.toThrow(/^Missing message/);
    expect(rosterLoads).toBe(0);
  });

  it('returns the request and the timeout in ms (default 600 s)', async () => {
    const prepared = await prepareAgentTurn({ message: 'hi', agent: 'ops', sessionKey: 'k' }, { cwd: '/', loadRoster: () => MAIN_OPS });
    expect(prepared).toEqual({ request: { message: 'hi', agentId: 'ops', sessionKey: 'agent:ops:k' }, timeoutMs: 600_000 });
    const quick = await prepareAgentTurn({ message: 'hi', timeout: 1.5 }, { cwd: '/', loadRoster: () => MAIN_OPS });
    expect(quick.timeoutMs).toBe(1500);
  });
});
