import { readFileSync } from 'node:fs';
import { compileGuardedRegex, type GuardedRegex } from '../security/regex-guard.js';
import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3Content,
  LanguageModelV3GenerateResult,
  LanguageModelV3Prompt,
  LanguageModelV3StreamPart,
  LanguageModelV3Usage,
} from '@ai-sdk/provider';
import { z } from 'zod';
import { GatewayError, formatPath } from '../errors.js';

/** A tool call a rule emits; string values in `args` are templates (`$1`, `$e1`, `$message`). */
export const ScriptedToolCallSchema = z.object({ tool: z.string().min(1), args: z.record(z.string(), z.unknown()).default({}) }).strict();

/** One rule: all given regexes must match; first matching rule wins. */
export const ScriptedRuleSchema = z
  .object({
    name: z.string().optional(),
    /** Regex tested against the user's text (the part after any `System:` lines). */
    match: z.string().optional(),
    /** Regex tested against the `System: …` lines drained into the turn; the rule needs events. */
    event: z.string().optional(),
    /** Regex flags, default `i`. */
    flags: z
      .string()
      .regex(/^[gimsuy]*$/)
      .optional(),
    /** Reply text template. */
    reply: z.string().optional(),
    /** Tool calls to make (in one step). */
    toolCalls: z.array(ScriptedToolCallSchema).optional(),
    /** Reply template once the tool results are back: `{{result}}`, `{{result.id}}`, `{{results.1.status}}`. */
    after: z.string().optional(),
  })
  .strict()
  .refine((rule) => rule.reply !== undefined || (rule.toolCalls?.length ?? 0) > 0, 'a rule needs "reply" or "toolCalls"');

/** A rules file: `{ "rules": [ … ] }`. */
export const ScriptedRulesFileSchema = z.object({ $schema: z.string().optional(), rules: z.array(ScriptedRuleSchema).min(1) }).strict();

/** One parsed rule. */
export type ScriptedRule = z.infer<typeof ScriptedRuleSchema>;
/** A rules file as written. */
export type ScriptedRulesFile = z.input<typeof ScriptedRulesFileSchema>;

/** Read and validate a rules file; errors name the JSON path. */
export function loadScriptedRules(path: string): ScriptedRulesFile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new GatewayError('invalid_config', `Scripted rules file ${path} is unreadable: ${(cause as Error).message}`, {
      field: '(root)',
      cause,
    });
  }
  const parsed = ScriptedRulesFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue ? formatPath(issue.path) : '(root)';
    throw new GatewayError('invalid_config', `Invalid scripted rules in ${path} at ${field}: ${issue?.message}`, { field });
  }
  return parsed.data;
}

interface CompiledRule {
  index: number;
  rule: ScriptedRule;
  match: GuardedRegex | undefined;
  event: GuardedRegex | undefined;
}

interface Captures {
  matchGroups: ReadonlyArray<string | undefined>;
  eventGroups: ReadonlyArray<string | undefined>;
  message: string;
  events: string;
}

/** Split the user's text into the leading `System: …` block and the message proper. */
export function splitSystemEvents(text: string): { events: string; message: string } {
  const lines = text.split('\n');
  let eventLines = 0;
  while (eventLines < lines.length && lines[eventLines]!.startsWith('System:')) eventLines++;
  if (eventLines === 0) return { events: '', message: text.trim() };
  const events = lines.slice(0, eventLines).join('\n');
  const message = lines.slice(eventLines).join('\n').trim();
  return { events, message };
}

