/** Names every shell may take from the source environment (plus every `LC_*`). */
export const ALLOWED_ENV_NAMES: readonly string[] = Object.freeze(['PATH', 'LANG', 'TERM', 'TZ', 'HOME', 'USER']);

/** Where a variable the deny rule removed came from. */
export type EnvDenialSource = 'passEnv' | 'fixedEnv' | 'exec';

/** One variable the deny rule kept out of a child's environment. */
export type EnvDenial = Readonly<{ name: string; source: EnvDenialSource }>;

/** The environment policy of a registry. */
export interface ChildEnvPolicy {
  /** Where allowlisted and `passEnv` names are read from (the gateway's environment). */
  readonly source: Readonly<Record<string, string | undefined>>;
  /** Extra names copied from `source` when set. */
  readonly passEnv: readonly string[];
  /** Fixed values for every child. */
  readonly fixedEnv: Readonly<Record<string, string>>;
  /** Names never passed, whichever list names them (exact, case-sensitive). */
  readonly deniedNames: readonly string[];
  /** Prefixes never passed (`PINCER_`), whichever list names them. */
  readonly deniedPrefixes: readonly string[];
}

/** True when the deny rule covers `name`. */
export function isEnvNameDenied(name: string, policy: Pick<ChildEnvPolicy, 'deniedNames' | 'deniedPrefixes'>): boolean {
  return policy.deniedNames.includes(name) || policy.deniedPrefixes.some((prefix) => prefix !== '' && name.startsWith(prefix));
}

/** The names of `passEnv` and `fixedEnv` the deny rule removes (reported once, when the registry starts). */
export function deniedPolicyNames(policy: ChildEnvPolicy): EnvDenial[] {
  const denied: EnvDenial[] = [];
  for (const name of policy.passEnv) if (isEnvNameDenied(name, policy)) denied.push({ name, source: 'passEnv' });
  for (const name of Object.keys(policy.fixedEnv)) if (isEnvNameDenied(name, policy)) denied.push({ name, source: 'fixedEnv' });
  return denied;
}

/** A child's environment and what the deny rule removed from the exec's own `env`. */
export interface ChildEnv {
  readonly env: Record<string, string>;
  readonly denied: EnvDenial[];
}

/**
 * Builds a child's environment from nothing: the allowlist (`PATH`, `LANG`, `LC_*`, `TERM`, `TZ`,
 * `HOME`, `USER`) and `passEnv` names from `source`, then the non-interactive defaults, then
 * `fixedEnv`, then the exec's `callEnv`, then `overrides` (the registry's markers, a sandbox's
 * `HOME`). The deny rule removes a name from every layer but `overrides`.
 */
export function buildChildEnv(
  policy: ChildEnvPolicy,
  layers: {
    readonly defaults: Readonly<Record<string, string>>;
    readonly callEnv?: Readonly<Record<string, string>> | undefined;
    readonly overrides: Readonly<Record<string, string>>;
  },
): ChildEnv {
  const env: Record<string, string> = {};
  const denied: EnvDenial[] = [];
  const put = (name: string, value: string | undefined): void => {
    if (value !== undefined && !isEnvNameDenied(name, policy)) env[name] = value;
  };
  for (const [name, value] of Object.entries(policy.source)) {
    if (ALLOWED_ENV_NAMES.includes(name) || name.startsWith('LC_') || policy.passEnv.includes(name)) put(name, value);
  }
  for (const [name, value] of Object.entries(layers.defaults)) put(name, value);
  for (const [name, value] of Object.entries(policy.fixedEnv)) put(name, value);
  for (const [name, value] of Object.entries(layers.callEnv ?? {})) {
    if (isEnvNameDenied(name, policy)) denied.push({ name, source: 'exec' });
    else env[name] = value;
  }
  Object.assign(env, layers.overrides);
  return { env, denied };
}
