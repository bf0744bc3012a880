import { existsSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { type CommandContext, field, stringField } from '../context.js';
import { CliError } from '../errors.js';
import { writeJson, writeLine } from '../io.js';
import { configError, parseConfigText, rosterFromConfig } from '../roster.js';

/** One problem `config validate` found: its JSON path and what is wrong. */
export interface ConfigProblem {
  path: string;
  message: string;
}

/** Reads a config file as the gateway does (JSONC) without validating it; `VALIDATION` when unreadable. */
export async function readConfigFile(configPath: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(configPath, 'utf8');
  } catch (cause) {
    throw new CliError('VALIDATION', `Cannot read config ${configPath}: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`, {
      cause,
      stableCode: 'CONFIG_NOT_FOUND',
    });
  }
  return parseConfigText(text, configPath);
}

/**
 * What the gateway would trip over at start that the schema cannot see: plugin modules and rules
 * files that do not exist (relative paths resolve against the config file's directory, as the
 * gateway resolves them), an `exec.cwd` that is not a directory, and `apiKeyEnv` variables that
 * are not set in `env`.
 */
export function checkConfigReferences(
  config: unknown,
  configPath: string,
  env: Readonly<Record<string, string | undefined>>,
): ConfigProblem[] {
  const base = dirname(configPath);
  const problems: ConfigProblem[] = [];
  const inBase = (path: string): string => (isAbsolute(path) ? path : resolve(base, path));
  const plugins = field(config, 'plugins');
  if (Array.isArray(plugins)) {
    plugins.forEach((plugin, index) => {
      const module = stringField(plugin, 'module');
      if (module === undefined || field(plugin, 'enabled') === false) return;
      if (module.startsWith('.') || isAbsolute(module)) {
        if (!existsSync(inBase(module))) problems.push({ path: `plugins[${index}].module`, message: `file not found: ${inBase(module)}` });
        return;
      }
      try {
        createRequire(join(base, 'pincer.config.json')).resolve(module);
      } catch (cause) {
        const code = (cause as NodeJS.ErrnoException).code;
        // An ESM-only package without a "require" condition still exists.
        if (code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED')
          problems.push({ path: `plugins[${index}].module`, message: `module "${module}" cannot be found from ${base}` });
      }
    });
  }
  const rulesFile = stringField(field(config, 'scripted'), 'rulesFile');
  if (rulesFile !== undefined && !existsSync(inBase(rulesFile))) {
    problems.push({ path: 'scripted.rulesFile', message: `file not found: ${inBase(rulesFile)}` });
  }
  const agents = field(config, 'agents');
  if (Array.isArray(agents)) {
    agents.forEach((agent, index) => {
      const model = stringField(agent, 'model');
      if (model?.startsWith('scripted:') === true) {
        const file = inBase(model.slice('scripted:'.length));
        if (!existsSync(file)) problems.push({ path: `agents[${index}].model`, message: `rules file not found: ${file}` });
      }
    });
  }
  const cwd = stringField(field(config, 'exec'), 'cwd');
  if (cwd !== undefined && !isDirectory(inBase(cwd))) problems.push({ path: 'exec.cwd', message: `not a directory: ${inBase(cwd)}` });
  const providers = field(config, 'providers');
  if (typeof providers === 'object' && providers !== null) {
    for (const [id, provider] of Object.entries(providers as Record<string, unknown>)) {
      const variable = stringField(provider, 'apiKeyEnv');
      if (variable !== undefined && (env[variable] ?? '').trim() === '') {
        problems.push({ path: `providers.${id}.apiKeyEnv`, message: `environment variable ${variable} is not set` });
      }
    }
  }
  return problems;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Where the published JSON Schema of the config is (inside the installed `@pincer/gateway`), if found. */
export function configSchemaLocation(): string | undefined {
  try {
    const packageJson = createRequire(import.meta.url).resolve('@pincer/gateway/package.json');
    const file = join(dirname(packageJson), 'schema', 'pincer.config.schema.json');
    return existsSync(file) ? pathToFileURL(file).href : undefined;
  } catch {
    return undefined;
  }
}

/** The commented starter config `pincer config init` writes (JSONC; it validates as is). */
export function starterConfig(schemaUrl: string | undefined): string {
  return `{
  // Pincer gateway config (JSONC: comments and trailing commas are fine).
  // Check it with: pincer config validate
${schemaUrl !== undefined ? `  "$schema": ${JSON.stringify(schemaUrl)},\n` : ''}
  // Where the HTTP API listens. Keep it on loopback; port 0 picks a free port.
  "gateway": { "host": "127.0.0.1", "port": 7787, "maxConcurrentRuns": 4 },

  // Agents, in order. With more than one agent, set "defaultAgent": otherwise every turn must
  // name its agent (--agent <id> or an agent:<id>:<key> session key).
  "agents": [
    {
      "id": "main",
      // "scripted" (built in, offline), "scripted:<rules.json>" or "<provider>/<model>".
      "model": "scripted"
      // Durations need a unit (500ms, 30s, 5m, 2h, 1d); "0" disables, a bare "5" is refused:
      // "heartbeat": { "every": "30m" }
    }
  ],
  "defaultAgent": "main",

  // Background shells started by the exec tool.
  "exec": {
    "yieldMs": 10000,     // wait this long before an exec goes to the background
    "killGraceMs": 3000   // SIGTERM, then SIGKILL after this grace
  }

  // Model providers (keys come from the environment, never from this file):
  // "providers": { "local": { "type": "openai-compatible", "baseUrl": "http://127.0.0.1:8000/v1", "apiKeyEnv": "VLLM_API_KEY" } }
}
`;
}

/** Registers `pincer config init|validate`. */
export function registerConfigCommand(program: Command, ctx: CommandContext): void {
  const config = program
    .command('config')
    .description('Work with the gateway config file')
    .addHelpText(
      'after',
      '\nExamples:\n  $ pincer config init\n  $ pincer config validate\n  $ pincer config validate ./pincer.config.json --json',
    );

  config
    .command('init')
    .description('Write a commented starter config (JSONC, with $schema for editors)')
    .argument('[path]', 'where to write it (default PINCER_CONFIG or <state-dir>/pincer.config.json)')
    .option('--force', 'overwrite an existing file')
    .option('--json', 'print { ok, path, schema } as JSON')
    .addHelpText(
      'after',
      `
Refuses to overwrite an existing file unless --force (exit 2). The file is created 0600.

Examples:
  $ pincer config init
  $ pincer config init ./pincer.config.json --force`,
    )
    .action(async (path: string | undefined, options: { force?: boolean; json?: boolean }) => {
      const stateDir = ctx.stateDir();
      const explicit = path ?? ctx.io.env.PINCER_CONFIG;
      const target =
        explicit !== undefined && explicit.trim() !== ''
          ? isAbsolute(explicit)
            ? explicit
            : resolve(ctx.io.cwd, explicit)
          : join(stateDir, 'pincer.config.json');
      if (existsSync(target) && options.force !== true) {
        throw new CliError('VALIDATION', `Config file ${target} already exists; pass --force to overwrite it.`, { stableCode: 'USAGE' });
      }
      const schema = configSchemaLocation();
      try {
        writeFileSync(target, starterConfig(schema), { mode: 0o600 });
      } catch (cause) {
        throw new CliError('VALIDATION', `Cannot write ${target}: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`, {
          cause,
          stableCode: 'FILE_UNREADABLE',
        });
      }
      if (options.json === true) writeJson(ctx.io.stdout, { ok: true, path: target, schema: schema ?? null });
      else writeLine(ctx.io.stdout, `Wrote ${target}. Check it with: pincer config validate${path !== undefined ? ` ${path}` : ''}`);
    });

  config
    .command('validate')
    .description("Validate a config file with the gateway's own schema (every problem, each with its JSON path)")
    .argument('[path]', 'config file (default PINCER_CONFIG or <state-dir>/pincer.config.json)')
    .option('--state-dir <dir>', 'state directory used to find the default config')
    .option('--json', 'print { ok, path, agents, defaultAgentId } as JSON')
    .addHelpText(
      'after',
      `
JSONC is accepted. Besides the schema it checks that plugin modules, rules files and exec.cwd
exist (relative to the config file) and that every providers.*.apiKeyEnv variable is set.
Exit code 0 when valid, 2 when invalid or missing.

Examples:
  $ pincer config validate
  $ pincer config validate ./pincer.config.json --json`,
    )
    .action(async (path: string | undefined, options: { stateDir?: string; json?: boolean }) => {
      const explicit = path === undefined ? undefined : isAbsolute(path) ? path : resolve(ctx.io.cwd, path);
      const configPath = explicit ?? ctx.configPath(ctx.stateDir(options.stateDir));
      if (configPath === undefined) {
        throw new CliError(
          'VALIDATION',
          'No config file to validate: pass a path, set PINCER_CONFIG, or create <state-dir>/pincer.config.json.',
          {
            stableCode: 'CONFIG_NOT_FOUND',
          },
        );
      }
      if (!existsSync(configPath))
        throw new CliError('VALIDATION', `Config file not found: ${configPath}`, { stableCode: 'CONFIG_NOT_FOUND' });
      const gateway = await ctx.loadGateway();
      let loaded: unknown;
      try {
        loaded = await gateway.loadConfig(configPath);
      } catch (cause) {
        throw configError(configPath, cause);
      }
      const problems = checkConfigReferences(loaded, configPath, ctx.io.env);
      if (problems.length > 0) {
        const [first, ...rest] = problems;
        const tail =
          rest.length === 0
            ? ''
            : ` (and ${rest.length} more: ${rest.map((problem) => `at ${problem.path}: ${problem.message}`).join('; ')})`;
        throw new CliError('VALIDATION', `Invalid config ${configPath} at ${first?.path}: ${first?.message}${tail}`, {
          stableCode: 'CONFIG_INVALID',
          ...(first !== undefined ? { field: first.path } : {}),
          details: { issues: problems },
        });
      }
      const roster = rosterFromConfig(loaded);
      if (options.json === true) {
        writeJson(ctx.io.stdout, { ok: true, path: configPath, agents: roster.knownAgentIds, defaultAgentId: roster.defaultAgentId });
        return;
      }
      writeLine(ctx.io.stdout, `Config OK: ${configPath} (agents: ${roster.knownAgentIds.join(', ')}; default ${roster.defaultAgentId}).`);
    });
}
