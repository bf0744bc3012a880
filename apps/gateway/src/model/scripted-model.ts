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
export const ScriptedToolCallSchema = z
  .object({ tool: z.string().min(1), args: z.record(z.string(), z.unknown()).default({}) })
  .strict();

/** One rule: all given regexes must match; first matching rule wins. */
export const ScriptedRuleSchema = z
  .object({
    name: z.string().optional(),
    /** Regex tested against the user's text (the part after any `System:` lines). */
    match: z.string().optional(),
    /** Regex tested against the `System: …` lines drained into the turn; the rule needs events. */
    event: z.string().optional(),
    /** Regex flags, default `i`. */
    flags: z.string().regex(/^[gimsuy]*$/).optional(),
    /** Reply text template. */
    reply: z.string().optional(),
    /** Tool calls to make (in one step). */
    toolCalls: z.array(ScriptedToolCallSchema).optional(),
    /** Reply template once the tool results are back: `{{result}}`, `{{result.id}}`, `{{results.1.status}}`. */
    after: z.string().optional(),
  })
  .strict()
  .refine((r) => r.reply !== undefined || (r.toolCalls?.length ?? 0) > 0, 'a rule needs "reply" or "toolCalls"');

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
  m: ReadonlyArray<string | undefined>;
  e: ReadonlyArray<string | undefined>;
  message: string;
  events: string;
}

/** Split the user's text into the leading `System: …` block and the message proper. */
export function splitSystemEvents(text: string): { events: string; message: string } {
  const lines = text.split('\n');
  let i = 0;
  while (i < lines.length && lines[i]!.startsWith('System:')) i++;
  if (i === 0) return { events: '', message: text.trim() };
  const events = lines.slice(0, i).join('\n');
  const message = lines.slice(i).join('\n').trim();
  return { events, message };
}

function get(obj: unknown, path: ReadonlyArray<string>): unknown {
  let cur: unknown = obj;
  for (const seg of path) {
    if (cur === null || cur === undefined) return undefined;
    if (typeof cur === 'string') {
      try {
        cur = JSON.parse(cur);
      } catch {
        return undefined;
      }
    }
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}

function show(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

function substitute(template: string, caps: Captures, results?: ReadonlyArray<unknown>): string {
  let out = template.replace(/\$(e?)(\d)|\$message|\$events/g, (whole, e: string | undefined, d: string | undefined) => {
    if (whole === '$message') return caps.message;
    if (whole === '$events') return caps.events;
    const arr = e ? caps.e : caps.m;
    return arr[Number(d)] ?? '';
  });
  if (results) {
    out = out.replace(/\{\{\s*(result|results)((?:\.[A-Za-z0-9_-]+)*)\s*\}\}/g, (_w, head: string, rest: string) => {
      const path = rest.split('.').filter((s) => s !== '');
      if (head === 'result') return show(get(results[0], path));
      return show(get(results, path));
    });
  }
  return out;
}

function templateArgs(args: Record<string, unknown>, caps: Captures): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(args)) {
    if (typeof v === 'string') {
      const s = substitute(v, caps).trim();
      // A template that resolves to nothing (an optional capture that did not match) is omitted.
      if (s === '' && v.trim() !== '') continue;
      out[k] = s;
    } else if (v && typeof v === 'object' && !Array.isArray(v)) {
      out[k] = templateArgs(v as Record<string, unknown>, caps);
    } else {
      out[k] = v;
    }
  }
  return out;
}

function textOf(parts: ReadonlyArray<{ type: string; text?: string }>): string {
  return parts
    .filter((p) => p.type === 'text')
    .map((p) => p.text ?? '')
    .join('\n');
}

function usage(inputChars: number, outputChars: number): LanguageModelV3Usage {
  const inTok = Math.ceil(inputChars / 4);
  const outTok = Math.ceil(outputChars / 4);
  return {
    inputTokens: { total: inTok, noCache: inTok, cacheRead: 0, cacheWrite: 0 },
    outputTokens: { total: outTok, text: outTok, reasoning: 0 },
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

  const generate = (opts: LanguageModelV3CallOptions): LanguageModelV3GenerateResult => {
    const prompt: LanguageModelV3Prompt = opts.prompt;
    const inputChars = JSON.stringify(prompt).length;
    const last = prompt[prompt.length - 1];
    const content: LanguageModelV3Content[] = [];
    let finish: 'stop' | 'tool-calls' = 'stop';

    // Find the latest user message (the turn's input).
    let userText = '';
    for (let i = prompt.length - 1; i >= 0; i--) {
      const m = prompt[i]!;
      if (m.role === 'user') {
        userText = textOf(m.content as Array<{ type: string; text?: string }>);
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
        const mm = /^scripted_(\d+)_/.exec(part.toolCallId);
        if (mm) ruleIndex = Number(mm[1]);
        const o = part.output;
        results.push(o.type === 'json' || o.type === 'error-json' ? o.value : o.type === 'text' || o.type === 'error-text' ? o.value : o);
      }
      const rule = compiled[ruleIndex];
      let caps: Captures = { m: [], e: [], message, events };
      if (rule) {
        caps = {
          m: rule.match ? Array.from(rule.match.exec(message) ?? []) : [],
          e: rule.event ? Array.from(rule.event.exec(events) ?? []) : [],
          message,
          events,
        };
      }
      const template = rule?.rule.after ?? '[scripted] Tool results: {{results}}';
      content.push({ type: 'text', text: substitute(template, caps, results).trimEnd() });
    } else {
      let chosen: { rule: CompiledRule; caps: Captures } | undefined;
      for (const c of compiled) {
        const mm = c.match ? c.match.exec(message) : [];
        if (!mm) continue;
        let ee: Array<string | undefined> | null = [];
        if (c.event) {
          if (events === '') continue;
          ee = c.event.exec(events);
          if (!ee) continue;
        }
        chosen = { rule: c, caps: { m: Array.from(mm), e: Array.from(ee), message, events } };
        break;
      }
      if (!chosen) {
        content.push({ type: 'text', text: '[scripted] (no rule matched)' });
      } else {
        const { rule, caps } = chosen;
        if (rule.rule.reply !== undefined) content.push({ type: 'text', text: substitute(rule.rule.reply, caps).trimEnd() });
        const available = new Set((opts.tools ?? []).map((t) => t.name));
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
    const outChars = content.reduce((n, c) => n + (c.type === 'text' ? c.text.length : c.type === 'tool-call' ? c.input.length : 0), 0);
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
    doGenerate: async (opts) => generate(opts),
    doStream: async (opts) => {
      const result = generate(opts);
      const parts: LanguageModelV3StreamPart[] = [{ type: 'stream-start', warnings: [] }];
      result.content.forEach((c, i) => {
        if (c.type === 'text') {
          const id = `t${i}`;
          parts.push({ type: 'text-start', id }, { type: 'text-delta', id, delta: c.text }, { type: 'text-end', id });
        } else if (c.type === 'tool-call') {
          parts.push(c);
        }
      });
      parts.push({ type: 'finish', finishReason: result.finishReason, usage: result.usage });
      const stream = new ReadableStream<LanguageModelV3StreamPart>({
        start(controller) {
          for (const p of parts) controller.enqueue(p);
          controller.close();
        },
      });
      return { stream };
    },
  };
}
