/** Lines a log read returns without `offset`/`limit` (process-registry's `logDefaultLines` default). */
export const DEFAULT_LOG_LINES = 200;

/**
 * Page retained output by lines with process-registry's `log` rules, so a process reads the same
 * from the journal as from the registry: no paging = the last {@link DEFAULT_LOG_LINES} lines;
 * `limit` without `offset` = the last `limit` lines; `offset` = from that line (then `limit`).
 * A trailing newline does not count as an empty last line. (process-registry does not export its
 * paging; this is the gateway's one copy of the rule.)
 */
export function pageLines(text: string, paging: { offset?: number | undefined; limit?: number | undefined }): string {
  const lines = text.length === 0 ? [] : text.replace(/\r\n/g, '\n').split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const total = lines.length;
  let start: number;
  let end = total;
  if (paging.offset === undefined) {
    start = Math.max(0, total - (paging.limit ?? DEFAULT_LOG_LINES));
  } else {
    start = Math.min(total, Math.floor(paging.offset));
    if (paging.limit !== undefined) end = Math.min(total, start + paging.limit);
  }
  return lines.slice(start, end).join('\n');
}
