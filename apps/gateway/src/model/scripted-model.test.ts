import { generateText, jsonSchema, stepCountIs, tool } from 'ai';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SCRIPTED_RULES } from './default-rules.js';
import { createScriptedModel, splitSystemEvents } from './scripted-model.js';

const model = () => createScriptedModel({ rules: DEFAULT_SCRIPTED_RULES });

describe('createScriptedModel', () => {
  it('says it is scripted and echoes plain messages', async () => {
    const m = model();
    expect(m.modelId).toBe('scripted');
    const r = await generateText({ model: m, prompt: 'hello world' });
    expect(r.text).toBe('[scripted] echo: hello world');
  });

  it('emits a tool call with captures and replies from the tool result', async () => {
    const calls: unknown[] = [];
    const r = await generateText({
      model: model(),
      prompt: 'run in background: sleep 5',
      tools: {
        exec: tool({
          inputSchema: jsonSchema<{ command: string; background?: boolean }>({
            type: 'object',
            properties: { command: { type: 'string' }, background: { type: 'boolean' } },
          }),
          execute: async (input) => {
            calls.push(input);
            return { status: 'running', id: 'amber-atlas' };
          },
        }),
      },
      stopWhen: stepCountIs(4),
    });
    expect(calls).toEqual([{ command: 'sleep 5', background: true }]);
    expect(r.text).toBe('[scripted] Started `sleep 5` in the background as amber-atlas (running).');
  });

  it('omits optional captures that did not match', async () => {
    const seen: unknown[] = [];
    await generateText({
      model: model(),
      prompt: 'spawn ops: do it',
      tools: {
        sessions_spawn: tool({ inputSchema: jsonSchema({ type: 'object' }), execute: async (i) => (seen.push(i), { status: 'accepted' }) }),
      },
      stopWhen: stepCountIs(3),
    });
    expect(seen).toEqual([{ agentId: 'ops', task: 'do it' }]);
  });

  it('notes system events in heartbeat turns and acks with HEARTBEAT_OK when there are none', async () => {
    const withEvents = await generateText({ model: model(), prompt: 'System: [t] Exec completed (a, code 0) :: ok\n\n[heartbeat] check' });
    expect(withEvents.text).toBe('[scripted] Heartbeat: noted system events:\nSystem: [t] Exec completed (a, code 0) :: ok');
    const idle = await generateText({ model: model(), prompt: '[heartbeat] check' });
    expect(idle.text).toBe('HEARTBEAT_OK');
  });

  it('says so when a rule needs a tool the session does not have', async () => {
    const r = await generateText({ model: model(), prompt: 'ps', tools: {} });
    expect(r.text).toContain('tool "process" is not available');
  });

  it('rejects invalid rules', () => {
    expect(() => createScriptedModel({ rules: { rules: [{ match: 'x' }] } })).toThrow();
  });
});

describe('splitSystemEvents', () => {
  it('separates leading System lines from the message', () => {
    expect(splitSystemEvents('System: a\nSystem: b\n\nhi')).toEqual({ events: 'System: a\nSystem: b', message: 'hi' });
    expect(splitSystemEvents('hi')).toEqual({ events: '', message: 'hi' });
  });
});

describe('default rules: cron add', () => {
  it('maps "cron add every 5m: text" to the cron tool', async () => {
    const seen: unknown[] = [];
    const r = await generateText({
      model: createScriptedModel({ rules: DEFAULT_SCRIPTED_RULES }),
      prompt: 'cron add every 5m: check the queue',
      tools: {
        cron: tool({ inputSchema: jsonSchema({ type: 'object' }), execute: async (i) => (seen.push(i), { status: 'added', id: 'j1' }) }),
      },
      stopWhen: stepCountIs(3),
    });
    expect(seen).toEqual([{ action: 'add', every: '5m', text: 'check the queue' }]);
    expect(r.text).toBe('[scripted] Cron: added j1');
  });
});

describe('scripted rule regexes (issue 14 item 11)', () => {
  it('a catastrophic-backtracking rule cannot stall a turn: it runs in linear time', async () => {
    const slow = createScriptedModel({ rules: { rules: [{ match: '^(a+)+$', reply: 'matched' }, { reply: 'fallback' }] } });
    const hostile = `${'a'.repeat(40_000)}!`;
    const r = await generateText({ model: slow, prompt: hostile });
    expect(r.text).toBe('fallback');
  });

  it('refuses a rule RE2 cannot run, naming the rule', () => {
    let caught: unknown;
    try {
      createScriptedModel({ rules: { rules: [{ reply: 'x' }, { match: '(a)\\1', reply: 'y' }] } });
    } catch (error) {
      caught = error;
    }
    expect((caught as { code?: string }).code).toBe('invalid_config');
    expect((caught as { field?: string }).field).toBe('rules[1].match');
  });
});
