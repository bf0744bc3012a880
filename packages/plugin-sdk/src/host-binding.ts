import type { PluginHostRegistry } from './registry-port.js';

/*
 * THE SINGLE PIECE OF PROCESS-GLOBAL STATE IN @pincer/plugin-sdk — and why it exists.
 *
 * Pincer keeps state in instances the gateway creates. The bash-sessions subpath cannot: its
 * contract is two *free functions* (`loadBashSessions`, `killBashSession`) that plugin modules
 * import, so something must connect them to the one registry the running gateway owns. That
 * something is this slot:
 *
 * - It lives on `globalThis` under `Symbol.for(HOST_SLOT_KEY)`, so two copies of this package in
 *   one process (a plugin bundling its own copy, a second version in node_modules) find the SAME
 *   slot; a module-level variable would silently split them and one copy would answer NO_HOST.
 * - It is created only by the host side (`bindPluginHost` in `./host`), defined non-writable,
 *   non-configurable and non-enumerable, and exposes only `bind` and `current` — the binding list
 *   itself is closed over and unreachable.
 * - Bindings stack: the most recent live binding answers; unbinding removes exactly that binding
 *   (so two in-process gateways in a test neither throw nor leak into each other after close).
 * - With no binding, the free functions fail with PluginSdkError `NO_HOST`.
 *
 * Inside `register(api)`, plugins should prefer `api.bashSessions`, which is bound to its host's
 * registry instance and never consults this slot.
 */
export const HOST_SLOT_KEY = '@pincer/plugin-sdk/host-slot@1';

/** The protocol every copy of the package agrees on. Keep it backwards compatible. */
export interface HostSlot {
  bind(registry: PluginHostRegistry): () => void;
  current(): PluginHostRegistry | undefined;
}

const slotSymbol = Symbol.for(HOST_SLOT_KEY);

/** Returns the process-wide slot if a host ever created one. Never creates it. */
export function readHostSlot(): HostSlot | undefined {
  const candidate = (globalThis as Record<symbol, unknown>)[slotSymbol];
  return isHostSlot(candidate) ? candidate : undefined;
}

/** Returns the process-wide slot, creating it on first use. Host side only. */
export function ensureHostSlot(): HostSlot {
  const existing = readHostSlot();
  if (existing) return existing;
  const slot = createHostSlot();
  Object.defineProperty(globalThis, slotSymbol, {
    value: slot,
    writable: false,
    configurable: false,
    enumerable: false,
  });
  return slot;
}

function createHostSlot(): HostSlot {
  const bindings: Array<{ readonly registry: PluginHostRegistry }> = [];
  return Object.freeze({
    bind(registry: PluginHostRegistry): () => void {
      const entry = Object.freeze({ registry });
      bindings.push(entry);
      let isBound = true;
      return () => {
        if (!isBound) return;
        isBound = false;
        const index = bindings.lastIndexOf(entry);
        if (index >= 0) bindings.splice(index, 1);
      };
    },
    current(): PluginHostRegistry | undefined {
      return bindings[bindings.length - 1]?.registry;
    },
  });
}

function isHostSlot(value: unknown): value is HostSlot {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as HostSlot).bind === 'function' &&
    typeof (value as HostSlot).current === 'function'
  );
}
