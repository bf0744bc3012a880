import type { BashSessionSnapshot, BashSessionStatus } from './bash-session-types.js';
import { createPluginHost, type PluginHost, type PluginHostOptions } from './host.js';
import type { PluginHostExitEvent, PluginHostExitSource, PluginHostRegistry } from './registry-port.js';

/** What {@link InMemoryBashRegistry.add} accepts: an id plus any snapshot field to override. */
export type InMemoryBashSessionInput = Partial<BashSessionSnapshot> & { readonly id: string };

/**
 * An in-memory stand-in for the gateway's process registry, for plugin unit tests: no process
 * is spawned. Feed it with `add`/`finish`; `killById` marks a running shell `killed` and emits
 * an `exit` event, as the real registry's kill ceremony does once the tree is gone.
 */
export interface InMemoryBashRegistry extends PluginHostRegistry, PluginHostExitSource {
  /** Adds a running shell (defaults: pid 4242, scope `agent:test:main`, command `sleep 30`, unsandboxed). */
  add(shell: InMemoryBashSessionInput): BashSessionSnapshot;
  /** Ends a running shell with `status` (default `completed`) and emits its exit event. No-op for unknown ids. */
  finish(id: string, status?: Exclude<BashSessionStatus, 'running'>): void;
  /** Ids passed to `killById`, in call order. */
  readonly killCalls: ReadonlyArray<string>;
}

/** Options of {@link createInMemoryBashRegistry}. */
export interface InMemoryBashRegistryOptions {
  /** Epoch-ms clock for `startedAt`/`endedAt` defaults; default `Date.now`. */
  readonly clock?: (() => number) | undefined;
}

/** Creates an {@link InMemoryBashRegistry}. */
export function createInMemoryBashRegistry(options: InMemoryBashRegistryOptions = {}): InMemoryBashRegistry {
  const clock = options.clock ?? Date.now;
  const running = new Map<string, BashSessionSnapshot>();
  const finished = new Map<string, BashSessionSnapshot>();
  const killCalls: string[] = [];
  const listeners = new Set<(event: PluginHostExitEvent) => void>();

  const end = (id: string, status: Exclude<BashSessionStatus, 'running'>, signal: string | null): void => {
    const shell = running.get(id);
    if (!shell) return;
    running.delete(id);
    const endedAt = clock();
    const exitCode = status === 'completed' ? 0 : status === 'failed' ? 1 : null;
    finished.set(id, { ...shell, status, endedAt, exitCode, signal });
    const event: PluginHostExitEvent = {
      id,
      scopeKey: shell.scopeKey,
      sessionKey: shell.sessionKey,
      status: status === 'killed' ? 'killed' : status === 'timeout' ? 'timeout' : 'exited',
      exitCode,
      signal,
      durationMs: Math.max(0, endedAt - shell.startedAt),
      tail: shell.tail,
    };
    for (const listener of [...listeners]) listener(event);
  };

  return {
    add(shell) {
      const snapshot: BashSessionSnapshot = {
        pid: 4242,
        scopeKey: 'agent:test:main',
        sessionKey: 'agent:test:main',
        command: 'sleep 30',
        cwd: '/',
        startedAt: clock(),
        endedAt: undefined,
        status: 'running',
        exitCode: null,
        signal: null,
        tail: '',
        truncated: false,
        sandbox: { isSandboxed: false, backend: undefined, reason: 'in-memory test registry' },
        ...shell,
      };
      running.set(shell.id, snapshot);
      return snapshot;
    },
    finish(id, status = 'completed') {
      end(id, status, null);
    },
    snapshot() {
      return { running: [...running.values()], finished: [...finished.values()] };
    },
    async killById(id) {
      killCalls.push(id);
      if (running.has(id)) {
        end(id, 'killed', 'SIGTERM');
        return { status: 'killed', signal: 'SIGTERM' };
      }
      if (finished.has(id)) return { status: 'already-exited' };
      return { status: 'not-found' };
    },
    on(_event, listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    get killCalls() {
      return killCalls;
    },
  };
}

/** Options of {@link createTestHost}: the plugin host's options, with the registry optional. */
export type TestHostOptions = Omit<PluginHostOptions, 'registry'> & {
  /** Registry to bind; default a fresh {@link createInMemoryBashRegistry}. */
  readonly registry?: InMemoryBashRegistry | undefined;
};

/** A real plugin host over an in-memory registry: `host.load(plugin)`, `host.matchRoute(...)`, hooks. */
export interface TestHost {
  /** The plugin host (the same one the gateway uses). */
  readonly host: PluginHost;
  /** The in-memory registry behind `api.bashSessions`. */
  readonly registry: InMemoryBashRegistry;
  /** Disposes the host (stops services, unsubscribes). Idempotent. */
  dispose(): Promise<void>;
}

/**
 * Creates a plugin host bound to an in-memory registry, so a plugin's routes, tools, hooks and
 * its `api.bashSessions` calls can be unit-tested without a gateway.
 */
export function createTestHost(options: TestHostOptions = {}): TestHost {
  const { registry: given, ...hostOptions } = options;
  const registry = given ?? createInMemoryBashRegistry(hostOptions.clock ? { clock: hostOptions.clock } : {});
  const host = createPluginHost({ ...hostOptions, registry });
  return { host, registry, dispose: () => host.dispose() };
}
