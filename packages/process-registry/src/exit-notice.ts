import type { ExitEvent } from './types.js';

/** Chars of output the notice snippet is taken from. */
export const NOTICE_SOURCE_CHARS = 400;
/** Maximum snippet length in a notice. */
export const NOTICE_SNIPPET_CHARS = 180;

/** Last 400 chars of `tail`, whitespace collapsed, at most 180 chars (179 + `…`), surrogate-safe. */
export function noticeSnippet(tail: string): string {
  const source = tail.length > NOTICE_SOURCE_CHARS ? tail.slice(tail.length - NOTICE_SOURCE_CHARS) : tail;
  const collapsed = source.replace(/\s+/g, ' ').trim();
  if (collapsed.length <= NOTICE_SNIPPET_CHARS) return collapsed;
  let cut = NOTICE_SNIPPET_CHARS - 1;
  const code = collapsed.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
  return `${collapsed.slice(0, cut)}…`;
}

/**
 * The system-event text of an exit event:
 * `Exec completed (<id>, code N) :: <snippet>` for a process that exited by itself with a code
 * (other than 126/127), otherwise `Exec failed (<id>, signal S | code N | spawn error) :: <snippet>`.
 * ` :: <snippet>` is omitted when there was no output; timeouts add one line of retry guidance.
 */
export function formatExitNotice(event: ExitEvent): string {
  const isCompleted =
    event.status === 'exited' && event.signal === null && event.exitCode !== null && event.exitCode !== 126 && event.exitCode !== 127;
  const label =
    event.signal !== null
      ? `signal ${event.signal}`
      : event.exitCode !== null
        ? `code ${event.exitCode}`
        : event.status === 'spawn-error'
          ? 'spawn error'
          : 'unknown exit code';
  const snippet = noticeSnippet(event.tail);
  let text = `Exec ${isCompleted ? 'completed' : 'failed'} (${event.id}, ${label})`;
  if (snippet.length > 0) text += ` :: ${snippet}`;
  if (event.status === 'timeout') {
    text += `\n\nCommand timed out after ${Math.round(event.durationMs / 1000)} s and was terminated; side effects may already have happened, verify before retrying.`;
  }
  return text;
}
