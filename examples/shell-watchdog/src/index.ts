import { definePlugin, PluginSdkError } from '@pincer/plugin-sdk';
import type { BashSessionKillResult } from '@pincer/plugin-sdk/bash-sessions';
import { z } from 'zod';
import { measureShells } from './overdue.js';

export { measureShells, type ShellRuntime } from './overdue.js';

/** Config of the shell watchdog (all optional). */
export const shellWatchdogConfigSchema = z
  .object({
    /** Kill a shell once it has run longer than this, ms (1 s – 7 days). Default 30 minutes. */
    maxRuntimeMs: z
      .number()
      .int()
      .min(1_000)
      .max(7 * 24 * 3_600_000)
      .default(30 * 60_000),
    /** How often the watchdog checks, ms (10 ms – 1 h). Default 10 s. */
    checkIntervalMs: z.number().int().min(10).max(3_600_000).default(10_000),
  })
  .strict()
  .prefault({});

/** Parsed config of the shell watchdog. */
export type ShellWatchdogConfig = z.output<typeof shellWatchdogConfigSchema>;

/** One shell the watchdog tried to kill. */
export interface WatchdogKill {
  readonly id: string;
  readonly command: string;
  readonly scopeKey: string;
  /** Runtime when the watchdog decided to kill, ms. */
  readonly runtimeMs: number;
  /** The kill helper's answer, or `failed` when it threw (logged). */
  readonly status: BashSessionKillResult['status'] | 'failed';
  readonly signal?: string;
}

/** What one sweep did. */
export interface WatchdogSweep {
  /** Host clock at the start of the sweep, epoch ms. */
  readonly checkedAt: number;
  readonly maxRuntimeMs: number;
  readonly killed: ReadonlyArray<WatchdogKill>;
}

/**
 * The shell watchdog plugin. Routes (gateway auth):
 * - `GET /plugins/shell-watchdog/shells[?scopeKey=…]` — running shells with runtime and
 *   `isOverLimit`, plus retained finished shells.
 * - `POST /plugins/shell-watchdog/sweep` — run one check now; answers a {@link WatchdogSweep}.
 *
 * Service `watchdog`: every `checkIntervalMs`, kills every shell running longer than
 * `maxRuntimeMs` through the SDK's kill helper (the registry's own kill ceremony).
 */
export const shellWatchdog = definePlugin({
  id: 'shell-watchdog',
  name: 'Shell watchdog',
  version: '0.0.0',
  description: 'Lists running shells over HTTP and kills any shell that runs longer than a configured limit.',
  configSchema: shellWatchdogConfigSchema,
  register(api) {
    const { maxRuntimeMs, checkIntervalMs } = api.config;
    // Shells whose kill is in flight: overlapping sweeps must not kill twice.
    const killing = new Set<string>();
    const sweeps = new Set<Promise<WatchdogSweep>>();

    const killOne = async (id: string, command: string, scopeKey: string, runtimeMs: number): Promise<WatchdogKill> => {
      killing.add(id);
      try {
        const result = await api.bashSessions.killBashSession(id);
        api.logger.warn('killed a shell that exceeded its runtime limit', { id, scopeKey, runtimeMs, maxRuntimeMs, status: result.status });
        return { id, command, scopeKey, runtimeMs, ...result };
      } catch (error) {
        api.logger.error('could not kill an overdue shell', {
          id,
          code: PluginSdkError.isInstance(error) ? error.code : undefined,
          error: error instanceof Error ? error.message : String(error),
        });
        return { id, command, scopeKey, runtimeMs, status: 'failed' };
      } finally {
        killing.delete(id);
      }
    };

    const sweep = (): Promise<WatchdogSweep> => {
      const run = (async (): Promise<WatchdogSweep> => {
        const checkedAt = api.clock();
        const overdue = measureShells(api.bashSessions.loadBashSessions().running, checkedAt, maxRuntimeMs).filter(
          (entry) => entry.isOverLimit && !killing.has(entry.shell.id),
        );
        const killed = await Promise.all(
          overdue.map(({ shell, runtimeMs }) => killOne(shell.id, shell.command, shell.scopeKey, runtimeMs)),
        );
        return { checkedAt, maxRuntimeMs, killed };
      })();
      sweeps.add(run);
      void run.finally(() => sweeps.delete(run)).catch(() => undefined);
      return run;
    };

    api.registerHttpRoute({
      method: 'GET',
      path: '/shells',
      handler(request) {
        const scopeKey = typeof request.query.scopeKey === 'string' ? request.query.scopeKey : undefined;
        const inScope = <T extends { scopeKey: string }>(shell: T) => scopeKey === undefined || shell.scopeKey === scopeKey;
        const now = api.clock();
        const { running, finished } = api.bashSessions.loadBashSessions();
        return {
          body: {
            checkedAt: now,
            maxRuntimeMs,
            running: measureShells(running.filter(inScope), now, maxRuntimeMs).map(({ shell, runtimeMs, isOverLimit }) => ({
              ...shell,
              runtimeMs,
              isOverLimit,
            })),
            finished: finished.filter(inScope),
          },
        };
      },
    });

    api.registerHttpRoute({
      method: 'POST',
      path: '/sweep',
      handler: async () => ({ body: await sweep() }),
    });

    let timer: ReturnType<typeof setInterval> | undefined;
    api.registerService({
      name: 'watchdog',
      start() {
        timer = setInterval(() => {
          sweep().catch((error: unknown) => {
            api.logger.error('watchdog sweep failed', { error: error instanceof Error ? error.message : String(error) });
          });
        }, checkIntervalMs);
        timer.unref();
        api.logger.info('shell watchdog started', { maxRuntimeMs, checkIntervalMs });
      },
      async stop() {
        clearInterval(timer);
        timer = undefined;
        // Let kills already in progress finish before the host (and then the registry) goes away.
        await Promise.allSettled([...sweeps]);
      },
    });
  },
});

/** @alias The plugin as the module's default export, for hosts that load plugins by path. */
export default shellWatchdog;
