import { RE2JS } from 're2js';
import { GatewayError } from '../errors.js';

/**
 * Item 11 (issue 14): scripted-model rule regexes run on RE2JS, a linear-time engine (pure
 * JavaScript, no native build). Chosen over a time bound because JavaScript cannot interrupt a
 * running `RegExp.exec` on the main thread (a bound would need a worker per match), and over a
 * "safe-regex" star-height check because such checks have false negatives. A pattern RE2 cannot
 * express (backreferences, lookaround) is refused when the rules load, naming the rule.
 */

/** Longest input a guarded regex is run on (chars); longer input is matched on its first part. */
export const MAX_GUARDED_INPUT_CHARS = 1_000_000;
/** Longest pattern accepted (chars). */
export const MAX_PATTERN_CHARS = 4_096;

/** A compiled, linear-time regex with the part of `RegExp` the scripted model uses. */
export interface GuardedRegex {
  /** The source pattern. */
  readonly source: string;
  /** The flags it was compiled with (subset of `imsu`; `g`/`y` are accepted and ignored). */
  readonly flags: string;
  /** Like `RegExp.prototype.exec`: `[whole, group1, …]` (unmatched groups `undefined`) or null. */
  exec(text: string): Array<string | undefined> | null;
  /** True when the pattern matches somewhere in `text`. */
  test(text: string): boolean;
}

/**
 * Compile `pattern` for linear-time matching. Throws `GatewayError('invalid_config')` naming
 * `field` when the pattern is too long or uses a construct RE2 does not support.
 */
export function compileGuardedRegex(pattern: string, flags = 'i', field = 'pattern'): GuardedRegex {
  if (pattern.length > MAX_PATTERN_CHARS) {
    throw new GatewayError('invalid_config', `regex is longer than ${MAX_PATTERN_CHARS} chars`, { field });
  }
  let re2Flags = 0;
  for (const flag of flags) {
    if (flag === 'i') re2Flags |= RE2JS.CASE_INSENSITIVE;
    else if (flag === 'm') re2Flags |= RE2JS.MULTILINE;
    else if (flag === 's') re2Flags |= RE2JS.DOTALL;
    else if (flag === 'u' || flag === 'g' || flag === 'y') continue;
    else throw new GatewayError('invalid_config', `unknown regex flag "${flag}"`, { field });
  }
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(pattern, re2Flags);
  } catch (error) {
    throw new GatewayError(
      'invalid_config',
      `regex ${JSON.stringify(pattern)} is not supported by the linear-time engine (no backreferences or lookaround): ${(error as Error).message}`,
      { field, cause: error },
    );
  }
  const exec = (text: string): Array<string | undefined> | null => {
    const input = text.length > MAX_GUARDED_INPUT_CHARS ? text.slice(0, MAX_GUARDED_INPUT_CHARS) : text;
    const matcher = compiled.matcher(input);
    if (!matcher.find()) return null;
    const groups: Array<string | undefined> = [];
    for (let index = 0; index <= matcher.groupCount(); index++) groups.push(matcher.group(index) ?? undefined);
    return groups;
  };
  return { source: pattern, flags, exec, test: (text) => exec(text) !== null };
}
