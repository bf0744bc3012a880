/** Chars of command output a tool result carries (the rest stays readable through `process log`). */
export const MAX_TOOL_OUTPUT_CHARS = 8_000;
/** Chars of a still-running command's tail in an `exec` result. */
export const RUNNING_TAIL_CHARS = 2_000;

/** Keep the last `maxChars` chars, marked with a leading `…` when clipped. */
export function clipOutput(text: string, maxChars = MAX_TOOL_OUTPUT_CHARS): string {
  return text.length > maxChars ? `…${text.slice(text.length - maxChars)}` : text;
}
