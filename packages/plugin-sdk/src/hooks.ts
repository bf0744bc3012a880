import { z } from 'zod';

/** Names of the lifecycle hooks a plugin can observe with `api.on`. */
export type PluginHookName = 'session_start' | 'before_tool_call' | 'after_tool_call' | 'process_exit';

/** Schema of {@link PluginHookName}. */
export const pluginHookNameSchema = z.enum(['session_start', 'before_tool_call', 'after_tool_call', 'process_exit']);

/** Schema of {@link SessionStartEvent}. */
export const sessionStartEventSchema = z.object({
  sessionKey: z.string().min(1),
  agentId: z.string().min(1),
  sessionId: z.string().min(1).optional(),
});
/** A session was created or resumed for a run. */
export type SessionStartEvent = Readonly<z.infer<typeof sessionStartEventSchema>>;

/** Schema of {@link BeforeToolCallEvent}. */
export const beforeToolCallEventSchema = z.object({
  toolName: z.string().min(1),
  params: z.unknown(),
  sessionKey: z.string().min(1),
  agentId: z.string().min(1).optional(),
  toolCallId: z.string().min(1).optional(),
});
/** A tool is about to run; `params` is a deep-frozen copy of the validated arguments. */
export type BeforeToolCallEvent = Readonly<z.infer<typeof beforeToolCallEventSchema>>;

/** Schema of {@link AfterToolCallEvent}. */
export const afterToolCallEventSchema = beforeToolCallEventSchema.extend({
  result: z.unknown().optional(),
  error: z.string().optional(),
  durationMs: z.number().nonnegative(),
});
/** A tool finished: `result` on success, `error` (message) on failure; `durationMs` in ms. */
export type AfterToolCallEvent = Readonly<z.infer<typeof afterToolCallEventSchema>>;

/** Schema of {@link ProcessExitEvent}. */
export const processExitEventSchema = z.object({
  id: z.string().min(1),
  scopeKey: z.string(),
  sessionKey: z.union([z.string(), z.undefined()]),
  status: z.enum(['exited', 'killed', 'timeout', 'spawn-error']),
  exitCode: z.union([z.number().int(), z.null()]),
  signal: z.union([z.string(), z.null()]),
  durationMs: z.number().nonnegative(),
  tail: z.string(),
});
/** A background shell ended (any scope). A copy: no process handle is reachable from it. */
export type ProcessExitEvent = Readonly<z.infer<typeof processExitEventSchema>>;

/** Event payload per hook. */
export interface PluginHookEvents {
  session_start: SessionStartEvent;
  before_tool_call: BeforeToolCallEvent;
  after_tool_call: AfterToolCallEvent;
  process_exit: ProcessExitEvent;
}

/** What a `before_tool_call` handler may return: `{ block: true, reason }` stops the call. */
export type BeforeToolCallResult = { block: true; reason: string } | { block?: false } | undefined | void;

/** Schema of a `before_tool_call` handler's return value. */
export const beforeToolCallResultSchema = z.union([
  z.object({ block: z.literal(true), reason: z.string().min(1).max(1000) }),
  z.object({ block: z.literal(false).optional() }),
  z.undefined(),
]);

/** Return type per hook: only `before_tool_call` may answer (to block). */
export interface PluginHookResults {
  session_start: void;
  before_tool_call: BeforeToolCallResult;
  after_tool_call: void;
  process_exit: void;
}

/** A hook handler. May be async; the host bounds it with its hook timeout. */
export type PluginHookHandler<H extends PluginHookName> = (
  event: PluginHookEvents[H],
) => PluginHookResults[H] | Promise<PluginHookResults[H]>;
