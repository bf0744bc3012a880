import { asString } from './text.js';

/** The implicit agent id used when none can be derived (`"main"`). */
export const DEFAULT_AGENT_ID = 'main';
/**
 * @deprecated Alias of {@link DEFAULT_AGENT_ID}, kept for OpenClaw compatibility.
 * @alias
 */
export const LEGACY_IMPLICIT_AGENT_ID = DEFAULT_AGENT_ID;
/** The per-agent main session suffix (`"main"`). */
export const DEFAULT_MAIN_KEY = 'main';
/** The default channel account id (`"default"`). */
export const DEFAULT_ACCOUNT_ID = 'default';
/** Maximum length of a normalized agent or account id, in UTF-16 code units (64). */
export const MAX_AGENT_ID_LENGTH = 64;

/** Object keys that are never accepted as account ids. */
const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

const DASH = 45;

/** `[a-z0-9]` after ASCII lower-casing. */
function isAlnumLower(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 48 && code <= 57);
}

function isAlnumAnyCase(code: number): boolean {
  return isAlnumLower(code) || (code >= 65 && code <= 90);
}

/**
 * The OpenClaw id pattern `^[a-z0-9][a-z0-9_-]{0,63}$` (case-insensitive, ASCII only),
 * as a bounded scan.
 */
function matchesIdPattern(value: string): boolean {
  const length = value.length;
  if (length === 0 || length > MAX_AGENT_ID_LENGTH) return false;
  if (!isAlnumAnyCase(value.charCodeAt(0))) return false;
  for (let i = 1; i < length; i += 1) {
    const code = value.charCodeAt(i);
    if (!isAlnumAnyCase(code) && code !== DASH && code !== 95) return false;
  }
  return true;
}

/**
 * The shared sanitizer: lower-case, replace every run of characters outside `[a-z0-9_-]` with
 * one `-`, strip leading then trailing `-`, then truncate to 64 (so a result may end in `-`).
 * Returns `''` when nothing representable is left.
 *
 * Single pass over the input, no full lower-cased copy: `toLowerCase` maps exactly two
 * non-ASCII code points into `[a-z0-9_-]` — U+0130 (→ `i` + U+0307) and U+212A KELVIN SIGN
 * (→ `k`) — and every other non-ASCII code unit stays outside the charset, so folding code
 * units one by one is equivalent. Only the first 64 characters of the collapsed string are
 * materialized; past that the scan only needs to know whether a non-dash character follows
 * (which decides whether the trailing-dash strip reaches into the first 64 characters).
 */
function sanitizeId(value: unknown): string {
  const trimmedValue = asString(value).trim();
  if (matchesIdPattern(trimmedValue)) return trimmedValue.toLowerCase();
  let head = ''; // first MAX_AGENT_ID_LENGTH chars of the collapsed, leading-stripped string
  let emitted = 0; // length of the (virtual) collapsed string so far
  let pendingInvalid = false;
  for (let i = 0; i < trimmedValue.length; i += 1) {
    let code = trimmedValue.charCodeAt(i);
    let invalidAfter = false;
    if (code >= 65 && code <= 90) code += 32;
    else if (code === 0x212a)
      code = 107; // KELVIN SIGN → "k"
    else if (code === 0x130) {
      code = 105; // "İ" → "i" + U+0307 (the combining dot is outside the charset)
      invalidAfter = true;
    }
    if (!(isAlnumLower(code) || code === 95 || code === DASH)) {
      pendingInvalid = true;
      continue;
    }
    if (pendingInvalid && emitted > 0) {
      if (emitted < MAX_AGENT_ID_LENGTH) head += '-';
      emitted += 1;
    }
    pendingInvalid = invalidAfter;
    if (code === DASH && emitted === 0) continue; // leading dashes are stripped
    if (code !== DASH && emitted >= MAX_AGENT_ID_LENGTH - 1) {
      // A non-dash at collapsed index >= 63: the trailing strip cannot reach the first 64.
      return emitted === MAX_AGENT_ID_LENGTH - 1 ? head + String.fromCharCode(code) : head;
    }
    if (emitted < MAX_AGENT_ID_LENGTH) head += String.fromCharCode(code);
    emitted += 1;
  }
  // Every collapsed char from index MAX-1 on is a dash (or there are none): the trailing-dash
  // strip removes them and any dashes right before, all within `head`.
  let end = head.length;
  while (end > 0 && head.charCodeAt(end - 1) === DASH) end -= 1;
  return head.slice(0, end);
}

/**
 * Normalize an agent id the way OpenClaw 2026.9.6 does: trim, lower-case, collapse every run
 * of characters outside `[a-z0-9_-]` to `-`, strip leading/trailing `-`, truncate to 64.
 * Blank or unrepresentable input yields `"main"`. Never throws (non-strings count as blank).
 *
 * Quirk kept for compatibility: truncation happens after dash-stripping, so a 64-char result
 * can end in `-`, and a leading `_` is kept.
 */
export function normalizeAgentId(value: string | null | undefined): string {
  return sanitizeId(value) || DEFAULT_AGENT_ID;
}

/** Alias of {@link normalizeAgentId} (OpenClaw `sanitizeAgentId`). */
export function sanitizeAgentId(value: string | null | undefined): string {
  return normalizeAgentId(value);
}

/** Result of {@link normalizeAgentIdStrict}. */
export type StrictAgentIdResult = { readonly ok: true; readonly value: string } | { readonly ok: false; readonly error: 'unrepresentable' };

/**
 * {@link normalizeAgentId} without the `"main"` fallback: blank or unrepresentable input
 * (`""`, `"--"`, `"日本語"`) yields `{ ok: false, error: "unrepresentable" }`.
 */
export function normalizeAgentIdStrict(value: string | null | undefined): StrictAgentIdResult {
  const id = sanitizeId(value);
  return id ? { ok: true, value: id } : { ok: false, error: 'unrepresentable' };
}

/**
 * True when the trimmed value already is a valid id: 1–64 chars, first `[a-z0-9]`, rest
 * `[a-z0-9_-]`, ASCII letters in any case (`"Main"`, `" ops "` → true; `"_x"`, `"Ops Team"` → false).
 */
export function isValidAgentId(value: string | null | undefined): boolean {
  return matchesIdPattern(asString(value).trim());
}

/** `undefined` for non-string or blank input, else {@link normalizeAgentId} (`"!!!"` → `"main"`). */
export function normalizeOptionalAgentId(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const t = value.trim();
  return t ? normalizeAgentId(t) : undefined;
}

/**
 * Normalize a channel account id: the agent-id charset rules with default `"default"`;
 * prototype keys (`__proto__`, `constructor`, `prototype`) also yield `"default"`.
 */
export function normalizeAccountId(value: string | null | undefined): string {
  return normalizeOptionalAccountId(value) ?? DEFAULT_ACCOUNT_ID;
}

/** Like {@link normalizeAccountId} but `undefined` for blank, unrepresentable or prototype keys. */
export function normalizeOptionalAccountId(value: unknown): string | undefined {
  const id = sanitizeId(value);
  if (!id || PROTOTYPE_KEYS.has(id)) return undefined;
  return id;
}

/** Trimmed, lower-cased main key, or `"main"` when blank (`" WORK "` → `"work"`, `"a:b"` kept). */
export function normalizeMainKey(value: string | null | undefined): string {
  const t = asString(value).trim();
  return t ? t.toLowerCase() : DEFAULT_MAIN_KEY;
}
