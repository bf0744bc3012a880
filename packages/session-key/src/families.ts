import { parseAgentSessionKeyParts } from './parse.js';
import { matchesAt, startsWithCI, trimmed } from './text.js';

// The family predicates match ASCII markers case-insensitively on the *raw* (trimmed) key
// instead of lower-casing it first. That is equivalent: the only non-ASCII characters that
// lower-case into ASCII are U+0130 (→ "i" + U+0307, which can never complete a marker) and
// U+212A KELVIN SIGN (→ "k", which no marker contains). It saves a full copy per call.

/** The rest of an agent key (raw case), or `null` when the key is not agent-shaped. */
function agentRest(key: string | null | undefined): string | null {
  return parseAgentSessionKeyParts(trimmed(key))?.rest ?? null;
}

/** The part of a key that carries its family: the rest of an agent key, else the whole key. */
function familyPart(key: string | null | undefined): { text: string } {
  const raw = trimmed(key);
  return { text: parseAgentSessionKeyParts(raw)?.rest ?? raw };
}

/**
 * True for subagent keys: a bare key starting with `subagent:` or an agent key whose rest
 * starts with `subagent:` (case-insensitive). `agent:a:agent:b:subagent:c` → false.
 */
export function isSubagentSessionKey(key: string | null | undefined): boolean {
  return startsWithCI(familyPart(key).text, 'subagent:');
}

/**
 * Nesting depth of a subagent key: the number of `(^|:)subagent:` matches (non-overlapping,
 * left to right) in the rest of an agent key, or in the whole key if it is not agent-shaped.
 * `agent:ops:subagent:p:subagent:c` → 2; non-subagent keys → 0.
 */
export function getSubagentDepth(key: string | null | undefined): number {
  const text = familyPart(key).text;
  const marker = 'subagent:';
  let count = 0;
  let pos = 0;
  if (matchesAt(text, 0, marker)) {
    count += 1;
    pos = marker.length;
  }
  while (pos < text.length) {
    if (text.charCodeAt(pos) === 58 && matchesAt(text, pos + 1, marker)) {
      count += 1;
      pos += marker.length + 1;
    } else {
      pos += 1;
    }
  }
  return count;
}

/** True when an agent key's rest starts with `cron:` (bare `cron:x` → false). */
export function isCronSessionKey(key: string | null | undefined): boolean {
  const rest = agentRest(key);
  return rest !== null && startsWithCI(rest, 'cron:');
}

/**
 * Length of a `cron:<id>:run:<runId>` prefix of `rest` (ids non-empty, colon-free), or -1.
 * The match must end at the end of `rest` or at a `:`.
 */
function cronRunPrefixEnd(rest: string): number {
  if (!startsWithCI(rest, 'cron:')) return -1;
  const jobEnd = rest.indexOf(':', 5);
  if (jobEnd <= 5) return -1;
  if (!matchesAt(rest, jobEnd, ':run:')) return -1;
  const runStart = jobEnd + 5;
  let runEnd = rest.indexOf(':', runStart);
  if (runEnd < 0) runEnd = rest.length;
  return runEnd > runStart ? runEnd : -1;
}

/**
 * True when an agent key's rest is `cron:<jobId>:run:<runId>`, optionally followed by more
 * `:`-segments (`agent:ops:cron:job:run:r:extra` → true).
 */
export function isCronRunSessionKey(key: string | null | undefined): boolean {
  const rest = agentRest(key);
  return rest !== null && cronRunPrefixEnd(rest) >= 0;
}

/** Result of {@link parseCronRunScopeSuffix}. */
export interface CronRunScopeSuffix {
  /** The key without `:run:<runId>` (raw case kept), or the trimmed key when there is no run. */
  readonly baseSessionKey: string;
  /** The run id (raw case kept) when the rest is exactly `cron:<id>:run:<runId>`. */
  readonly runId: string | undefined;
}

/**
 * Split the run id off a cron-run key whose rest is exactly `cron:<id>:run:<runId>`, keeping
 * the raw key's case (`agent:ops:CRON:Job:RUN:R` → `{ baseSessionKey: "agent:ops:CRON:Job", runId: "R" }`).
 * Any other key → `{ baseSessionKey: <trimmed key>, runId: undefined }`.
 */
export function parseCronRunScopeSuffix(key: string | null | undefined): CronRunScopeSuffix {
  const raw = trimmed(key);
  const parts = parseAgentSessionKeyParts(raw);
  if (parts) {
    const end = cronRunPrefixEnd(parts.rest);
    if (end === parts.rest.length) {
      const jobEnd = parts.rest.indexOf(':', 5);
      const restOffset = raw.length - parts.rest.length;
      return {
        baseSessionKey: raw.slice(0, restOffset + jobEnd),
        runId: parts.rest.slice(jobEnd + 5),
      };
    }
  }
  return { baseSessionKey: raw, runId: undefined };
}

/** True for ACP keys: bare `acp:…` or an agent key whose rest starts with `acp:`. */
export function isAcpSessionKey(key: string | null | undefined): boolean {
  return startsWithCI(familyPart(key).text, 'acp:');
}

/**
 * `"acp"` when `entry.acp` is set or the key is an ACP key, else `"agent"`.
 */
export function resolveSessionDispatchKind(
  key: string | null | undefined,
  entry?: { readonly acp?: unknown } | null | undefined,
): 'acp' | 'agent' {
  if (entry && typeof entry === 'object' && entry.acp) return 'acp';
  return isAcpSessionKey(key) ? 'acp' : 'agent';
}

const INCOGNITO_FAMILIES = ['dashboard:', 'subagent:', 'internal-session-effects:'] as const;

/**
 * True for incognito keys: `agent:<id>:(dashboard|subagent|internal-session-effects):incognito-<x>`
 * where `<x>` contains no `:` (case-insensitive).
 */
export function isIncognitoSessionKey(key: string | null | undefined): boolean {
  const rest = agentRest(key);
  if (rest === null) return false;
  for (const family of INCOGNITO_FAMILIES) {
    if (startsWithCI(rest, family)) {
      const tail = rest.slice(family.length);
      return startsWithCI(tail, 'incognito-') && tail.length > 10 && !tail.includes(':');
    }
  }
  return false;
}