function valueAt(root: unknown, path: ReadonlyArray<string>): unknown {
  let current: unknown = root;
  for (const segment of path) {
    if (current === null || current === undefined) return undefined;
    if (typeof current === 'string') {
      try {
        current = JSON.parse(current);
      } catch {
        return undefined;
      }
    }
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

function show(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

function substitute(template: string, caps: Captures, results?: ReadonlyArray<unknown>): string {
  let out = template.replace(/\$(e?)(\d)|\$message|\$events/g, (whole, isEvent: string | undefined, digit: string | undefined) => {
    if (whole === '$message') return caps.message;
    if (whole === '$events') return caps.events;
    const groups = isEvent ? caps.eventGroups : caps.matchGroups;
    return groups[Number(digit)] ?? '';
  });
  if (results) {
    out = out.replace(/\{\{\s*(result|results)((?:\.[A-Za-z0-9_-]+)*)\s*\}\}/g, (_whole, head: string, rest: string) => {
      const path = rest.split('.').filter((segment) => segment !== '');
      if (head === 'result') return show(valueAt(results[0], path));
      return show(valueAt(results, path));
    });
  }
  return out;
}

function templateArgs(args: Record<string, unknown>, caps: Captures): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(args)) {
    if (typeof value === 'string') {
      const filled = substitute(value, caps).trim();
      // A template that resolves to nothing (an optional capture that did not match) is omitted.
      if (filled === '' && value.trim() !== '') continue;
      out[name] = filled;
    } else if (value && typeof value === 'object' && !Array.isArray(value)) {
      out[name] = templateArgs(value as Record<string, unknown>, caps);
    } else {
      out[name] = value;
    }
  }
  return out;
}

function textOf(parts: ReadonlyArray<{ type: string; text?: string }>): string {
  return parts
    .filter((part) => part.type === 'text')
    .map((part) => part.text ?? '')
    .join('\n');
}

function usage(inputChars: number, outputChars: number): LanguageModelV3Usage {
  const inputTokens = Math.ceil(inputChars / 4);
  const outputTokens = Math.ceil(outputChars / 4);
  return {
    inputTokens: { total: inputTokens, noCache: inputTokens, cacheRead: 0, cacheWrite: 0 },
    outputTokens: { total: outputTokens, text: outputTokens, reasoning: 0 },
  };
}

/** Options of {@link createScriptedModel}. */
export interface ScriptedModelOptions {
  /** The rules (default: the built-in rules). */
  rules: ScriptedRulesFile;
  /** Model id reported (default `scripted`). */
  modelId?: string;
}

/**
 * An offline, deterministic LanguageModelV3 driven by rules: it reads the last user message
 * (and the system events drained into it), emits reply text and/or tool calls, and after tool
 * results replies with the rule's `after` template. Provider `pincer`, model id `scripted`.
 */
export function createScriptedModel(options: ScriptedModelOptions): LanguageModelV3 {
  const parsed = ScriptedRulesFileSchema.parse(options.rules);
  const compiled: CompiledRule[] = parsed.rules.map((rule, index) => {
    const flags = rule.flags ?? 'i';
    return {
      index,
      rule,
      // Issue 14 item 11: linear-time matching (RE2), so one rule cannot stall the gateway.
      match: rule.match !== undefined ? compileGuardedRegex(rule.match, flags, `rules[${index}].match`) : undefined,
      event: rule.event !== undefined ? compileGuardedRegex(rule.event, flags, `rules[${index}].event`) : undefined,
    };
  });
  let callCounter = 0;

  const generate = (callOptions: LanguageModelV3CallOptions): LanguageModelV3GenerateResult => {
    const prompt: LanguageModelV3Prompt = callOptions.prompt;
    const inputChars = JSON.stringify(prompt).length;
    const last = prompt[prompt.length - 1];
    const content: LanguageModelV3Content[] = [];
    let finish: 'stop' | 'tool-calls' = 'stop';

    // Find the latest user message (the turn's input).
    let userText = '';
    for (let index = prompt.length - 1; index >= 0; index--) {
      const promptMessage = prompt[index]!;
      if (promptMessage.role === 'user') {
        userText = textOf(promptMessage.content as Array<{ type: string; text?: string }>);
        break;
      }
    }
    const { events, message } = splitSystemEvents(userText);

    if (last && last.role === 'tool') {
      // Follow-up after tool results: find the rule that made the calls from the call ids.
      const results: unknown[] = [];
      let ruleIndex = -1;
      for (const part of last.content) {
        if (part.type !== 'tool-result') continue;
        const callId = /^scripted_(\d+)_/.exec(part.toolCallId);
        if (callId) ruleIndex = Number(callId[1]);
        const output = part.output;
        results.push(
          output.type === 'json' || output.type === 'error-json'
            ? output.value
            : output.type === 'text' || output.type === 'error-text'
              ? output.value
              : output,
        );
      }
      const rule = compiled[ruleIndex];
      let caps: Captures = { matchGroups: [], eventGroups: [], message, events };
      if (rule) {
        caps = {
          matchGroups: rule.match ? Array.from(rule.match.exec(message) ?? []) : [],
          eventGroups: rule.event ? Array.from(rule.event.exec(events) ?? []) : [],
          message,
          events,
        };
      }
      const template = rule?.rule.after ?? '[scripted] Tool results: {{results}}';
      content.push({ type: 'text', text: substitute(template, caps, results).trimEnd() });
    } else {
      let chosen: { rule: CompiledRule; caps: Captures } | undefined;
      for (const candidate of compiled) {
        const matchGroups = candidate.match ? candidate.match.exec(message) : [];
        if (!matchGroups) continue;
        let eventGroups: Array<string | undefined> | null = [];
        if (candidate.event) {
          if (events === '') continue;
          eventGroups = candidate.event.exec(events);
          if (!eventGroups) continue;
        }
        chosen = { rule: candidate, caps: { matchGroups: Array.from(matchGroups), eventGroups: Array.from(eventGroups), message, events } };
        break;
      }
      if (!chosen) {
        content.push({ type: 'text', text: '[scripted] (no rule matched)' });
      } else {
        const { rule, caps } = chosen;
        if (rule.rule.reply !== undefined) content.push({ type: 'text', text: substitute(rule.rule.reply, caps).trimEnd() });
        const available = new Set((callOptions.tools ?? []).map((tool) => tool.name));
        for (const call of rule.rule.toolCalls ?? []) {
          if (!available.has(call.tool)) {
            content.push({ type: 'text', text: `[scripted] tool "${call.tool}" is not available in this session.` });
            continue;
          }
          callCounter += 1;
          content.push({
            type: 'tool-call',
            toolCallId: `scripted_${rule.index}_${callCounter}`,
            toolName: call.tool,
            input: JSON.stringify(templateArgs(call.args, caps)),
          });
          finish = 'tool-calls';
        }
      }
    }
    const outChars = content.reduce(
      (total, part) => total + (part.type === 'text' ? part.text.length : part.type === 'tool-call' ? part.input.length : 0),
      0,
    );
    return {
      content,
      finishReason: { unified: finish, raw: finish },
      usage: usage(inputChars, outChars),
      warnings: [],
      response: { id: `scripted-${callCounter}`, modelId: options.modelId ?? 'scripted', timestamp: new Date(0) },
    };
  };

  return {
    specificationVersion: 'v3',
    provider: 'pincer',
    modelId: options.modelId ?? 'scripted',
    supportedUrls: {},
    doGenerate: async (callOptions) => generate(callOptions),
    doStream: async (callOptions) => {
      const result = generate(callOptions);
      const parts: LanguageModelV3StreamPart[] = [{ type: 'stream-start', warnings: [] }];
      result.content.forEach((part, index) => {
        if (part.type === 'text') {
          const id = `t${index}`;
          parts.push({ type: 'text-start', id }, { type: 'text-delta', id, delta: part.text }, { type: 'text-end', id });
        } else if (part.type === 'tool-call') {
          parts.push(part);
        }
      });
      parts.push({ type: 'finish', finishReason: result.finishReason, usage: result.usage });
      const stream = new ReadableStream<LanguageModelV3StreamPart>({
        start(controller) {
          for (const part of parts) controller.enqueue(part);
          controller.close();
        },
      });
      return { stream };
    },
  };
}
