import { describe, expect, it } from 'vitest';
import { classifyHeartbeatReply } from './heartbeat-reply.js';

describe('classifyHeartbeatReply', () => {
  it('acknowledges a reply that is only HEARTBEAT_OK, in its usual variants', () => {
    for (const reply of ['HEARTBEAT_OK', '  heartbeat_ok  ', '**HEARTBEAT_OK**', 'HEARTBEAT_OK.', '`HEARTBEAT_OK`']) {
      expect(classifyHeartbeatReply(reply)).toEqual({ kind: 'ack', text: '' });
    }
  });

  it('acknowledges the token with up to 300 other characters', () => {
    expect(classifyHeartbeatReply('HEARTBEAT_OK all quiet')).toEqual({ kind: 'ack', text: 'all quiet' });
    expect(classifyHeartbeatReply(`${'x'.repeat(300)} HEARTBEAT_OK`).kind).toBe('ack');
    expect(classifyHeartbeatReply(`${'x'.repeat(301)} HEARTBEAT_OK`)).toEqual({ kind: 'alert', text: 'x'.repeat(301) });
  });

  it('delivers a reply without the token', () => {
    expect(classifyHeartbeatReply('The build failed: exit 2')).toEqual({ kind: 'alert', text: 'The build failed: exit 2' });
    expect(classifyHeartbeatReply('I am not HEARTBEAT_OK, the disk is full').kind).toBe('alert');
  });

  it('treats blank as empty and NO_REPLY as silent', () => {
    expect(classifyHeartbeatReply('  ').kind).toBe('empty');
    expect(classifyHeartbeatReply(undefined).kind).toBe('empty');
    expect(classifyHeartbeatReply('NO_REPLY').kind).toBe('silent');
  });

  it('stays fast on a huge reply', () => {
    const big = `${' '.repeat(200_000)}x${' '.repeat(200_000)}`;
    expect(classifyHeartbeatReply(big).kind).toBe('alert');
  });
});
