import { z } from 'zod';
import {
  bashSessionIdSchema,
  bashSessionKillResultSchema,
  bashSessionSnapshotSchema,
  finishedBashSessionSnapshotSchema,
  type BashSessionKillResult,
  type BashSessionSnapshot,
  type BashSessions,
  type BashSessionsApi,
  type FinishedBashSessionSnapshot,
} from './bash-session-types.js';
import { deepFreeze } from './deep-freeze.js';
import { PluginSdkError } from './errors.js';
import type { PluginHostRegistry } from './registry-port.js';

/**
 * Builds the two bash-session operations over whatever registry `resolveRegistry` returns at
 * call time (it throws `NO_HOST` when there is none). Internal: used by the bash-sessions subpath
 * (global host slot) and by the plugin host (`api.bashSessions`, bound to its own registry).
 */
export function createBashSessionView(resolveRegistry: () => PluginHostRegistry): BashSessionsApi {
  return Object.freeze({
    loadBashSessions(): BashSessions {
      const registry = resolveRegistry();
      const raw = registry.snapshot();
      const running = raw.running.map((record, index) =>
        toDto(bashSessionSnapshotSchema, record, `running.${index}`),
      ) as BashSessionSnapshot[];
      const finished = raw.finished.map((record, index) =>
        toDto(finishedBashSessionSnapshotSchema, record, `finished.${index}`),
      ) as FinishedBashSessionSnapshot[];
      return deepFreeze({ running, finished });
    },

    async killBashSession(id: string): Promise<BashSessionKillResult> {
      const parsedId = bashSessionIdSchema.safeParse(id);
      if (!parsedId.success) {
        throw new PluginSdkError('INVALID_INPUT', `killBashSession: ${firstIssue(parsedId.error)}.`, {
          field: 'id',
        });
      }
      const registry = resolveRegistry();
      let outcome: unknown;
      try {
        outcome = await registry.killById(parsedId.data);
      } catch (error) {
        // The contract answers unknown ids with status 'not-found'; a registry that throws its
        // not-found error instead must still look exactly like "not found" to a plugin.
        if (hasCode(error, 'PROCESS_NOT_FOUND')) return deepFreeze({ status: 'not-found' });
        throw new PluginSdkError('KILL_FAILED', `killBashSession: the registry failed to kill ${parsedId.data}.`, {
          cause: error,
        });
      }
      const result = bashSessionKillResultSchema.safeParse(outcome);
      if (!result.success) {
        throw new PluginSdkError('INVALID_SNAPSHOT', 'killBashSession: the registry returned a malformed kill result.', {
          cause: result.error,
        });
      }
      const dto: { status: BashSessionKillResult['status']; signal?: string } = { status: result.data.status };
      if (result.data.signal !== undefined) dto.signal = result.data.signal;
      return deepFreeze(dto);
    },
  });
}

function toDto(schema: z.ZodType, record: unknown, path: string): unknown {
  const parsed = schema.safeParse(record);
  if (!parsed.success) {
    throw new PluginSdkError(
      'INVALID_SNAPSHOT',
      `loadBashSessions: the host registry returned a malformed record at ${path}: ${firstIssue(parsed.error)}.`,
      { cause: parsed.error },
    );
  }
  // Fresh object with a fixed key order: nothing of the registry's record (prototype, extra
  // fields, getters) survives into the DTO.
  const data = parsed.data as BashSessionSnapshot;
  return {
    id: data.id,
    pid: data.pid,
    scopeKey: data.scopeKey,
    sessionKey: data.sessionKey,
    command: data.command,
    cwd: data.cwd,
    startedAt: data.startedAt,
    endedAt: data.endedAt,
    status: data.status,
    exitCode: data.exitCode,
    signal: data.signal,
    tail: data.tail,
    truncated: data.truncated,
    sandbox: { isSandboxed: data.sandbox.isSandboxed, backend: data.sandbox.backend, reason: data.sandbox.reason },
  } satisfies BashSessionSnapshot;
}

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid value';
  const at = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  return `${at}${issue.message}`;
}

function hasCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}
