/** The token a heartbeat reply uses to say "nothing needs attention". */
export const HEARTBEAT_TOKEN = 'HEARTBEAT_OK';
/** A reply that must not be delivered at all. */
export const SILENT_REPLY_TOKEN = 'NO_REPLY';
/** Default: a reply with the token and at most this many other characters is an ack. */
export const DEFAULT_ACK_MAX_CHARS = 300;

/** Classification of a heartbeat reply. Only `alert` is delivered. */
export type HeartbeatReplyKind = 'empty' | 'silent' | 'ack' | 'alert';

const EDGE = '[\\s*_`~>]*';
const LEADING = new RegExp(`^${EDGE}${HEARTBEAT_TOKEN}[^\\w\\s]{0,4}${EDGE}`, 'i');
const TRAILING = new RegExp(`${EDGE}${HEARTBEAT_TOKEN}[^\\w\\s]{0,4}${EDGE}$`, 'i');
const SILENT = new RegExp(`^${EDGE}${SILENT_REPLY_TOKEN}[^\\w\\s]{0,4}${EDGE}$`, 'i');

/**
 * Classifies a heartbeat reply: blank → `empty`; only `NO_REPLY` → `silent`; `HEARTBEAT_OK` at the
 * start or end with at most `ackMaxChars` (default 300) other characters → `ack` (acknowledged,
 * not delivered); anything else → `alert` with the text to deliver (token stripped).
 */
export function classifyHeartbeatReply(
  reply: string | undefined | null,
  options: { ackMaxChars?: number } = {},
): { kind: HeartbeatReplyKind; text: string } {
  const ackMaxChars = options.ackMaxChars ?? DEFAULT_ACK_MAX_CHARS;
  const text = (reply ?? '').trim();
  if (text === '') return { kind: 'empty', text: '' };
  if (text.length <= 64 && SILENT.test(text)) return { kind: 'silent', text: '' };
  let rest = text;
  let hadToken = false;
  if (LEADING.test(rest)) {
    rest = rest.replace(LEADING, '');
    hadToken = true;
  }
  // Only the tail can hold a trailing token; bounding the regex input keeps it linear.
  const cut = Math.max(0, rest.length - 64);
  const tail = rest.slice(cut);
  if (TRAILING.test(tail)) {
    rest = rest.slice(0, cut) + tail.replace(TRAILING, '');
    hadToken = true;
  }
  rest = rest.trim();
  if (!hadToken) return { kind: 'alert', text };
  if (rest.length <= ackMaxChars) return { kind: 'ack', text: rest };
  return { kind: 'alert', text: rest };
}
