import type { GatewayTool } from './define-tool.js';

/** The tools runs may be given: the built-ins (registered by compose) and any source of more (plugins). */
export interface Toolbox {
  register(tool: GatewayTool): void;
  /** A source read on every lookup (plugin tools change as plugins load). */
  registerSource(source: () => ReadonlyArray<GatewayTool>): void;
  get(name: string): GatewayTool | undefined;
  /** Built-ins first (registration order), then each source's tools. */
  list(): GatewayTool[];
}

/** An empty toolbox. */
export function createToolbox(): Toolbox {
  const builtins = new Map<string, GatewayTool>();
  const sources: Array<() => ReadonlyArray<GatewayTool>> = [];
  return {
    register(tool) {
      if (builtins.has(tool.name)) throw new Error(`Tool "${tool.name}" is registered twice.`);
      builtins.set(tool.name, tool);
    },
    registerSource: (source) => void sources.push(source),
    get: (name) => builtins.get(name) ?? sources.flatMap((source) => source()).find((tool) => tool.name === name),
    list: () => [...builtins.values(), ...sources.flatMap((source) => source())],
  };
}
