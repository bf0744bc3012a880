import { isAbsolute, dirname, resolve } from 'node:path';
import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { LanguageModelV3 } from '@ai-sdk/provider';
import type { GatewayConfig, ProviderConfig } from '../config.js';
import { findAgent } from '../config.js';
import { GatewayError } from '../errors.js';
import { DEFAULT_SCRIPTED_RULES } from './default-rules.js';
import { createScriptedModel, loadScriptedRules } from './scripted-model.js';

function apiKeyOf(provider: ProviderConfig): string | undefined {
  if (provider.apiKey) return provider.apiKey;
  if (provider.apiKeyEnv) return process.env[provider.apiKeyEnv];
  return undefined;
}

/** Builds (and caches) the LanguageModelV3 each agent runs on. */
export interface ModelResolver {
  /** The model for an agent; `scripted` unless the agent names `<provider>/<model>`. */
  forAgent(agentId: string): LanguageModelV3;
}

/** Create the resolver for a config. Relative rules-file paths resolve against the config file. */
export function createModelResolver(config: GatewayConfig): ModelResolver {
  const cache = new Map<string, LanguageModelV3>();
  const baseDir = config.sourcePath ? dirname(config.sourcePath) : process.cwd();
  const absolutePath = (path: string) => (isAbsolute(path) ? path : resolve(baseDir, path));
  const build = (ref: string): LanguageModelV3 => {
    if (ref === 'scripted' || ref.startsWith('scripted:')) {
      const file = ref.startsWith('scripted:') ? ref.slice('scripted:'.length) : config.scripted?.rulesFile;
      const rules = file ? loadScriptedRules(absolutePath(file)) : DEFAULT_SCRIPTED_RULES;
      return createScriptedModel({ rules });
    }
    const slash = ref.indexOf('/');
    const providerId = ref.slice(0, slash);
    const modelId = ref.slice(slash + 1);
    const providerConfig = config.providers?.[providerId];
    if (!providerConfig)
      throw new GatewayError('invalid_config', `Unknown provider "${providerId}" in model "${ref}"`, { field: 'providers' });
    if (providerConfig.type === 'openai-compatible') {
      const apiKey = apiKeyOf(providerConfig);
      const provider = createOpenAICompatible({
        name: providerId,
        baseURL: providerConfig.baseUrl,
        ...(apiKey ? { apiKey } : {}),
        ...(providerConfig.headers ? { headers: providerConfig.headers } : {}),
      });
      return provider.chatModel(modelId) as LanguageModelV3;
    }
    const apiKey = apiKeyOf(providerConfig);
    const provider = createAnthropic({
      ...(providerConfig.baseUrl ? { baseURL: providerConfig.baseUrl } : {}),
      ...(apiKey ? { apiKey } : {}),
    });
    return provider(modelId) as LanguageModelV3;
  };
  return {
    forAgent(agentId) {
      const ref = findAgent(config, agentId)?.model ?? 'scripted';
      let model = cache.get(ref);
      if (!model) {
        model = build(ref);
        cache.set(ref, model);
      }
      return model;
    },
  };
}
