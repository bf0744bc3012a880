import { dirname, isAbsolute, resolve } from 'node:path';
import { checkOwnedFile, checkPluginModulePath } from '../security/state-dir-guard.js';
import { pathToFileURL } from 'node:url';
import type { ProcessRegistry } from '@pincer/process-registry';
import { definePlugin, type BashSessionsApi } from '@pincer/plugin-sdk';
import { bindPluginHost, createPluginHost, type PluginHost } from '@pincer/plugin-sdk/host';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config.js';
import type { GatewayClock } from '../clock.js';
import type { GatewayTool, ToolArguments } from '../tools/define-tool.js';
import type { PluginHostTool } from '@pincer/plugin-sdk/host';

/** The plugin host, bound to the process registry, with the operator's own shell view. */
export interface Plugins {
  readonly host: PluginHost;
  /** The operator's read-only shell view + kill helper (plugin-sdk bash-sessions, bound to this host). */
  readonly shells: BashSessionsApi;
  /** Plugin tools as gateway tools (read on every call: plugins may load later). */
  tools(): GatewayTool[];
  /** Import and load `config.plugins` (relative paths from the config file's directory). */
  loadConfigured(): Promise<void>;
  dispose(): Promise<void>;
}

const isArgumentRecord = (value: unknown): value is ToolArguments => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A plugin tool as a gateway tool: the plugin's own schema for the model and for validation. */
function toGatewayTool(pluginTool: PluginHostTool): GatewayTool {
  return {
    name: pluginTool.name,
    description: pluginTool.description,
    parameters: pluginTool.parameters,
    prepare(rawArgs, context) {
      const parsed = pluginTool.parameters.safeParse(rawArgs);
      if (!parsed.success) return { ok: false, issue: parsed.error.issues[0] };
      const args = parsed.data;
      return {
        ok: true,
        args: isArgumentRecord(args) ? args : {},
        run: () => pluginTool.execute(args, { sessionKey: context.sessionKey, agentId: context.agentId }),
      };
    },
  };
}

/** Create the host (no configured plugin loaded yet: see {@link Plugins.loadConfigured}). */
export async function createPlugins(options: {
  config: GatewayConfig;
  registry: ProcessRegistry;
  clock: GatewayClock;
  logger: Logger;
  stateDir: string;
}): Promise<Plugins> {
  const { config, logger } = options;
  const host = createPluginHost({
    registry: options.registry,
    logger: {
      debug: (message, fields) => logger.debug(fields ?? {}, message),
      info: (message, fields) => logger.info(fields ?? {}, message),
      warn: (message, fields) => logger.warn(fields ?? {}, message),
      error: (message, fields) => logger.error(fields ?? {}, message),
    },
    clock: () => options.clock.now(),
  });
  const unbind = bindPluginHost({ registry: options.registry });
  // A built-in plugin gives the operator routes this host's own bash-sessions API (list/kill only).
  let operatorShells: BashSessionsApi | undefined;
  await host.load(
    definePlugin({
      id: 'pincer-operator',
      name: 'Pincer operator shells',
      register(api) {
        operatorShells = api.bashSessions;
      },
    }),
  );
  if (!operatorShells) throw new Error('the built-in operator plugin did not register');
  const shells = operatorShells;
  const baseDir = config.sourcePath ? dirname(config.sourcePath) : process.cwd();

  return {
    host,
    shells,
    tools: () => host.tools().map(toGatewayTool),
    async loadConfigured() {
      for (const [index, plugin] of (config.plugins ?? []).entries()) {
        if (plugin.enabled === false) continue;
        const isFile = plugin.module.startsWith('.') || isAbsolute(plugin.module);
        // Issue 14 item 13: plugin code only from the state dir or the config's directory (else an
        // explicit opt-in), and never from a file another user owns or can write.
        checkPluginModulePath(isFile ? resolve(baseDir, plugin.module) : plugin.module, {
          stateDir: options.stateDir,
          configDir: config.sourcePath ? dirname(config.sourcePath) : undefined,
          isOutsideAllowed: config.security?.allowPluginsOutsideStateDir === true,
          field: `plugins[${index}].module`,
        });
        if (isFile) checkOwnedFile(resolve(baseDir, plugin.module));
        const specifier = isFile ? pathToFileURL(resolve(baseDir, plugin.module)).href : plugin.module;
        try {
          const loaded = (await import(specifier)) as { default?: unknown; plugin?: unknown };
          const definition = (loaded.default ?? loaded.plugin) as Parameters<PluginHost['load']>[0];
          await host.load(definition, { config: plugin.options ?? {} });
        } catch (error) {
          logger.error({ err: error, plugin: plugin.module }, 'plugin failed to load');
          throw new Error(`plugins[${index}] (${plugin.module}) failed to load: ${(error as Error).message}`);
        }
      }
    },
    async dispose() {
      await host.dispose().catch(() => undefined);
      unbind();
    },
  };
}
