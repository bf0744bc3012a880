import type { ScriptedRulesFile } from './scripted-model.js';

/** The prompt the gateway uses for heartbeat turns (the scripted rules key on its `[heartbeat]` prefix). */
export const HEARTBEAT_PROMPT =
  '[heartbeat] Check the system events above, if any, and act on them. If nothing needs attention, reply HEARTBEAT_OK.';

/**
 * The built-in rules of the scripted model. First match wins; `match` is tested against the
 * user's text, `event` against the `System: …` lines the gateway drained into the turn.
 */
export const DEFAULT_SCRIPTED_RULES: ScriptedRulesFile = {
  rules: [
    {
      name: 'heartbeat-with-events',
      match: '^\\[heartbeat\\]',
      event: '^([\\s\\S]+)$',
      reply: '[scripted] Heartbeat: noted system events:\n$e1',
    },
    { name: 'heartbeat-idle', match: '^\\[heartbeat\\]', reply: 'HEARTBEAT_OK' },
    {
      name: 'exec-background',
      match: '^(?:run|exec) in (?:the )?background:?\\s+([\\s\\S]+)$',
      toolCalls: [{ tool: 'exec', args: { command: '$1', background: true } }],
      after: '[scripted] Started `$1` in the background as {{result.id}} ({{result.status}}).',
    },
    {
      name: 'exec-foreground',
      match: '^(?:run|exec):?\\s+([\\s\\S]+)$',
      toolCalls: [{ tool: 'exec', args: { command: '$1' } }],
      after: '[scripted] Ran `$1`: {{result.status}} (exit {{result.exitCode}})\n{{result.output}}',
    },
    {
      name: 'process-list',
      match: '^(?:ps|list processes|process list)$',
      toolCalls: [{ tool: 'process', args: { action: 'list' } }],
      after: '[scripted] Processes: {{result}}',
    },
    {
      name: 'process-log',
      match: '^(?:log|logs|show log(?: of)?)\\s+(\\S+)$',
      toolCalls: [{ tool: 'process', args: { action: 'log', id: '$1' } }],
      after: '[scripted] Log of $1: {{result}}',
    },
    {
      name: 'process-poll',
      match: '^poll\\s+(\\S+)$',
      toolCalls: [{ tool: 'process', args: { action: 'poll', id: '$1' } }],
      after: '[scripted] Poll of $1: {{result}}',
    },
    {
      name: 'process-kill',
      match: '^kill\\s+(\\S+)$',
      toolCalls: [{ tool: 'process', args: { action: 'kill', id: '$1' } }],
      after: '[scripted] Kill $1: {{result}}',
    },
    {
      name: 'sessions-spawn',
      match: '^spawn\\s+(?:agent\\s+)?([A-Za-z0-9_-]+)(?:\\s+(?:as|key)\\s+(\\S+))?:\\s*([\\s\\S]+)$',
      toolCalls: [{ tool: 'sessions_spawn', args: { agentId: '$1', sessionKey: '$2', task: '$3' } }],
      after: '[scripted] Spawn: {{result.status}} {{result.childSessionKey}} {{result.runId}} {{result.error}}',
    },
    {
      name: 'cron-every',
      match: '^(?:cron(?: add)?|remind me) every\\s+(\\S+):\\s*([\\s\\S]+)$',
      toolCalls: [{ tool: 'cron', args: { action: 'add', every: '$1', text: '$2' } }],
      after: '[scripted] Cron: {{result.status}} {{result.id}} {{result.error}}',
    },
    {
      name: 'cron-in',
      match: '^(?:cron(?: add)?|remind me) in\\s+(\\S+):\\s*([\\s\\S]+)$',
      toolCalls: [{ tool: 'cron', args: { action: 'add', in: '$1', text: '$2' } }],
      after: '[scripted] Cron: {{result.status}} {{result.id}} {{result.error}}',
    },
    {
      name: 'cron-list',
      match: '^cron list$',
      toolCalls: [{ tool: 'cron', args: { action: 'list' } }],
      after: '[scripted] Cron jobs: {{result}}',
    },
    {
      name: 'sessions-list',
      match: '^(?:list sessions|sessions)$',
      toolCalls: [{ tool: 'sessions_list', args: {} }],
      after: '[scripted] Sessions: {{result}}',
    },
    {
      name: 'sessions-history',
      match: '^history(?: of)?\\s+(\\S+)$',
      toolCalls: [{ tool: 'sessions_history', args: { sessionKey: '$1' } }],
      after: '[scripted] History of $1: {{result}}',
    },
    {
      name: 'echo-with-events',
      match: '^([\\s\\S]*)$',
      event: '^([\\s\\S]+)$',
      reply: '[scripted] echo: $1\n[scripted] noted system events:\n$e1',
    },
    { name: 'echo', match: '^([\\s\\S]*)$', reply: '[scripted] echo: $1' },
  ],
};
