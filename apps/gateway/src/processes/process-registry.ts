import {
  createProcessRegistry,
  type ProcessJournal,
  type ProcessRegistry,
  type ProcessRegistryOptions,
  type Sandbox,
} from '@pincer/process-registry';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config.js';
import type { GatewayClock } from '../clock.js';

/** The smallest foreground wait the gateway lets `exec.yieldMs` configure, ms. */
const MIN_YIELD_MS = 10;

/** process-registry options from the config's `exec` block (each field maps to one registry limit). */
export function registryOptionsFromConfig(exec: GatewayConfig['exec']): ProcessRegistryOptions {
  const options: ProcessRegistryOptions = {};
  if (!exec) return options;
  if (exec.cwd !== undefined) options.cwd = exec.cwd;
  if (exec.yieldMs !== undefined) options.defaultYieldMs = Math.max(MIN_YIELD_MS, exec.yieldMs);
  if (exec.timeoutMs !== undefined) options.defaultTimeoutMs = exec.timeoutMs;
  if (exec.notifyOnExit !== undefined) options.notifyOnExit = exec.notifyOnExit;
  if (exec.maxRunning !== undefined) options.maxRunning = exec.maxRunning;
  if (exec.maxOutputChars !== undefined) options.maxOutputChars = exec.maxOutputChars;
  if (exec.finishedTtlMs !== undefined) options.finishedTtlMs = exec.finishedTtlMs;
  if (exec.killGraceMs !== undefined) options.killGraceMs = exec.killGraceMs;
  return options;
}

/**
 * The gateway's process registry: config limits, the gateway clock, the SQLite journal (which also
 * decides that an id is taken: ids never repeat across the journal and restarts), the default
 * sandbox and the clean child environment (`exec.env`, `exec.passEnv`, minus the denied names).
 */
export function createGatewayProcessRegistry(options: {
  config: GatewayConfig;
  clock: GatewayClock;
  journal: ProcessJournal;
  logger: Logger;
  sandbox?: Sandbox | undefined;
  deniedEnvNames?: readonly string[] | undefined;
  deniedEnvPrefixes?: readonly string[] | undefined;
  /** Proposes ids (tests seed it); default the registry's slug + random suffix. The journal still rejects any id it holds. */
  idGenerator?: ((attempt: number) => string) | undefined;
}): ProcessRegistry {
  const exec = options.config.exec;
  return createProcessRegistry({
    ...registryOptionsFromConfig(exec),
    ...(options.sandbox ? { sandbox: options.sandbox } : {}),
    ...(exec?.env ? { fixedEnv: exec.env } : {}),
    ...(exec?.passEnv ? { passEnv: exec.passEnv } : {}),
    deniedEnvNames: options.deniedEnvNames ?? [],
    deniedEnvPrefixes: options.deniedEnvPrefixes ?? [],
    onEnvDenied: (denial) =>
      options.logger.warn(
        { name: denial.name, source: denial.source },
        `exec.${denial.source === 'fixedEnv' ? 'env' : denial.source} names ${denial.name}: never passed to a shell`,
      ),
    clock: options.clock,
    ...(options.idGenerator ? { idGenerator: options.idGenerator } : {}),
    journal: options.journal,
    logger: { warn: (message, meta) => options.logger.warn(meta ?? {}, message) },
  });
}
