/** One server-sent event. */
export interface SseMessage {
  /** `event:` field; `message` when absent. */
  event: string;
  /** `data:` lines joined by `\n`. */
  data: string;
  /** `id:` field, if any. */
  id?: string;
}

/** An incremental parser of a `text/event-stream` body. */
export interface SseParser {
  /** Feed the next decoded chunk; complete events are delivered to `onMessage` synchronously. */
  push(chunk: string): void;
}

/** Lines longer than this (an event without a line break) make the parser throw instead of buffering without bound. */
export const SSE_MAX_PENDING_CHARS = 4_194_304;

/**
 * Parses server-sent events as the WHATWG spec reads them: lines end with CRLF, LF or CR,
 * a blank line dispatches, `:` lines are comments, a single space after the colon is dropped.
 * Events without data are not dispatched.
 */
export function createSseParser(onMessage: (message: SseMessage) => void): SseParser {
  let pending = '';
  let event = '';
  let data: string[] = [];
  let id: string | undefined;

  const line = (text: string) => {
    if (text === '') {
      if (data.length > 0)
        onMessage({ event: event === '' ? 'message' : event, data: data.join('\n'), ...(id !== undefined ? { id } : {}) });
      event = '';
      data = [];
      return;
    }
    if (text.startsWith(':')) return;
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id' && !value.includes('\0')) id = value;
  };

  // A CR that ended the previous chunk may be the first half of a CRLF split across chunks.
  let isAfterCarriageReturn = false;
  return {
    push(chunk) {
      pending += chunk;
      let start = 0;
      if (isAfterCarriageReturn && pending.startsWith('\n')) start = 1;
      isAfterCarriageReturn = false;
      for (let index = start; index < pending.length; index += 1) {
        const char = pending[index];
        if (char !== '\n' && char !== '\r') continue;
        line(pending.slice(start, index));
        if (char === '\r') {
          if (index === pending.length - 1) isAfterCarriageReturn = true;
          else if (pending[index + 1] === '\n') index += 1;
        }
        start = index + 1;
      }
      pending = pending.slice(start);
      if (pending.length > SSE_MAX_PENDING_CHARS) throw new Error(`server-sent event line longer than ${SSE_MAX_PENDING_CHARS} chars`);
    },
  };
}
