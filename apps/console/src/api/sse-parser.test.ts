import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSseParser, type SseMessage } from './sse-parser.js';

const parseAll = (chunks: string[]): SseMessage[] => {
  const messages: SseMessage[] = [];
  const parser = createSseParser((message) => messages.push(message));
  for (const chunk of chunks) parser.push(chunk);
  return messages;
};

describe('createSseParser', () => {
  it('reads the gateway stream: comments, ids, event names and JSON data', () => {
    const text = ': subscribed agent:main:x\n\nid: 1\nevent: run.queued\ndata: {"type":"run.queued"}\n\n: ping\n\n';
    expect(parseAll([text])).toEqual([{ event: 'run.queued', data: '{"type":"run.queued"}', id: '1' }]);
  });

  it('joins multi-line data, defaults the event name and accepts CRLF and CR line ends', () => {
    expect(parseAll(['data: a\r\ndata: b\r\n\r\n', 'data:c\r\r'])).toEqual([
      { event: 'message', data: 'a\nb' },
      { event: 'message', data: 'c' },
    ]);
  });

  it('does not dispatch an event until its blank line arrives', () => {
    expect(parseAll(['event: x\ndata: 1\n'])).toEqual([]);
  });

  it('gives the same events however the stream is split into chunks', () => {
    const events = fc.array(fc.record({ event: fc.stringMatching(/^[a-z.]{1,12}$/), data: fc.stringMatching(/^[^\r\n]{0,40}$/) }), {
      maxLength: 8,
    });
    fc.assert(
      fc.property(events, fc.array(fc.nat(), { maxLength: 10 }), fc.constantFrom('\n', '\r\n', '\r'), (list, cuts, newline) => {
        const text = list.map((item) => `event: ${item.event}${newline}data: ${item.data}${newline}${newline}`).join('');
        const points = [...new Set(cuts.map((cut) => cut % (text.length + 1)))].sort((left, right) => left - right);
        const chunks: string[] = [];
        let last = 0;
        for (const point of points) {
          chunks.push(text.slice(last, point));
          last = point;
        }
        chunks.push(text.slice(last));
        expect(parseAll(chunks)).toEqual(parseAll([text]));
        expect(parseAll([text]).map((message) => message.event)).toEqual(list.map((item) => item.event));
      }),
    );
  });
});
