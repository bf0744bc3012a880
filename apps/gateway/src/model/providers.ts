import { isAbsolute, dirname, resolve } from 'node:path';
import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { LanguageModelV3 } from '@ai-sdk/provider';
import type { GatewayConfig, ProviderConfig } from '../config.js';
import { findAgent } from '../config.js';
import { GatewayError } from '../errors.js';
import { DEFAULT_SCRIPTED_RULES } from './default-rules.js';
import { createScriptedModel, loadScriptedRules } from './scripted-model.js';

function apiKeyOf(p: ProviderConfig): string | undefined {
  if (p.apiKey) return p.apiKey;
  if (p.apiKeyEnv) return process.env[p.apiKeyEnv];
  return undefined;
}

/** Builds (and caches) the LanguageModelV3 each agent runs on. */
export interface ModelResolver {
  /** The model for an agent; `scripted` unless the agent names `<provider>/<model>`. */
  forAgent(agentId: string): LanguageModelV3;
}

/** Create the resolver for a config. Relative rules-file paths resolve against the config file. */
export function createModelResolver(cfg: GatewayConfig): ModelResolver {
  const cache = new Map<string, LanguageModelV3>();
  const base = cfg.sourcePath ? dirname(cfg.sourcePath) : process.cwd();
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  const build = (ref: string): LanguageModelV3 => {
    if (ref === 'scripted' || ref.startsWith('scripted:')) {
      const file = ref.startsWith('scripted:') ? ref.slice('scripted:'.length) : cfg.scripted?.rulesFile;
      const rules = file ? loadScriptedRules(abs(file)) : DEFAULT_SCRIPTED_RULES;
      return createScriptedModel({ rules });
    }
    const slash = ref.indexOf('/');
    const providerId = ref.slice(0, slash);
    const modelId = ref.slice(slash + 1);
    const p = cfg.providers?.[providerId];
    if (!p) throw new GatewayError('invalid_config', `Unknown provider "${providerId}" in model "${ref}"`, { field: 'providers' });
    if (p.type === 'openai-compatible') {
      const apiKey = apiKeyOf(p);
      const provider = createOpenAICompatible({
        name: providerId,
        baseURL: p.baseUrl,
        ...(apiKey ? { apiKey } : {}),
        ...(p.headers ? { headers: p.headers } : {}),
      });
      return provider.chatModel(modelId) as LanguageModelV3;
    }
    const apiKey = apiKeyOf(p);
    const provider = createAnthropic({ ...(p.baseUrl ? { baseURL: p.baseUrl } : {}), ...(apiKey ? { apiKey } : {}) });
    return provider(modelId) as LanguageModelV3;
  };
  return {
    forAgent(agentId) {
      const ref = findAgent(cfg, agentId)?.model ?? 'scripted';
      let m = cache.get(ref);
      if (!m) {
        m = build(ref);
        cache.set(ref, m);
      }
      return m;
    },
  };
}
